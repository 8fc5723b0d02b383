package dev.gatekit.transport.http;

import static dev.gatekit.transport.http.Mcp.await;
import static dev.gatekit.transport.http.Mcp.call;
import static dev.gatekit.transport.http.Mcp.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** HttpTransport against the official MCP Java SDK's Streamable HTTP server on Jetty 12. */
@Timeout(60)
class HttpTransportSdkServerTest {

  private SdkServer server;
  private final List<HttpTransport> transports = new ArrayList<>();

  @BeforeEach
  void startServer() throws Exception {
    server = new SdkServer();
  }

  @AfterEach
  void stop() throws Exception {
    transports.forEach(HttpTransport::close);
    server.close();
  }

  private HttpTransport transport(HttpTransport.Builder builder, Mcp.Recording handler) {
    HttpTransport transport = builder.build();
    transports.add(transport);
    transport.setInboundHandler(handler);
    transport.start();
    return transport;
  }

  private HttpTransport connected(Mcp.Recording handler) throws Exception {
    HttpTransport transport = transport(HttpTransport.builder(server.uri()).name("sdk"), handler);
    Mcp.handshake(transport, McpMethods.LATEST_PROTOCOL_VERSION);
    return transport;
  }

  private static Throwable failureOf(CompletableFuture<?> future) {
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("no failure: " + e, e);
    }
    throw new AssertionError("completed normally");
  }

  @Test
  void handshakeKeepsTheSessionAndVersionAndSendsThemOnLaterRequests() throws Exception {
    HttpTransport transport = transport(HttpTransport.builder(server.uri()), new Mcp.Recording());
    JsonNode result = Mcp.handshake(transport, "2025-06-18");
    assertThat(result.path("serverInfo").path("name").asText()).isEqualTo("sdk-test-server");
    assertThat(transport.sessionId()).isNotBlank();
    String agreed = result.path("protocolVersion").asText();
    assertThat(transport.protocolVersion()).isEqualTo(agreed);

    JsonRpcResponse tools = transport.sendAndReceive(Mcp.request(2, McpMethods.TOOLS_LIST, null)).get(10, TimeUnit.SECONDS);
    assertThat(tools.result().path("tools").findValuesAsText("name"))
        .contains("echo", "slow", "progress", "sample", "elicit", "log");

    SdkServer.Seen initialize = server.seen.get(0);
    assertThat(initialize.headers()).doesNotContainKey("Mcp-Session-Id");
    assertThat(initialize.headers().get("Accept")).contains("application/json").contains("text/event-stream");
    SdkServer.Seen list =
        server.seen.stream().filter(s -> s.body().contains("tools/list")).findFirst().orElseThrow();
    assertThat(list.headers().get("Mcp-Session-Id")).isEqualTo(transport.sessionId());
    assertThat(list.headers().get("MCP-Protocol-Version")).isEqualTo(agreed);
    // The caller's id comes back, whatever id went on the wire.
    assertThat(tools.id()).isEqualTo(dev.gatekit.api.RequestId.of(2));
  }

  @Test
  void manyCallersWithTheSameIdEachGetTheirOwnAnswer() throws Exception {
    HttpTransport transport = connected(new Mcp.Recording());
    ExecutorService callers = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> answers = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        String text = "msg-" + i;
        answers.add(
            callers.submit(
                () -> Mcp.text(transport.sendAndReceive(call(1, "echo", "{\"text\":\"" + text + "\"}")).get(30, TimeUnit.SECONDS))));
      }
      for (int i = 0; i < answers.size(); i++) {
        assertThat(answers.get(i).get()).isEqualTo("msg-" + i);
      }
    } finally {
      callers.shutdownNow();
    }
    TransportStats stats = transport.stats();
    assertThat(stats.completed()).isEqualTo(301); // and initialize
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.failed()).isZero();
    assertThat(transport.pendingCount()).isZero();
  }

  @Test
  void progressArrivesBeforeTheAnswer() throws Exception {
    Mcp.Recording handler = new Mcp.Recording();
    HttpTransport transport = connected(handler);
    JsonRpcResponse answer =
        transport
            .sendAndReceive(
                Mcp.request(
                    5,
                    McpMethods.TOOLS_CALL,
                    "{\"name\":\"progress\",\"arguments\":{},\"_meta\":{\"progressToken\":\"tok-1\"}}"))
            .get(10, TimeUnit.SECONDS);
    // The handler has taken every progress notification the server wrote before its answer.
    assertThat(handler.named(McpMethods.NOTIFICATIONS_PROGRESS)).hasSize(3);
    assertThat(handler.named(McpMethods.NOTIFICATIONS_PROGRESS).get(2).params().path("progressToken").asText())
        .isEqualTo("tok-1");
    assertThat(Mcp.text(answer)).isEqualTo("progressed");
  }

  @Test
  void samplingAndElicitationGoToTheHandlerAndTheirAnswersArePostedBack() throws Exception {
    Mcp.Recording handler =
        new Mcp.Recording(
            request ->
                request.method().equals(McpMethods.SAMPLING_CREATE_MESSAGE)
                    ? json("{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"forty-two\"},\"model\":\"m\"}")
                    : json("{\"action\":\"accept\",\"content\":{\"name\":\"Ada\"}}"));
    HttpTransport transport = connected(handler);
    assertThat(Mcp.text(transport.sendAndReceive(call(1, "sample", "{\"prompt\":\"q\"}")).get(10, TimeUnit.SECONDS)))
        .isEqualTo("model said: forty-two");
    assertThat(Mcp.text(transport.sendAndReceive(call(2, "elicit", "{}")).get(10, TimeUnit.SECONDS)))
        .contains("ACCEPT").contains("Ada");
    assertThat(handler.requests)
        .extracting(r -> r.method())
        .containsExactly(McpMethods.SAMPLING_CREATE_MESSAGE, McpMethods.ELICITATION_CREATE);
  }

  @Test
  void loggingNotificationsReachTheHandler() throws Exception {
    Mcp.Recording handler = new Mcp.Recording();
    HttpTransport transport = connected(handler);
    transport.sendAndReceive(Mcp.request(3, McpMethods.LOGGING_SET_LEVEL, "{\"level\":\"debug\"}")).get(10, TimeUnit.SECONDS);
    assertThat(Mcp.text(transport.sendAndReceive(call(4, "log", "{\"text\":\"hello log\"}")).get(10, TimeUnit.SECONDS)))
        .isEqualTo("logged");
    List<JsonRpcNotification> logs = handler.named(McpMethods.NOTIFICATIONS_MESSAGE);
    assertThat(logs).hasSize(1);
    assertThat(logs.get(0).params().path("data").asText()).isEqualTo("hello log");
  }

  @Test
  void aTimeoutFailsTheCallerAndPostsCancelledWithTheWireId() throws Exception {
    HttpTransport transport = connected(new Mcp.Recording());
    CompletableFuture<JsonRpcResponse> slow =
        transport.sendAndReceive(call(7, "slow", "{\"ms\":\"3000\"}"), Duration.ofMillis(500));
    assertThat(failureOf(slow))
        .isInstanceOf(RequestTimeoutException.class)
        .hasMessageContaining("tools/call")
        .hasMessageContaining("500 ms");
    await("notifications/cancelled posted", () -> server.postedBodies().stream().anyMatch(b -> b.contains(McpMethods.NOTIFICATIONS_CANCELLED)));
    String cancelled =
        server.postedBodies().stream().filter(b -> b.contains(McpMethods.NOTIFICATIONS_CANCELLED)).findFirst().orElseThrow();
    String slowBody = server.postedBodies().stream().filter(b -> b.contains("\"slow\"")).findFirst().orElseThrow();
    long wireId = json(slowBody).path("id").asLong();
    assertThat(json(cancelled).path("params").path("requestId").asLong()).isEqualTo(wireId);
    assertThat(transport.stats().timedOut()).isEqualTo(1);
    assertThat(transport.stats().inFlight()).isZero();
    // and the transport keeps serving
    assertThat(Mcp.text(transport.sendAndReceive(call(8, "echo", "{\"text\":\"still here\"}")).get(10, TimeUnit.SECONDS)))
        .isEqualTo("still here");
  }

  @Test
  void aCallersCancelAbortsTheExchangeAndPostsCancelled() throws Exception {
    HttpTransport transport = connected(new Mcp.Recording());
    CompletableFuture<JsonRpcResponse> slow = transport.sendAndReceive(call(9, "slow", "{\"ms\":\"20000\"}"));
    await("the slow tool started", () -> server.slowStarted.get() == 1);
    assertThat(slow.cancel(true)).isTrue();
    assertThatThrownBy(slow::join).isInstanceOf(CancellationException.class);
    await("notifications/cancelled posted", () -> server.postedBodies().stream().anyMatch(b -> b.contains(McpMethods.NOTIFICATIONS_CANCELLED)));
    assertThat(transport.stats().cancelled()).isEqualTo(1);
    assertThat(transport.stats().inFlight()).isZero();
    assertThat(Mcp.text(transport.sendAndReceive(call(10, "echo", "{\"text\":\"ok\"}")).get(10, TimeUnit.SECONDS))).isEqualTo("ok");
  }

  @Test
  void aForgottenSessionFailsWhatIsPendingAndWithThePolicyStartsANewOne() throws Exception {
    HttpTransport transport =
        transport(HttpTransport.builder(server.uri()).name("sdk").reconnectPolicy(ReconnectPolicy.attempts(3)), new Mcp.Recording());
    Mcp.handshake(transport, McpMethods.LATEST_PROTOCOL_VERSION);
    String first = transport.sessionId();
    CompletableFuture<JsonRpcResponse> pending = transport.sendAndReceive(call(11, "slow", "{\"ms\":\"20000\"}"));
    await("the slow tool started", () -> server.slowStarted.get() == 1);
    server.forgotten.add(first);

    CompletableFuture<JsonRpcResponse> refused = transport.sendAndReceive(call(12, "echo", "{\"text\":\"x\"}"));
    assertThat(failureOf(refused))
        .isInstanceOf(TransportClosedException.class)
        .hasMessageContaining("404")
        .hasMessageContaining("session expired");
    assertThat(failureOf(pending)).isInstanceOf(TransportClosedException.class).hasMessageContaining("session expired");

    await("a new session", () -> transport.state() == TransportState.RUNNING && transport.sessionId() != null
        && !transport.sessionId().equals(first));
    assertThat(Mcp.text(transport.sendAndReceive(call(13, "echo", "{\"text\":\"again\"}")).get(10, TimeUnit.SECONDS)))
        .isEqualTo("again");
    assertThat(transport.stats().restarts()).isEqualTo(1);
    long initializes = server.postedBodies().stream().filter(b -> b.contains("\"initialize\"")).count();
    long initialized = server.postedBodies().stream().filter(b -> b.contains(McpMethods.NOTIFICATIONS_INITIALIZED)).count();
    assertThat(initializes).isEqualTo(2);
    assertThat(initialized).isEqualTo(2);
    // The replayed initialize starts a session afresh: no session id, no protocol version.
    assertThat(server.seen.stream().filter(s -> s.body().contains("\"initialize\"")))
        .allSatisfy(s -> assertThat(s.headers()).doesNotContainKeys("Mcp-Session-Id", "MCP-Protocol-Version"));
  }

  @Test
  void aForgottenSessionWithoutThePolicyLeavesTheTransportFailed() throws Exception {
    HttpTransport transport = connected(new Mcp.Recording());
    server.forgotten.add(transport.sessionId());
    assertThat(failureOf(transport.sendAndReceive(call(1, "echo", "{}")))).hasMessageContaining("session expired");
    await("failed", () -> transport.state() == TransportState.FAILED);
    assertThat(failureOf(transport.sendAndReceive(call(2, "echo", "{}"))))
        .isInstanceOf(TransportClosedException.class)
        .hasMessageContaining("session expired");
    // Started again, it has no session; the caller initializes a new one.
    transport.start();
    assertThat(transport.state()).isEqualTo(TransportState.RUNNING);
    assertThat(transport.sessionId()).isNull();
    Mcp.handshake(transport, McpMethods.LATEST_PROTOCOL_VERSION);
    assertThat(Mcp.text(transport.sendAndReceive(call(3, "echo", "{\"text\":\"new\"}")).get(10, TimeUnit.SECONDS)))
        .isEqualTo("new");
  }

  @Test
  void aServerThatDiesFailsEverythingPendingAtOnce() throws Exception {
    HttpTransport transport = connected(new Mcp.Recording());
    List<CompletableFuture<JsonRpcResponse>> pending = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      pending.add(transport.sendAndReceive(call(i, "slow", "{\"ms\":\"30000\"}")));
    }
    await("all five started", () -> server.slowStarted.get() == 5);
    server.kill();
    for (CompletableFuture<JsonRpcResponse> future : pending) {
      // Each fails with the connection, long before its 60 s timeout (the test's own limit is 60 s).
      assertThat(failureOf(future))
          .isInstanceOf(TransportClosedException.class)
          .satisfies(e -> assertThat(((TransportClosedException) e).errorCode()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE));
    }
    assertThat(transport.stats().failed()).isEqualTo(5);
    assertThat(transport.stats().inFlight()).isZero();
    assertThat(failureOf(transport.sendAndReceive(call(9, "echo", "{}")))).isInstanceOf(TransportClosedException.class)
        .hasMessageContaining("unreachable");
  }

  @Test
  void aBadTokenIsReportedAsUnauthorizedWithoutTheToken() throws Exception {
    server.requiredToken = "right-token";
    HttpTransport bad =
        transport(HttpTransport.builder(server.uri()).name("auth").header("Authorization", "Bearer wrong-secret-123"), new Mcp.Recording());
    Throwable failure = failureOf(bad.sendAndReceive(Mcp.initialize(McpMethods.LATEST_PROTOCOL_VERSION)));
    assertThat(failure).isInstanceOf(UnauthorizedException.class);
    UnauthorizedException unauthorized = (UnauthorizedException) failure;
    assertThat(unauthorized.errorCode()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    assertThat(unauthorized.status()).isEqualTo(401);
    assertThat(unauthorized.scheme()).isEqualTo("Bearer");
    assertThat(unauthorized.getMessage())
        .contains("unauthorized")
        .contains("401")
        .contains("Bearer")
        .doesNotContain("wrong-secret-123")
        .doesNotContain("right-token");

    HttpTransport good =
        transport(HttpTransport.builder(server.uri()).headers(java.util.Map.of("Authorization", "Bearer right-token")), new Mcp.Recording());
    Mcp.handshake(good, McpMethods.LATEST_PROTOCOL_VERSION);
    assertThat(Mcp.text(good.sendAndReceive(call(1, "echo", "{\"text\":\"in\"}")).get(10, TimeUnit.SECONDS))).isEqualTo("in");
  }

  @Test
  void pastTheLimitRequestsAreRejectedOrQueuedAsThePolicySays() throws Exception {
    HttpTransport rejecting =
        transport(
            HttpTransport.builder(server.uri()).options(TransportOptions.builder().maxInFlight(2).build()),
            new Mcp.Recording());
    Mcp.handshake(rejecting, McpMethods.LATEST_PROTOCOL_VERSION);
    CompletableFuture<JsonRpcResponse> a = rejecting.sendAndReceive(call(1, "slow", "{\"ms\":\"300\"}"));
    CompletableFuture<JsonRpcResponse> b = rejecting.sendAndReceive(call(2, "slow", "{\"ms\":\"300\"}"));
    assertThat(failureOf(rejecting.sendAndReceive(call(3, "echo", "{}")))).isInstanceOf(OverloadedException.class);
    assertThat(Mcp.text(a.get(10, TimeUnit.SECONDS))).isEqualTo("slept 300");
    b.get(10, TimeUnit.SECONDS);
    assertThat(rejecting.stats().rejected()).isEqualTo(1);
    assertThat(rejecting.stats().maxInFlight()).isEqualTo(2);

    HttpTransport queueing =
        transport(
            HttpTransport.builder(server.uri())
                .options(TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).build()),
            new Mcp.Recording());
    Mcp.handshake(queueing, McpMethods.LATEST_PROTOCOL_VERSION);
    List<CompletableFuture<JsonRpcResponse>> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(queueing.sendAndReceive(call(i, "echo", "{\"text\":\"q" + i + "\"}")));
    }
    for (int i = 0; i < 5; i++) {
      assertThat(Mcp.text(all.get(i).get(10, TimeUnit.SECONDS))).isEqualTo("q" + i);
    }
    assertThat(queueing.stats().maxInFlight()).isEqualTo(1);
    assertThat(queueing.stats().rejected()).isZero();
  }

  @Test
  void closeEndsTheSessionFailsWhatIsPendingAndIsIdempotent() throws Exception {
    HttpTransport transport = connected(new Mcp.Recording());
    String session = transport.sessionId();
    CompletableFuture<JsonRpcResponse> pending = transport.sendAndReceive(call(1, "slow", "{\"ms\":\"20000\"}"));
    await("the slow tool started", () -> server.slowStarted.get() == 1);
    transport.close();
    transport.close();
    assertThat(failureOf(pending)).isInstanceOf(TransportClosedException.class).hasMessageContaining("closed");
    assertThat(transport.state()).isEqualTo(TransportState.CLOSED);
    assertThat(server.seen).anySatisfy(s -> {
      assertThat(s.method()).isEqualTo("DELETE");
      assertThat(s.headers().get("Mcp-Session-Id")).isEqualTo(session);
    });
    assertThatThrownBy(() -> transport.sendNotification(new JsonRpcNotification("notifications/x", null)))
        .isInstanceOf(TransportClosedException.class);
    assertThatThrownBy(transport::start).isInstanceOf(TransportClosedException.class);
  }
}
