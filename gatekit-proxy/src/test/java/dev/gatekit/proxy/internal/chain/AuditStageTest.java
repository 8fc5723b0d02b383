package dev.gatekit.proxy.internal.chain;

import static dev.gatekit.proxy.internal.chain.TestPlugins.CONTEXT;
import static dev.gatekit.proxy.internal.chain.TestPlugins.NODES;
import static dev.gatekit.proxy.internal.chain.TestPlugins.auditor;
import static dev.gatekit.proxy.internal.chain.TestPlugins.call;
import static dev.gatekit.proxy.internal.chain.TestPlugins.keeping;
import static dev.gatekit.proxy.internal.chain.TestPlugins.notification;
import static dev.gatekit.proxy.internal.chain.TestPlugins.result;
import static dev.gatekit.proxy.internal.chain.TestPlugins.sensitiveWhen;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.testkit.Fault;
import dev.gatekit.testkit.MockTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Auditing as the first stage: what is recorded when, critical auditors, and what an event may carry. */
class AuditStageTest {

  private static final String AKIA = "AKIAIOSFODNN7EXAMPLE";
  private static final String REDACTED = SensitiveText.REPLACEMENT;

  private final TestPlugins plugins = new TestPlugins();
  private final List<AuditEvent> events = Collections.synchronizedList(new ArrayList<>());

  // ---------------------------------------------------------------------------------------------
  // What is recorded, and when

  @Test
  void aRequestThatGoesAndComesBackIsRecordedAsItLeavesAndAsItComesBack() {
    Stages stages = stages(List.of(
        plugins.middleware("M", 10, m -> m instanceof JsonRpcRequest request
            ? PluginResult.modify(request.withParams(NODES.objectNode().put("name", "renamed")), "renamed the tool")
                .withMetadata("tool", "echo")
            : PluginResult.allow()),
        plugins.security("S", 10, m -> m instanceof JsonRpcResponse
            ? PluginResult.allow().withMetadata("checked", true)
            : PluginResult.allow())),
        keeping(events));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = TestPlugins.towardsUpstream(stages, farSide, call());

    assertThat(events).hasSize(2);
    AuditEvent departure = events.get(0);
    assertThat(departure.direction()).isEqualTo(Direction.CLIENT_TO_UPSTREAM);
    assertThat(departure.upstream()).isEqualTo("up");
    assertThat(departure.method()).isEqualTo("tools/call");
    assertThat(departure.requestId()).isEqualTo(RequestId.of(7));
    assertThat(departure.outcome()).isEqualTo(AuditEvent.Outcome.MODIFIED);
    assertThat(departure.message()).isSameAs(farSide.seen().get(0));
    assertThat(departure.reason()).isEqualTo("renamed the tool");
    assertThat(departure.metadata()).containsExactlyEntriesOf(Map.of("tool", "echo"));
    assertThat(departure.duration()).isNull();

    AuditEvent back = events.get(1);
    assertThat(back.direction()).isEqualTo(Direction.UPSTREAM_TO_CLIENT);
    assertThat(back.upstream()).isEqualTo("up");
    assertThat(back.method()).isEqualTo("tools/call");
    assertThat(back.requestId()).isEqualTo(RequestId.of(7));
    assertThat(back.outcome()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(back.message()).isSameAs(outcome.message());
    assertThat(back.reason()).isNull();
    assertThat(back.metadata()).containsExactlyEntriesOf(Map.of("checked", true));
    assertThat(back.duration()).isNotNull().satisfies(took -> assertThat(took.isNegative()).isFalse());
  }

  @Test
  void anUntouchedRequestIsRecordedAllowedWithTheSameInstance() {
    JsonRpcRequest request = call();
    Stages stages = stages(List.of(), keeping(events));

    TestPlugins.towardsUpstream(stages, FarSide.answering(result()), request);

    assertThat(events).extracting(AuditEvent::outcome)
        .containsExactly(AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.ALLOWED);
    assertThat(events.get(0).message()).isSameAs(request);
  }

  @Test
  void everyAuditorSeesEveryEventInTheOrderAdded() {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    Stages stages = stages(List.of(),
        auditor(false, e -> seen.add("first:" + e.direction())),
        auditor(false, e -> seen.add("second:" + e.direction())));

    TestPlugins.towardsUpstream(stages, FarSide.answering(result()), call());

    assertThat(seen).containsExactly("first:CLIENT_TO_UPSTREAM", "second:CLIENT_TO_UPSTREAM",
        "first:UPSTREAM_TO_CLIENT", "second:UPSTREAM_TO_CLIENT");
  }

  @Test
  void aServerToClientRequestIsRecordedTowardsTheClientAndItsAnswerTowardsTheUpstream() {
    Stages stages = stages(List.of(), keeping(events));
    PluginContext context =
        PluginContext.of(Direction.UPSTREAM_TO_CLIENT, "up", RequestId.of(3), "sampling/createMessage");

    Chain.run(stages.towardsClient("up", FarSide.answering(result())), passage(context),
        new JsonRpcRequest(RequestId.of(3), "sampling/createMessage", NODES.objectNode())).join();

    assertThat(events).extracting(AuditEvent::direction)
        .containsExactly(Direction.UPSTREAM_TO_CLIENT, Direction.CLIENT_TO_UPSTREAM);
    assertThat(events).extracting(AuditEvent::method).containsOnly("sampling/createMessage");
  }

  @Test
  void aRequestThatStopsOnTheWayOutIsRecordedOnceWhereItStopped() {
    FarSide farSide = FarSide.answering(result());
    Stages blocking = stages(List.of(
        plugins.security("guard", 10, m -> PluginResult.block("not allowed").withMetadata("rule", "deny"))),
        keeping(events));
    Stages completing = stages(List.of(plugins.middleware("cache", 10,
        m -> PluginResult.complete(result(), "cache hit"))), keeping(events));
    Stages failing = stages(List.of(plugins.middleware("broken", 10, m -> {
      throw new IllegalStateException("bug");
    })), keeping(events));

    TestPlugins.towardsUpstream(blocking, farSide, call());
    Outcome completed = TestPlugins.towardsUpstream(completing, farSide, call());
    TestPlugins.towardsUpstream(failing, farSide, call());

    assertThat(farSide.seen()).isEmpty();
    assertThat(events).hasSize(3).allSatisfy(event -> {
      assertThat(event.direction()).isEqualTo(Direction.CLIENT_TO_UPSTREAM);
      assertThat(event.duration()).isNull();
    });
    assertThat(events).extracting(AuditEvent::outcome).containsExactly(
        AuditEvent.Outcome.BLOCKED, AuditEvent.Outcome.COMPLETED, AuditEvent.Outcome.FAILED);
    AuditEvent blocked = events.get(0);
    assertThat(blocked.message()).isNull();
    assertThat(blocked.reason()).contains("not allowed");
    assertThat(blocked.metadata()).containsEntry("rule", "deny");
    assertThat(events.get(1).message()).isSameAs(completed.message());
    assertThat(events.get(1).reason()).isEqualTo("cache hit");
    assertThat(events.get(2).message()).isNull();
    assertThat(events.get(2).reason()).contains("broken");
  }

  @Test
  void aNotificationIsRecordedOnceInTheDirectionItTravels() {
    Stages stages = stages(List.of(plugins.security("guard", 10,
        m -> m.equals(notification("notifications/secret")) ? PluginResult.block("no") : PluginResult.allow())),
        keeping(events));
    FarSide upstream = FarSide.answering(result());
    FarSide client = FarSide.answering(result());

    TestPlugins.towardsUpstream(stages, upstream, notification("notifications/initialized"));
    Chain.run(stages.towardsClient("up", client),
        passage(PluginContext.of(Direction.UPSTREAM_TO_CLIENT, "up", null, "notifications/progress")),
        notification("notifications/progress")).join();
    TestPlugins.towardsUpstream(stages, upstream, notification("notifications/secret"));

    assertThat(events).extracting(AuditEvent::direction).containsExactly(
        Direction.CLIENT_TO_UPSTREAM, Direction.UPSTREAM_TO_CLIENT, Direction.CLIENT_TO_UPSTREAM);
    assertThat(events).extracting(AuditEvent::outcome).containsExactly(
        AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.BLOCKED);
    assertThat(events.get(0).message()).isSameAs(upstream.seen().get(0));
    assertThat(events.get(1).message()).isSameAs(client.seen().get(0));
    assertThat(events.get(2).message()).isNull();
    assertThat(events).allSatisfy(event -> assertThat(event.duration()).isNull());
  }

  @Test
  void anAnswerBlockedOnTheWayBackIsRecordedWithoutTheAnswer() {
    Stages stages = stages(List.of(plugins.security("guard", 10,
        m -> m instanceof JsonRpcResponse ? PluginResult.block("leaks a key") : PluginResult.allow())),
        keeping(events));

    Outcome outcome = TestPlugins.towardsUpstream(stages, FarSide.answering(result()), call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(events).extracting(AuditEvent::outcome)
        .containsExactly(AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.BLOCKED);
    assertThat(events.get(0).message()).isEqualTo(call());
    assertThat(events.get(1).message()).isNull();
    assertThat(events.get(1).reason()).contains("leaks a key");
  }

  @Test
  void anUpstreamThatFailsOrTimesOutIsRecordedFailedOrTimedOut() {
    MockTransport transport = MockTransport.builder()
        .fault("tools/call", Fault.exception(TransportClosedException.upstreamEnded(
            "Upstream exited with code 1", 1, java.util.List.of("Traceback " + AKIA))))
        .fault("tools/slow", Fault.exception(new RequestTimeoutException("tools/slow", Duration.ofSeconds(60))))
        .build();
    transport.start();
    try {
      Stages stages = stages(List.of(), keeping(events));
      UpstreamStage upstream = new UpstreamStage("up", transport, null, null);
      PluginContext slow = PluginContext.of("up", RequestId.of(8), "tools/slow");

      Outcome closed = Chain.run(stages.towardsUpstream("up", upstream), passage(CONTEXT), call()).join();
      Outcome timedOut = Chain.run(stages.towardsUpstream("up", upstream), passage(slow),
          new JsonRpcRequest(RequestId.of(8), "tools/slow", null)).join();

      assertThat(closed.errorCode()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
      assertThat(timedOut.errorCode()).isEqualTo(ErrorCodes.REQUEST_TIMEOUT);
      assertThat(events).extracting(AuditEvent::outcome).containsExactly(
          AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.FAILED, AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.TIMED_OUT);
      AuditEvent failed = events.get(1);
      assertThat(failed.direction()).isEqualTo(Direction.UPSTREAM_TO_CLIENT);
      assertThat(failed.message()).isNull();
      assertThat(failed.duration()).isNotNull();
      assertThat(failed.reason()).isEqualTo("Upstream exited with code 1").doesNotContain("Traceback");
      assertThat(events.get(3).reason()).contains("tools/slow", "timed out");
      assertThat(events.get(3).duration()).isNotNull();
    } finally {
      transport.close();
    }
  }

  @Test
  void anAnswerLostOnTheWayBackIsStillRecordedFailed() {
    // The way back is handed to the plugin executor; once it is shut down (the gateway closing while
    // requests are in flight), the hand-off fails and the chain's future fails with it.
    MockTransport transport = MockTransport.builder().result("tools/call", NODES.objectNode()).build();
    transport.start();
    ExecutorService closed = Executors.newSingleThreadExecutor();
    closed.shutdown();
    try {
      Stages stages = stages(List.of(), keeping(events));
      UpstreamStage upstream = new UpstreamStage("up", transport, null, closed);

      Outcome outcome = Chain.run(stages.towardsUpstream("up", upstream), passage(CONTEXT), call())
          .handle((answer, failure) -> answer != null ? answer : Failures.outcomeOf(failure)).join();

      assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.FAILED);
      assertThat(events).extracting(AuditEvent::outcome)
          .containsExactly(AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.FAILED);
      assertThat(events.get(1).direction()).isEqualTo(Direction.UPSTREAM_TO_CLIENT);
    } finally {
      transport.close();
    }
  }

  @Test
  void aCallTheClientCancelsIsRecordedFailedAndThePassageTrackedIt() {
    MockTransport transport = MockTransport.builder()
        .result("tools/call", NODES.objectNode()).latency(Duration.ofMinutes(10)).build();
    transport.start();
    List<CompletableFuture<?>> tracked = Collections.synchronizedList(new ArrayList<>());
    try {
      Stages stages = stages(List.of(), keeping(events));
      UpstreamStage upstream = new UpstreamStage("up", transport, null, null);

      CompletableFuture<Outcome> running =
          Chain.run(stages.towardsUpstream("up", upstream), new Passage(CONTEXT, System.nanoTime(), tracked::add), call());
      assertThat(tracked).hasSize(1);
      assertThat(running).isNotDone();
      tracked.get(0).cancel(true);
      Outcome outcome = running.join();

      assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.FAILED);
      assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
      assertThat(events).extracting(AuditEvent::outcome)
          .containsExactly(AuditEvent.Outcome.ALLOWED, AuditEvent.Outcome.FAILED);
      assertThat(events.get(1).reason()).isEqualTo("Request cancelled");
    } finally {
      transport.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Auditors that fail

  @Test
  void aCriticalAuditorThatFailsAsTheMessageLeavesStopsItBeforeTheFarSideSeesIt() {
    Stages stages = stages(List.of(), auditor(true, e -> {
      throw new IllegalStateException("disk full");
    }), keeping(events));
    FarSide farSide = FarSide.answering(result());

    Outcome request = TestPlugins.towardsUpstream(stages, farSide, call());
    Outcome note = TestPlugins.towardsUpstream(stages, farSide, notification("notifications/initialized"));

    assertThat(List.of(request, note)).allSatisfy(outcome -> {
      assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
      assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.AUDITING_FAILURE);
      assertThat(outcome.message()).isNull();
    });
    assertThat(farSide.seen()).isEmpty();
    assertThat(events).as("the departures, each once; the others still run").hasSize(2);
    assertThat(events.get(0).message()).isEqualTo(call());
    assertThat(events.get(1).message()).isEqualTo(notification("notifications/initialized"));
  }

  @Test
  void aCriticalAuditorThatFailsAsTheAnswerComesBackWithholdsTheAnswer() {
    Stages stages = stages(List.of(), auditor(true, e -> {
      if (e.direction() == Direction.UPSTREAM_TO_CLIENT) {
        throw new IllegalStateException("disk full");
      }
    }), keeping(events));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = TestPlugins.towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.AUDITING_FAILURE);
    assertThat(outcome.message()).isNull();
    assertThat(farSide.seen()).hasSize(1);
    assertThat(events).hasSize(2);
  }

  @Test
  void aNonCriticalAuditorThatThrowsIsIgnoredAndTheOthersStillRun() {
    Stages stages = stages(List.of(), auditor(false, e -> {
      throw new IllegalStateException("disk full");
    }), keeping(events));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = TestPlugins.towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(outcome.message()).isEqualTo(result());
    assertThat(farSide.seen()).hasSize(1);
    assertThat(events).hasSize(2);
  }

  // ---------------------------------------------------------------------------------------------
  // Sensitive text

  @Test
  void sensitiveTextInAnEventIsReplacedWholeKeysAndNestedValuesToo() {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("key-" + AKIA, "fine");
    nested.put("list", List.of("ok", "id " + AKIA, Map.of("deep", AKIA)));
    Stages stages = stages(List.of(plugins.middleware("M", 10, m -> m instanceof JsonRpcRequest request
            ? PluginResult.modify(request.withParams(NODES.objectNode()), "removed " + AKIA)
                .withMetadata("secret", AKIA)
                .withMetadata("nested", nested)
                .withMetadata("count", 3)
                .withMetadata("plain", "hello")
            : PluginResult.allow())),
        List.of(keeping(events)), List.of(sensitiveWhen(text -> text.contains("AKIA"))));
    PluginContext context = PluginContext.of("up", RequestId.of("req-" + AKIA), "tools/" + AKIA);

    Chain.run(stages.towardsUpstream("up", FarSide.answering(result())), passage(context),
        new JsonRpcRequest(RequestId.of("req-" + AKIA), "tools/" + AKIA, null)).join();

    assertThat(events).hasSize(2).allSatisfy(event -> {
      assertThat(event.method()).isEqualTo(REDACTED);
      assertThat(event.requestId()).isEqualTo(RequestId.of(REDACTED));
    });
    AuditEvent departure = events.get(0);
    assertThat(departure.reason()).isEqualTo(REDACTED);
    assertThat(departure.metadata()).containsOnlyKeys("secret", "nested", "count", "plain")
        .containsEntry("secret", REDACTED)
        .containsEntry("count", 3)
        .containsEntry("plain", "hello")
        .containsEntry("nested", Map.of(REDACTED, "fine", "list", List.of("ok", REDACTED, Map.of("deep", REDACTED))));
  }

  @Test
  void twoSensitiveKeysAtOneLevelStayTwoEntries() {
    Stages stages = stages(List.of(plugins.middleware("M", 10, m -> PluginResult.allow()
            .withMetadata("a-" + AKIA, 1).withMetadata("b-" + AKIA, 2))),
        List.of(keeping(events)), List.of(sensitiveWhen(text -> text.contains("AKIA"))));

    TestPlugins.towardsUpstream(stages, FarSide.answering(result()), notification("notifications/initialized"));

    assertThat(events).singleElement().satisfies(event -> {
      assertThat(event.metadata()).hasSize(2).containsValues(1, 2);
      assertThat(event.metadata().keySet()).allSatisfy(key -> assertThat(key).startsWith(REDACTED));
    });
  }

  @Test
  void aNumericIdIsNeverReplaced() {
    Stages stages = stages(List.of(), List.of(keeping(events)), List.of(sensitiveWhen(text -> true)));

    TestPlugins.towardsUpstream(stages, FarSide.answering(result()), call());

    assertThat(events).hasSize(2).allSatisfy(event -> {
      assertThat(event.requestId()).isEqualTo(RequestId.of(7));
      assertThat(event.method()).isEqualTo(REDACTED);
    });
  }

  @Test
  void aPluginWhoseSensitivityCheckThrowsCountsAsSensitive() {
    SecurityPlugin broken = sensitiveWhen(text -> {
      throw new IllegalStateException("bug");
    });
    Stages stages = stages(List.of(plugins.security("guard", 10, m -> PluginResult.block("no"))),
        List.of(keeping(events)), List.of(sensitiveWhen(text -> false), broken));

    Chain.run(stages.towardsUpstream("up", FarSide.answering(result())),
        passage(PluginContext.of("up", RequestId.of("r1"), "tools/call")), call()).join();

    assertThat(events).singleElement().satisfies(event -> {
      assertThat(event.method()).isEqualTo(REDACTED);
      assertThat(event.requestId()).isEqualTo(RequestId.of(REDACTED));
      assertThat(event.reason()).isEqualTo(REDACTED);
    });
  }

  @Test
  void sensitiveTextInAnArrayInMetadataIsReplaced() {
    Stages stages = stages(List.of(plugins.middleware("M", 10,
            m -> PluginResult.allow().withMetadata("keys", new String[] {"ok", AKIA}))),
        List.of(keeping(events)), List.of(sensitiveWhen(text -> text.contains("AKIA"))));

    TestPlugins.towardsUpstream(stages, FarSide.answering(result()), notification("notifications/initialized"));

    assertThat(events).singleElement().satisfies(event ->
        assertThat(String.valueOf(asText(event.metadata().get("keys")))).doesNotContain("AKIA"));
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static Stages stages(List<PluginStage> plugins, AuditingPlugin... auditors) {
    return stages(plugins, List.of(auditors), List.of());
  }

  private static Stages stages(List<PluginStage> plugins, List<AuditingPlugin> auditors, List<SecurityPlugin> sensitive) {
    return new Stages(plugins, auditors, sensitive);
  }

  private static Passage passage(PluginContext context) {
    return new Passage(context, System.nanoTime(), null);
  }

  /** The text an audit log would write for a metadata value. */
  private static Object asText(Object value) {
    return value instanceof Object[] array ? java.util.Arrays.deepToString(array) : value;
  }
}
