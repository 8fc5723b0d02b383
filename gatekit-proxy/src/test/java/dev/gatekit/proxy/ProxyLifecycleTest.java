package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.CODEC;
import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.hold;
import static dev.gatekit.proxy.ProxyFixture.initializeRequest;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.obj;
import static dev.gatekit.proxy.ProxyFixture.ok;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportState;
import dev.gatekit.testkit.Fault;
import dev.gatekit.testkit.MockTransport;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The MCP lifecycle through the proxy: initialize, the initialized notification, and shutdown. */
class ProxyLifecycleTest {

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final List<MockTransport> mocks = new ArrayList<>();
  private final CompletableFuture<Void> release = new CompletableFuture<>();
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    release.complete(null);
    if (proxy != null) {
      proxy.close();
    }
    mocks.forEach(MockTransport::close);
  }

  // ---------------------------------------------------------------------------------------------
  // initialize

  @Test
  void initializeIsForwardedToEveryUpstreamWithTheClientsVersionAndCapabilities() {
    MockTransport a = mock(MockTransport.builder().result("initialize", initializeResult("a")));
    MockTransport b = mock(MockTransport.builder().result("initialize", initializeResult("b")));
    proxy = GatekitProxy.builder().upstream("a", a).upstream("b", b).build();
    proxy.connect(client);

    JsonRpcRequest initialize = initializeRequest(1);
    proxy.receive(initialize);
    client.awaitResponse(1);

    for (MockTransport upstream : List.of(a, b)) {
      assertThat(upstream.requests()).singleElement().satisfies(sent -> {
        assertThat(sent.method()).isEqualTo("initialize");
        assertThat(sent.params()).isEqualTo(initialize.params());
        assertThat(sent.params().get("protocolVersion").textValue()).isEqualTo("2025-11-25");
        assertThat(sent.params().get("capabilities")).isEqualTo(json("{'sampling':{},'roots':{'listChanged':true}}"));
      });
    }
  }

  @Test
  void withOneUpstreamItsInitializeResultReachesTheClientByteForByte() {
    ObjectNode upstreamResult = obj("{'protocolVersion':'2025-06-18',"
        + "'capabilities':{'tools':{'listChanged':true},'experimental':{'x':{'deep':[1,2]}}},"
        + "'serverInfo':{'name':'the-server','title':'The Server','version':'9.9.9'},"
        + "'instructions':'Call echo first.\\nThen sum.','_meta':{'vendor':'v'}}");
    MockTransport only = mock(MockTransport.builder().result("initialize", upstreamResult));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);

    proxy.receive(initializeRequest(1));
    JsonRpcResponse answer = client.awaitResponse(1);

    assertThat(answer.isError()).isFalse();
    assertThat(answer.result()).isEqualTo(upstreamResult);
    assertThat(fieldNames(answer.result())).containsExactly(fieldNames(upstreamResult).toArray(String[]::new));
    assertThat(CODEC.encodeToString(answer))
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":" + upstreamResult + "}");
  }

  @Test
  void withSeveralUpstreamsCapabilitiesAreMergedAndEachUpstreamsInstructionsKept() {
    MockTransport a = mock(MockTransport.builder().result("initialize", obj("{'protocolVersion':'2025-11-25',"
        + "'capabilities':{'tools':{'listChanged':true},'logging':{}},"
        + "'serverInfo':{'name':'a','version':'1'},'instructions':'Use a for files.'}")));
    MockTransport b = mock(MockTransport.builder().result("initialize", obj("{'protocolVersion':'2025-11-25',"
        + "'capabilities':{'tools':{'listChanged':false},'prompts':{'listChanged':false},"
        + "'resources':{'subscribe':true,'listChanged':true}},"
        + "'serverInfo':{'name':'b','version':'2'},'instructions':'Use b for memory.'}")));
    MockTransport c = mock(MockTransport.builder().result("initialize", obj("{'protocolVersion':'2025-11-25',"
        + "'capabilities':{'prompts':{'listChanged':true}},'serverInfo':{'name':'c','version':'3'}}")));
    proxy = GatekitProxy.builder().upstream("a", a).upstream("b", b).upstream("c", c).build();
    proxy.connect(client);

    proxy.receive(initializeRequest(1));
    JsonNode result = client.awaitResponse(1).result();

    assertThat(result.get("protocolVersion").textValue()).isEqualTo("2025-11-25");
    JsonNode capabilities = result.get("capabilities");
    assertThat(capabilities.get("tools").get("listChanged").booleanValue()).as("true if any").isTrue();
    assertThat(capabilities.get("prompts").get("listChanged").booleanValue()).as("true if any").isTrue();
    assertThat(capabilities.get("resources")).isEqualTo(json("{'subscribe':true,'listChanged':true}"));
    assertThat(capabilities.get("logging")).isEqualTo(json("{}"));
    assertThat(result.get("serverInfo").get("name").textValue()).isEqualTo("gatekit");
    assertThat(result.get("serverInfo").get("version").isTextual()).isTrue();
    assertThat(result.get("instructions").textValue())
        .contains("a: Use a for files.")
        .contains("b: Use b for memory.");
  }

  @Test
  void anUpstreamFailingInitializeIsReportedInTheInstructionsAndTheOthersServe() {
    MockTransport a = mock(MockTransport.builder()
        .result("initialize", initializeResult("a"))
        .handle("tools/call", r -> ok(r, "{'from':'a'}")));
    MockTransport b = mock(MockTransport.builder()
        .fault("initialize", Fault.errorResponse(ErrorCodes.INTERNAL_ERROR, "b has no licence")));
    proxy = GatekitProxy.builder().upstream("a", a).upstream("b", b).build();
    proxy.connect(client);

    JsonRpcResponse answer = handshake(proxy, client);
    proxy.receive(request(2, "tools/call", "{'name':'a__echo'}"));

    assertThat(answer.result().get("instructions").textValue()).contains("'b'").contains("b has no licence");
    assertThat(answer.result().get("capabilities")).isEqualTo(json("{'tools':{'listChanged':false}}"));
    assertThat(client.awaitResponse(2).result()).isEqualTo(json("{'from':'a'}"));
  }

  @Test
  void requestsBeforeInitializeAreInvalidButPingIsAnswered() {
    MockTransport only = mock(MockTransport.builder()
        .result("initialize", initializeResult("only"))
        .handle("tools/list", r -> ok(r, "{'tools':[]}")));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);

    proxy.receive(request(1, "tools/list"));
    proxy.receive(request(2, "ping"));

    JsonRpcResponse refused = client.awaitResponse(1);
    assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(refused.error().message()).contains("initialize");
    assertThat(client.awaitResponse(2).isError()).isFalse();
    assertThat(only.requests()).isEmpty();
  }

  @Test
  void aSecondInitializeIsInvalidAndNeverReachesTheUpstream() {
    MockTransport only = mock(MockTransport.builder().result("initialize", initializeResult("only")));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);
    handshake(proxy, client);

    proxy.receive(initializeRequest(2));

    JsonRpcResponse refused = client.awaitResponse(2);
    assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(only.requests()).extracting(JsonRpcRequest::method).containsExactly("initialize");
  }

  @Test
  void anInitializeWhileTheFirstIsInFlightIsInvalid() {
    MockTransport only = mock(MockTransport.builder().handle("initialize", r -> {
      hold(release);
      return JsonRpcResponse.success(r.id(), initializeResult("only"));
    }));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);

    proxy.receive(initializeRequest(1));
    assertThat(only.awaitInFlight(1, PATIENCE)).isTrue();
    proxy.receive(initializeRequest(2));
    JsonRpcResponse refused = client.awaitResponse(2);
    release.complete(null);

    assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(client.awaitResponse(1).isError()).isFalse();
    assertThat(only.requests()).hasSize(1);
  }

  @Test
  void aFailedInitializeMayBeRetried() {
    AtomicInteger attempts = new AtomicInteger();
    MockTransport only = mock(MockTransport.builder().handle("initialize", r -> attempts.incrementAndGet() == 1
        ? JsonRpcResponse.failure(r.id(), ErrorCodes.INVALID_PARAMS, "Unsupported protocol version")
        : JsonRpcResponse.success(r.id(), initializeResult("only"))));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);

    proxy.receive(initializeRequest(1));
    JsonRpcResponse first = client.awaitResponse(1);
    proxy.receive(initializeRequest(2));
    JsonRpcResponse second = client.awaitResponse(2);

    assertThat(first.error().code()).as("the upstream's own error passes through").isEqualTo(ErrorCodes.INVALID_PARAMS);
    assertThat(first.error().message()).isEqualTo("Unsupported protocol version");
    assertThat(second.isError()).isFalse();
  }

  @Test
  void theInitializedNotificationReachesEveryUpstream() {
    MockTransport a = mock(MockTransport.builder().result("initialize", initializeResult("a")));
    MockTransport b = mock(MockTransport.builder().result("initialize", initializeResult("b")));
    proxy = GatekitProxy.builder().upstream("a", a).upstream("b", b).build();
    proxy.connect(client);

    handshake(proxy, client);

    for (MockTransport upstream : List.of(a, b)) {
      await("notifications/initialized upstream", () -> !upstream.notifications().isEmpty());
      assertThat(upstream.notifications()).singleElement()
          .satisfies(n -> assertThat(n.method()).isEqualTo("notifications/initialized"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Upstreams that cannot start

  @Test
  void withOneUpstreamThatCannotStartEveryRequestGetsUpstreamUnavailable() {
    MockTransport dead = mock(MockTransport.builder().result("initialize", initializeResult("dead")));
    dead.close(); // start() now throws TransportClosedException
    proxy = GatekitProxy.builder().upstream("dead", dead).build();

    proxy.connect(client); // logs, does not throw

    proxy.receive(initializeRequest(1));
    JsonRpcResponse answer = client.awaitResponse(1);
    assertThat(answer.error().code()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
  }

  @Test
  void requestsRoutedToAnUpstreamThatCannotStartGetUpstreamUnavailableTheOthersServe() {
    MockTransport a = mock(MockTransport.builder()
        .result("initialize", initializeResult("a"))
        .handle("tools/call", r -> ok(r, "{'from':'a'}")));
    MockTransport b = mock(MockTransport.builder().result("initialize", initializeResult("b")));
    b.close();
    proxy = GatekitProxy.builder().upstream("a", a).upstream("b", b).build();
    proxy.connect(client);

    JsonRpcResponse init = handshake(proxy, client);
    proxy.receive(request(1, "tools/call", "{'name':'b__echo'}"));
    proxy.receive(request(2, "tools/call", "{'name':'a__echo'}"));

    assertThat(init.result().get("instructions").textValue()).contains("'b'");
    JsonRpcResponse unavailable = client.awaitResponse(1);
    assertThat(unavailable.error().code()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    assertThat(client.awaitResponse(2).result()).isEqualTo(json("{'from':'a'}"));
    assertThat(a.state()).isEqualTo(TransportState.RUNNING);
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  @Test
  void closeFailsWhatIsInFlightClosesEveryUpstreamAndLeavesNoProxyThread() {
    Set<Thread> proxyThreadsBefore = proxyThreads();
    MockTransport a = mock(MockTransport.builder()
        .result("initialize", initializeResult("a"))
        .handle("tools/call", r -> {
          hold(release);
          return ok(r, "{}");
        }));
    MockTransport b = mock(MockTransport.builder()
        .result("initialize", initializeResult("b"))
        .handle("tools/call", r -> {
          hold(release);
          return ok(r, "{}");
        }));
    proxy = GatekitProxy.builder().upstream("a", a).upstream("b", b).build();
    proxy.connect(client);
    handshake(proxy, client);
    for (int i = 0; i < 10; i++) {
      proxy.receive(request(i, "tools/call", "{'name':'" + (i % 2 == 0 ? "a" : "b") + "__slow'}"));
    }
    assertThat(a.awaitInFlight(5, PATIENCE)).isTrue();
    assertThat(b.awaitInFlight(5, PATIENCE)).isTrue();
    assertThat(proxy.stats().inFlight()).isEqualTo(10);

    proxy.close();

    for (int i = 0; i < 10; i++) {
      JsonRpcResponse failed = client.awaitResponse(i);
      assertThat(failed.error().code()).as("request %s", i).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    }
    assertThat(proxy.stats().inFlight()).isZero();
    assertThat(a.state()).isEqualTo(TransportState.CLOSED);
    assertThat(b.state()).isEqualTo(TransportState.CLOSED);
    await("the proxy's threads to end", () -> proxyThreadsBefore.containsAll(proxyThreads()));
    proxy.close(); // idempotent
  }

  @Test
  void afterCloseARequestIsAnsweredWithAnErrorAndANotificationIsDropped() {
    MockTransport only = mock(MockTransport.builder().result("initialize", initializeResult("only")));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);
    handshake(proxy, client);
    proxy.close();

    proxy.receive(ProxyFixture.notification("notifications/roots/list_changed", null));
    proxy.receive(request(1, "tools/list"));

    assertThat(client.awaitResponse(1).isError()).isTrue();
    assertThat(proxy.stats().inFlight()).isZero();
  }

  @Test
  void closeBeforeConnectClosesTheUpstreams() {
    MockTransport only = mock(MockTransport.builder());
    proxy = GatekitProxy.builder().upstream("only", only).build();

    proxy.close();

    assertThat(only.state()).isEqualTo(TransportState.CLOSED);
    assertThatThrownBy(() -> proxy.receive(request(1, "ping"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aProxyServesOneConnection() {
    MockTransport only = mock(MockTransport.builder());
    proxy = GatekitProxy.builder().upstream("only", only).build();
    proxy.connect(client);

    assertThatThrownBy(() -> proxy.connect(new ProxyFixture.Client())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aRequestIdMayBeReusedAsSoonAsItsResponseIsSent() {
    // A client that sends its next request, with the same id, from inside send(): the earliest moment
    // a client can know that the id is free again.
    MockTransport only = mock(MockTransport.builder()
        .result("initialize", initializeResult("only"))
        .handle("tools/call", r -> ok(r, "{'n':" + r.params().get("n") + "}")));
    proxy = GatekitProxy.builder().upstream("only", only).build();
    AtomicReference<GatekitProxy> self = new AtomicReference<>(proxy);
    AtomicInteger round = new AtomicInteger();
    proxy.connect(message -> {
      client.send(message);
      if (message instanceof JsonRpcResponse response && RequestId.of(1).equals(response.id())) {
        int next = round.incrementAndGet();
        if (next < 5) {
          self.get().receive(request(1, "tools/call", "{'name':'x','n':" + next + "}"));
        }
      }
    });
    handshake(proxy, client);

    proxy.receive(request(1, "tools/call", "{'name':'x','n':0}"));
    List<JsonRpcResponse> answers =
        client.awaitCount(JsonRpcResponse.class, r -> RequestId.of(1).equals(r.id()), 5, "five answers to id 1");

    assertThat(answers).allSatisfy(r -> assertThat(r.isError()).as("%s", r).isFalse());
    assertThat(answers).extracting(r -> r.result().get("n").intValue()).containsExactly(0, 1, 2, 3, 4);
  }

  // ---------------------------------------------------------------------------------------------

  private MockTransport mock(MockTransport.Builder builder) {
    MockTransport mock = builder.build();
    mocks.add(mock);
    return mock;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    Iterator<String> it = node.fieldNames();
    it.forEachRemaining(names::add);
    return names;
  }

  private static Set<Thread> proxyThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("gatekit-proxy-") && t.isAlive())
        .collect(Collectors.toSet());
  }
}
