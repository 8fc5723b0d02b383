package dev.gatekit.proxy;

import static dev.gatekit.proxy.ScenarioRequests.WAIT;
import static dev.gatekit.proxy.ScenarioRequests.await;
import static dev.gatekit.proxy.ScenarioRequests.call;
import static dev.gatekit.proxy.ScenarioRequests.cancelled;
import static dev.gatekit.proxy.ScenarioRequests.echo;
import static dev.gatekit.proxy.ScenarioRequests.fail;
import static dev.gatekit.proxy.ScenarioRequests.sample;
import static dev.gatekit.proxy.ScenarioRequests.sleep;
import static dev.gatekit.proxy.ScenarioRequests.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.AuditEvent.Outcome;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.proxy.ScenarioPlugins.AliasAndCache;
import dev.gatekit.proxy.ScenarioPlugins.Barrier;
import dev.gatekit.proxy.ScenarioPlugins.BlockTools;
import dev.gatekit.proxy.ScenarioPlugins.Marker;
import dev.gatekit.proxy.ScenarioPlugins.RecordingAuditor;
import dev.gatekit.proxy.ScenarioPlugins.SlowCheck;
import dev.gatekit.proxy.ScenarioUpstream.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The original Gatekit's eight concurrency scenarios, through {@link GatekitProxy} with plugins given
 * in code, each against a {@link dev.gatekit.testkit.MockTransport} and against the real test server
 * over stdio.
 *
 * <p>Concurrency is shown by what was observed — the upstream's own count of calls held at once,
 * the proxy's counters, a barrier that only opens when every request is inside the proxy — never by
 * the clock. Where "N requests at once" must be a fact, the calls are {@code sample} calls whose
 * sampling requests the client holds back until all N have arrived: each of them is then provably in
 * flight at the upstream.
 */
class ProxyConcurrencyScenariosTest {

  private static final String UPSTREAM = ScenarioUpstream.NAME;
  private static final long ONE_DAY_MS = 86_400_000L;

  private final ScenarioClient client = new ScenarioClient();
  private final RecordingAuditor auditor = new RecordingAuditor();
  private ScenarioUpstream upstream;
  private GatekitProxy proxy;

  private void start(Kind kind, TransportOptions options, Plugin... plugins) {
    upstream = ScenarioUpstream.create(kind, options);
    GatekitProxy.Builder builder = GatekitProxy.builder().upstream(UPSTREAM, upstream.transport());
    for (Plugin plugin : plugins) {
      builder.plugin(plugin);
    }
    builder.plugin(auditor);
    proxy = builder.build();
    client.connect(proxy);
  }

  @AfterEach
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
    client.close();
  }

  /** Nothing in flight anywhere: the proxy, the transport and the upstream itself are idle. */
  private void assertSettled() {
    assertThat(proxy.awaitIdle(WAIT)).as("proxy idle").isTrue();
    assertThat(proxy.stats().inFlight()).isZero();
    upstream.awaitNothingPending();
    TransportStats transport = proxy.upstreamStats().get(UPSTREAM);
    assertThat(transport.inFlight()).as("transport in flight").isZero();
    assertThat(transport.queued()).as("transport queued").isZero();
  }

  private static RequestId mixedId(int i, String prefix) {
    return i % 2 == 0 ? RequestId.of(i) : RequestId.of(prefix + i);
  }

  // ---------------------------------------------------------------------------------------------
  // 1. 10, 50 and 100 concurrent calls

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void roundsOf10_50And100CallsAreAllInFlightAtTheUpstreamAtOnce(Kind kind) {
    start(kind, TransportOptions.defaults());
    client.initialize();
    int sampled = 0;
    for (int n : new int[] {10, 50, 100}) { // increasing, so each round's high-water mark is its own
      client.holdSamplingUntil(n);
      List<RequestId> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        RequestId id = i % 2 == 0 ? RequestId.of(n * 1000L + i) : RequestId.of("r" + n + "-" + i);
        ids.add(id);
        client.receive(sample(id, "prompt of " + id));
      }
      Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(ids);
      sampled += n;

      answers.forEach((id, response) -> {
        assertThat(response.id()).isEqualTo(id);
        assertThat(text(response)).isEqualTo("reply:prompt of " + id);
      });
      ids.forEach(id -> assertThat(client.responsesTo(id)).as("answers to %s", id).hasSize(1));
      assertThat(upstream.maxConcurrent()).as("calls the upstream held at once").isEqualTo(n);
      assertThat(proxy.stats().maxInFlight()).as("proxy max in flight").isGreaterThanOrEqualTo(n);
      assertSettled();
    }
    assertThat(client.samplingRequests()).isEqualTo(sampled);
  }

  // ---------------------------------------------------------------------------------------------
  // 2. Correlation under load

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void hundredsOfCallsWithIdsOfBothJsonTypesInFlightTogetherEachGetTheirOwnAnswer(Kind kind) {
    List<RequestId> ids = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      ids.add(RequestId.of(i));
      ids.add(RequestId.of(String.valueOf(i))); // 1 and "1" are different ids
    }
    ids.addAll(List.of(RequestId.of(Long.MAX_VALUE), RequestId.of(Long.MIN_VALUE), RequestId.of(-1),
        RequestId.of(""), RequestId.of(" "), RequestId.of("ünï\"cø\\dé"), RequestId.of(String.valueOf(Long.MAX_VALUE))));
    Barrier barrier = new Barrier(ids.size(), r -> ScenarioPlugins.toolOf(r).equals("echo"));
    start(kind, TransportOptions.builder().maxInFlight(1_000).build(), barrier);
    client.initialize();

    for (RequestId id : ids) {
      client.receive(echo(id, expectedText(id)));
    }
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(ids);

    assertThat(barrier.broken()).as("every call was inside the proxy at once").isFalse();
    assertThat(proxy.stats().maxInFlight()).isGreaterThanOrEqualTo(ids.size());
    JsonRpcCodec codec = JsonRpcCodec.get();
    for (RequestId id : ids) {
      JsonRpcResponse response = answers.get(id);
      assertThat(client.responsesTo(id)).as("answers to %s", id).hasSize(1);
      assertThat(text(response)).as("answer to %s", id).isEqualTo(expectedText(id));
      JsonNode wireId = codec.toTree(response).get("id");
      assertThat(wireId.isNumber()).as("JSON type of id %s on the wire", id).isEqualTo(id instanceof RequestId.NumberId);
    }
    assertThat(client.responseCount()).isEqualTo(ids.size() + 1); // + initialize
    assertSettled();
  }

  private static String expectedText(RequestId id) {
    return (id instanceof RequestId.NumberId ? "number " : "string ") + id;
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void aDuplicateIdInFlightIsRefusedWithInvalidRequestAndTheFirstStillGetsItsOwnAnswer(Kind kind) {
    start(kind, TransportOptions.defaults());
    client.initialize();
    client.holdSampling();
    RequestId seven = RequestId.of(7);
    client.receive(sample(seven, "first"));
    await("request 7 to be in flight at the upstream", () -> client.heldSampling() == 1);
    long upstreamRequests = upstream.requestsReceived();

    client.receive(echo(seven, "second"));
    JsonRpcResponse refused = client.awaitResponse(seven);
    assertThat(refused.isError()).isTrue();
    assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(refused.error().message()).contains("7").contains("in flight");

    RequestId sevenAsString = RequestId.of("7"); // not a duplicate: another JSON type
    assertThat(text(client.request(echo(sevenAsString, "string seven")))).isEqualTo("string seven");
    assertThat(client.responsesTo(seven)).hasSize(1);

    client.releaseSampling();
    JsonRpcResponse first = client.awaitNthResponse(seven, 2);
    assertThat(text(first)).isEqualTo("reply:first");
    assertThat(upstream.requestsReceived())
        .as("the duplicate never reached the upstream; the echo of \"7\" did")
        .isEqualTo(upstreamRequests + 1);

    assertThat(text(client.request(echo(seven, "third")))).as("7 is free again once answered").isEqualTo("third");
    assertThat(client.responsesTo(seven)).hasSize(3);
    assertSettled();
  }

  // ---------------------------------------------------------------------------------------------
  // 3. Plugin state isolation

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void perRequestPluginDataNeverLeaksIntoAnotherRequestsAnswer(Kind kind) {
    int n = 100;
    Marker marker = new Marker();
    Barrier barrier = new Barrier(n, r -> ScenarioPlugins.toolOf(r).equals("echo"));
    start(kind, TransportOptions.defaults(), barrier, marker);
    client.initialize();

    List<RequestId> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RequestId id = mixedId(i, "iso-");
      ids.add(id);
      client.receive(echo(id, "payload of " + id));
    }
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(ids);

    assertThat(barrier.broken()).isFalse();
    assertThat(marker.violations()).isEmpty();
    Set<String> markers = new HashSet<>();
    for (RequestId id : ids) {
      JsonRpcResponse response = answers.get(id);
      assertThat(text(response)).as("answer to %s", id).isEqualTo("payload of " + id);
      String stamped = ScenarioPlugins.metaOf(response).path("scenarioMarker").asText();
      assertThat(stamped).as("marker in the answer to %s", id).isEqualTo(marker.markerOf(id));
      markers.add(stamped);
    }
    assertThat(markers).hasSize(n);
    assertSettled();
  }

  // ---------------------------------------------------------------------------------------------
  // 4. Counters back to zero, nothing pending

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void countersReturnToZeroAndNothingIsPendingAfterAMixedLoad(Kind kind) {
    start(kind, TransportOptions.defaults(), new BlockTools("forbidden"));
    client.receive(echo(RequestId.of("early"), "before initialize"));
    assertThat(client.awaitResponse(RequestId.of("early")).error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    client.initialize();

    // Five long calls, in flight at the upstream, then cancelled by the client.
    List<RequestId> cancelledIds = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      RequestId id = RequestId.of("cancel-" + i);
      cancelledIds.add(id);
      client.receive(sleep(id, ONE_DAY_MS));
    }
    await("5 calls in flight at the upstream", () -> upstream.upstreamInFlight() == 5);
    cancelledIds.forEach(id -> client.receive(cancelled(id)));
    await("the proxy to count 5 cancelled", () -> proxy.stats().cancelled() == 5);

    // A mixed burst, with a duplicate id refused while its first use is in flight.
    client.holdSampling();
    client.receive(sample(RequestId.of("dup"), "held"));
    await("the held call at the upstream", () -> client.heldSampling() == 1);
    client.receive(echo(RequestId.of("dup"), "duplicate"));
    client.awaitResponse(RequestId.of("dup"));
    List<RequestId> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      RequestId id = mixedId(i, "burst-");
      ids.add(id);
      switch (i % 4) {
        case 0, 1 -> client.receive(echo(id, "ok " + id));
        case 2 -> client.receive(fail(id, -32050, "no " + id));
        default -> client.receive(call(id, "forbidden"));
      }
    }
    client.awaitResponses(ids);
    client.releaseSampling();
    client.awaitNthResponse(RequestId.of("dup"), 2);
    assertSettled();

    ProxyStats stats = proxy.stats();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.maxInFlight()).isGreaterThanOrEqualTo(1);
    assertThat(stats.cancelled()).isEqualTo(5);
    assertThat(stats.blocked()).isEqualTo(10);
    assertThat(stats.handled()).as("every answer the client got is counted once").isEqualTo(client.responseCount());
    // failed: errors the proxy produced — the early call and the duplicate; not the upstream's own.
    assertThat(stats.failed()).isEqualTo(2);
    cancelledIds.forEach(id -> assertThat(client.answered(id)).as("answer to cancelled %s", id).isFalse());

    TransportStats transport = proxy.upstreamStats().get(UPSTREAM);
    assertThat(transport.cancelled()).isEqualTo(5);
    assertThat(transport.inFlight()).isZero();
    assertThat(transport.queued()).isZero();
    assertThat(upstream.transportPending()).isZero();
    if (kind == Kind.MOCK) {
      assertThat(upstream.mock().cancellations()).containsExactlyInAnyOrderElementsOf(cancelledIds);
    } else {
      assertThat(upstream.serverStats().get("cancelled")).hasSize(5);
      assertThat(upstream.serverStats().get("inFlight").asInt()).isZero();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 5. Errors mixed into a concurrent load

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void errorsMixedIntoAConcurrentLoadEachGetExactlyTheirOwnOutcome(Kind kind) {
    Duration timeout = Duration.ofSeconds(5); // for the calls meant to time out; the others need far less
    start(kind, TransportOptions.builder().requestTimeout(timeout).build(), new BlockTools("forbidden"));
    client.initialize();
    long upstreamRequestsBefore = upstream.requestsReceived();

    int n = 60;
    Map<RequestId, Integer> kinds = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      RequestId id = mixedId(i, "mix-");
      kinds.put(id, i % 4);
      switch (i % 4) {
        case 0 -> client.receive(echo(id, "ok " + id));
        case 1 -> client.receive(fail(id, -32050 - i % 7, "upstream refuses " + id));
        case 2 -> client.receive(call(id, "forbidden", "n", i));
        default -> client.receive(sleep(id, ONE_DAY_MS));
      }
    }
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(kinds.keySet());

    int i = 0;
    for (Map.Entry<RequestId, Integer> entry : kinds.entrySet()) {
      RequestId id = entry.getKey();
      JsonRpcResponse response = answers.get(id);
      assertThat(client.responsesTo(id)).as("answers to %s", id).hasSize(1);
      switch (entry.getValue()) {
        case 0 -> assertThat(text(response)).isEqualTo("ok " + id);
        case 1 -> {
          assertThat(response.error().code()).as("code for %s", id).isEqualTo(-32050 - i % 7);
          assertThat(response.error().message()).isEqualTo("upstream refuses " + id);
        }
        case 2 -> {
          assertThat(response.error().code()).as("code for %s", id).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
          assertThat(response.error().message()).contains(BlockTools.REASON + " (forbidden)");
        }
        default -> {
          assertThat(response.error().code()).as("code for %s", id).isEqualTo(ErrorCodes.REQUEST_TIMEOUT);
          assertThat(response.error().message()).contains("timed out");
          assertThat(auditor.eventsFor(id, Direction.UPSTREAM_TO_CLIENT))
              .singleElement().extracting(AuditEvent::outcome).isEqualTo(Outcome.TIMED_OUT);
        }
      }
      i++;
    }
    assertSettled();
    assertThat(upstream.requestsReceived() - upstreamRequestsBefore)
        .as("blocked calls never reach the upstream")
        .isEqualTo(n - n / 4);
    ProxyStats stats = proxy.stats();
    assertThat(stats.blocked()).isEqualTo(n / 4);
    assertThat(stats.failed()).as("timeouts").isEqualTo(n / 4);
  }

  // ---------------------------------------------------------------------------------------------
  // 6. The in-flight limit

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void pastTheInFlightLimitRejectAnswersTheOverflowWithOverloaded(Kind kind) {
    start(kind, TransportOptions.builder().maxInFlight(10).overflowPolicy(OverflowPolicy.REJECT).build());
    client.initialize();
    client.holdSampling();
    List<RequestId> ids = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      RequestId id = mixedId(i, "limit-");
      ids.add(id);
      client.receive(sample(id, "prompt " + id));
    }
    await("10 calls held at the upstream and 15 refused",
        () -> client.heldSampling() == 10 && client.responseCount() == 1 + 15);
    List<RequestId> refused = ids.stream().filter(client::answered).toList();
    assertThat(refused).hasSize(15);
    for (RequestId id : refused) {
      JsonRpcResponse response = client.awaitResponse(id);
      assertThat(response.error().code()).isEqualTo(ErrorCodes.OVERLOADED);
      assertThat(response.error().message())
          .contains("overloaded").contains("10").contains("raise max_requests_in_flight");
    }

    client.releaseSampling();
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(ids);
    ids.stream().filter(id -> !refused.contains(id))
        .forEach(id -> assertThat(text(answers.get(id))).isEqualTo("reply:prompt " + id));
    ids.forEach(id -> assertThat(client.responsesTo(id)).hasSize(1));
    assertThat(upstream.maxConcurrent()).isEqualTo(10);
    assertThat(proxy.upstreamStats().get(UPSTREAM).rejected()).isEqualTo(15);
    assertSettled();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void pastTheInFlightLimitQueueLetsEveryCallWaitAndNeverExceedsTheLimit(Kind kind) {
    start(kind, TransportOptions.builder().maxInFlight(10).overflowPolicy(OverflowPolicy.QUEUE).build());
    client.initialize();
    client.holdSampling();
    List<RequestId> ids = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      RequestId id = mixedId(i, "queue-");
      ids.add(id);
      client.receive(sample(id, "prompt " + id));
    }
    await("10 calls held at the upstream and 15 queued",
        () -> client.heldSampling() == 10 && proxy.upstreamStats().get(UPSTREAM).queued() == 15);
    assertThat(client.responseCount()).as("nothing answered yet but initialize").isEqualTo(1);
    assertThat(proxy.stats().inFlight()).isEqualTo(25);

    client.releaseSampling();
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(ids);
    ids.forEach(id -> assertThat(text(answers.get(id))).isEqualTo("reply:prompt " + id));
    assertThat(upstream.maxConcurrent()).as("never more than the limit at the upstream").isEqualTo(10);
    assertThat(proxy.upstreamStats().get(UPSTREAM).maxInFlight()).isEqualTo(10);
    assertThat(proxy.upstreamStats().get(UPSTREAM).rejected()).isZero();
    assertThat(proxy.stats().maxInFlight()).isGreaterThanOrEqualTo(25);
    assertSettled();
  }

  // ---------------------------------------------------------------------------------------------
  // 7. A slow plugin does not starve the others

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void aSlowSecurityCheckOnOneToolDoesNotHoldUpTheOtherCalls(Kind kind) throws InterruptedException {
    SlowCheck slow = new SlowCheck("sleep");
    start(kind, TransportOptions.defaults(), slow);
    client.initialize();
    RequestId slowId = RequestId.of("slow");
    client.receive(sleep(slowId, 1));
    assertThat(slow.awaitEntered()).isTrue();

    List<RequestId> ids = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      RequestId id = mixedId(i, "fast-");
      ids.add(id);
      client.receive(echo(id, "fast " + id));
    }
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(ids);
    ids.forEach(id -> assertThat(text(answers.get(id))).isEqualTo("fast " + id));
    assertThat(client.answered(slowId)).as("the slow call is still being checked").isFalse();
    // A call's counter drops just after its answer is sent, so wait for the last fast one to leave.
    await("only the slow call left in flight", () -> proxy.stats().inFlight() == 1);
    assertThat(client.answered(slowId)).isFalse();
    assertThat(slow.fastChecks()).isGreaterThanOrEqualTo(50);

    slow.release();
    assertThat(text(client.awaitResponse(slowId))).isEqualTo("slept 1 ms");
    assertSettled();
  }

  // ---------------------------------------------------------------------------------------------
  // 8. Auditing sees every request once, with its outcome

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void auditingSeesEveryRequestOnceWithItsOutcome(Kind kind) {
    start(kind, TransportOptions.defaults(), new BlockTools("forbidden"), new AliasAndCache());
    client.initialize();
    Map<RequestId, Integer> kinds = new LinkedHashMap<>();
    for (int i = 0; i < 60; i++) {
      RequestId id = mixedId(i, "audit-");
      kinds.put(id, i % 5);
      switch (i % 5) {
        case 0 -> client.receive(echo(id, "plain " + id));
        case 1 -> client.receive(call(id, "alias", "text", "aliased " + id));
        case 2 -> client.receive(call(id, "cached"));
        case 3 -> client.receive(call(id, "forbidden"));
        default -> client.receive(fail(id, -32042, "refused " + id));
      }
    }
    Map<RequestId, JsonRpcResponse> answers = client.awaitResponses(kinds.keySet());

    int expectedEvents = 0;
    for (Map.Entry<RequestId, Integer> entry : kinds.entrySet()) {
      RequestId id = entry.getKey();
      List<AuditEvent> up = auditor.eventsFor(id, Direction.CLIENT_TO_UPSTREAM);
      List<AuditEvent> down = auditor.eventsFor(id, Direction.UPSTREAM_TO_CLIENT);
      assertThat(up).as("events of %s on the way up", id).hasSize(1);
      AuditEvent request = up.get(0);
      assertThat(request.method()).isEqualTo(McpMethods.TOOLS_CALL);
      assertThat(request.upstream()).isEqualTo(UPSTREAM);
      JsonRpcResponse answer = answers.get(id);
      switch (entry.getValue()) {
        case 0 -> {
          assertThat(request.outcome()).isEqualTo(Outcome.ALLOWED);
          assertAnswerEvent(id, down, answer, false);
          assertThat(text(answer)).isEqualTo("plain " + id);
        }
        case 1 -> {
          assertThat(request.outcome()).isEqualTo(Outcome.MODIFIED);
          assertThat(((JsonRpcRequest) request.message()).params().path("name").asText()).isEqualTo("echo");
          assertAnswerEvent(id, down, answer, false);
          assertThat(text(answer)).isEqualTo("aliased " + id);
        }
        case 2 -> {
          assertThat(request.outcome()).isEqualTo(Outcome.COMPLETED);
          assertThat(down).as("a call a plugin answered has no upstream answer").isEmpty();
          assertThat(text(answer)).isEqualTo("cached for " + id);
        }
        case 3 -> {
          assertThat(request.outcome()).isEqualTo(Outcome.BLOCKED);
          assertThat(request.message()).as("a blocked message never reaches the audit log").isNull();
          assertThat(request.reason()).contains(BlockTools.REASON);
          assertThat(down).isEmpty();
          assertThat(answer.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
        }
        default -> {
          assertThat(request.outcome()).isEqualTo(Outcome.ALLOWED);
          assertAnswerEvent(id, down, answer, true);
          assertThat(answer.error().code()).isEqualTo(-32042);
        }
      }
      expectedEvents += 1 + down.size();
    }
    long eventsOfTheseIds = auditor.events().stream().filter(e -> kinds.containsKey(e.requestId())).count();
    assertThat(eventsOfTheseIds).isEqualTo(expectedEvents);
    assertSettled();
  }

  private static void assertAnswerEvent(RequestId id, List<AuditEvent> down, JsonRpcResponse answer, boolean error) {
    assertThat(down).as("events of %s on the way back", id).hasSize(1);
    AuditEvent event = down.get(0);
    assertThat(event.outcome()).isEqualTo(Outcome.ALLOWED);
    assertThat(event.duration()).isNotNull();
    assertThat(event.message()).isInstanceOf(JsonRpcResponse.class);
    JsonRpcResponse seen = (JsonRpcResponse) event.message();
    assertThat(seen.id()).isEqualTo(id);
    assertThat(seen.isError()).isEqualTo(error);
    assertThat(seen).isEqualTo(answer);
  }

  // ---------------------------------------------------------------------------------------------
  // Before initialize

  @ParameterizedTest(name = "{0}")
  @EnumSource(Kind.class)
  void requestsBeforeInitializeAreRefusedAndNeverReachTheUpstream(Kind kind) {
    start(kind, TransportOptions.defaults());
    RequestId one = RequestId.of(1);
    JsonRpcResponse refused = client.request(echo(one, "too early"));
    assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(refused.error().message()).contains("initialize");
    assertThat(client.request(new JsonRpcRequest(RequestId.of("ping"), McpMethods.PING, null)).isError())
        .as("ping is allowed at any time").isFalse();
    assertThat(upstream.requestsReceived()).isZero();

    client.initialize();
    JsonRpcResponse again = client.request(ScenarioRequests.initialize(RequestId.of("init-again")));
    assertThat(again.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(text(client.request(echo(one, "now")))).isEqualTo("now");
    assertThat(upstream.requestsReceived()).as("initialize and the echo").isEqualTo(2);
    assertSettled();
  }
}
