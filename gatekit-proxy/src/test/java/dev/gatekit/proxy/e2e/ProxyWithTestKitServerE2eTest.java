package dev.gatekit.proxy.e2e;

import static dev.gatekit.proxy.e2e.E2eClient.await;
import static dev.gatekit.proxy.e2e.E2eClient.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCRequest;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The {@code gatekit} command in front of the test kit's MCP server, driven by the official MCP Java
 * SDK client: every message crosses two real stdio connections and two process boundaries. One
 * proxy session serves the whole class; no test depends on another having run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProxyWithTestKitServerE2eTest {

  private E2eClient proxied;

  @BeforeAll
  void startProxy() {
    proxied = E2eClient.start("gatekit -> test kit", E2eCommands.gatekit(E2eCommands.testKitServer()));
  }

  @AfterAll
  void closeProxy() {
    if (proxied != null) {
      proxied.close();
    }
  }

  @Test
  void answersExactlyAsTheServerDoesDirectly() {
    try (E2eClient direct = E2eClient.start("test kit (direct)", E2eCommands.testKitServer())) {
      assertThat(proxied.initializeResult()).isEqualTo(direct.initializeResult());
      assertThat(initializeResultOnTheWire(proxied)).isEqualTo(initializeResultOnTheWire(direct));
      assertThat(await(proxied.sdk().listTools())).isEqualTo(await(direct.sdk().listTools()));
      // Raw requests: the SDK refuses to ask for prompts and resources when the server's capabilities
      // do not announce them, but the proxy must still answer exactly as the server does.
      for (String method : List.of("tools/list", "prompts/list", "resources/list", "resources/templates/list")) {
        JSONRPCResponse viaProxy = proxied.raw(method, Map.of());
        JSONRPCResponse directly = direct.raw(method, Map.of());
        assertThat(viaProxy.result()).as(method + " result").isEqualTo(directly.result());
        assertThat(viaProxy.error()).as(method + " error").isEqualTo(directly.error());
      }
    }
  }

  @Test
  void fiftyConcurrentEchoesEachGetTheirOwnText() {
    String run = UUID.randomUUID().toString();
    List<String> texts = IntStream.range(0, 50).mapToObj(i -> "echo " + i + " of " + run).toList();

    List<CallToolResult> results =
        Flux.fromIterable(texts)
            .flatMapSequential(text -> proxied.sdk().callTool(E2eClient.tool("echo", Map.of("text", text))), 50)
            .collectList()
            .block(Await.TIMEOUT);

    assertThat(results).hasSize(50);
    assertThat(results).allSatisfy(result -> assertThat(result.isError()).isNotEqualTo(Boolean.TRUE));
    assertThat(results.stream().map(E2eClient::text).toList()).isEqualTo(texts);
  }

  @Test
  void slowCallsOverlapAtTheServer() {
    proxied.call("reset_stats", Map.of());

    List<CallToolResult> results =
        Flux.range(0, 20)
            .flatMap(i -> proxied.sdk().callTool(E2eClient.tool("sleep", Map.of("ms", 300))), 20)
            .collectList()
            .block(Await.TIMEOUT);

    assertThat(results).extracting(E2eClient::text).containsOnly("slept 300 ms").hasSize(20);
    Map<String, Object> stats = stats();
    assertThat(((Number) stats.get("maxInFlight")).intValue())
        .as("sleeps in flight at once at the server; 1 would mean the proxy serialised them")
        .isGreaterThan(1);
  }

  @Test
  void progressNotificationsOfALongCallReachTheClient() {
    String token = "progress-" + UUID.randomUUID();

    CallToolResult result =
        await(proxied.sdk().callTool(CallToolRequest.builder("progress")
            .arguments(Map.of("steps", 5, "interval_ms", 20))
            .progressToken(token)
            .build()));

    assertThat(text(result)).isEqualTo("done 5 steps");
    Await.until(() -> progressOf(token).size() >= 5, () -> "5 progress notifications, got " + progressOf(token));
    List<ProgressNotification> progress = progressOf(token);
    assertThat(progress).extracting(ProgressNotification::progress).containsExactly(1.0, 2.0, 3.0, 4.0, 5.0);
    assertThat(progress).extracting(ProgressNotification::total).containsOnly(5.0);
    assertThat(progress).extracting(ProgressNotification::message)
        .containsExactly("step 1 of 5", "step 2 of 5", "step 3 of 5", "step 4 of 5", "step 5 of 5");
  }

  @Test
  void aSamplingRequestOfTheServerIsAnsweredByTheClient() {
    String prompt = "What is 6 times 7? " + UUID.randomUUID();

    CallToolResult result = proxied.call("sample", Map.of("prompt", prompt));

    assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
    assertThat(text(result)).isEqualTo(E2eClient.SAMPLED_PREFIX + prompt);
    assertThat(proxied.samplingRequests())
        .anySatisfy(request -> {
          assertThat(request.maxTokens()).isEqualTo(100);
          assertThat(request.messages()).singleElement()
              .satisfies(m -> assertThat(m.content().toString()).contains(prompt));
        });
  }

  @Test
  void aCallTheClientCancelsIsCancelledAtTheServer() {
    proxied.call("reset_stats", Map.of());
    int hour = 3_600_000; // only this test sleeps this long, which identifies its request on the wire

    Disposable call =
        proxied.sdk().callTool(E2eClient.tool("sleep", Map.of("ms", hour))).subscribe(r -> {}, e -> {});
    try {
      Await.until(() -> sleepRequest(hour) != null, () -> "the client to send the sleep request");
      Object id = sleepRequest(hour).id();
      Await.until(() -> ((Number) stats().get("inFlight")).intValue() == 1, () -> "the sleep to reach the server");

      // The SDK 2.1.0 client sends no notifications/cancelled on its own; a host would, so send it.
      proxied.wire().notify("notifications/cancelled", Map.of("requestId", id, "reason", "the e2e test gave up"),
          Await.TIMEOUT);

      Await.until(
          () -> cancelledAtServer().size() == 1 && ((Number) stats().get("inFlight")).intValue() == 0,
          () -> "the server to see the cancellation; stats " + stats());
      assertThat(proxied.wire().responsesTo(id)).as("a cancelled request is never answered").isEmpty();
    } finally {
      call.dispose();
    }
  }

  @Test
  void pingIsAnswered() {
    assertThat(await(proxied.sdk().ping())).isEqualTo(Map.of());
  }

  @Test
  void loggingLevelIsSetAndLogMessagesReachTheClient() {
    await(proxied.sdk().setLoggingLevel(LoggingLevel.DEBUG));
    String marker = "of 3";
    long before = logsEndingWith(marker).size();

    assertThat(text(proxied.call("notify", Map.of("count", 3)))).isEqualTo("sent 3 notifications");

    Await.until(() -> logsEndingWith(marker).size() >= before + 3, () -> "3 log messages, got " + proxied.logs());
    assertThat(logsEndingWith(marker).subList((int) before, (int) before + 3))
        .extracting(LoggingMessageNotification::data)
        .containsExactly("notification 1 of 3", "notification 2 of 3", "notification 3 of 3");
    assertThat(logsEndingWith(marker)).extracting(LoggingMessageNotification::logger).containsOnly("gatekit-test-server");
  }

  @Test
  void anErrorOfTheServerReachesTheClientUnchanged() {
    assertThatThrownBy(() -> proxied.call("fail", Map.of("code", -32042, "message", "failed on purpose")))
        .isInstanceOfSatisfying(McpError.class, e -> {
          assertThat(e.getJsonRpcError().code()).isEqualTo(-32042);
          assertThat(e.getJsonRpcError().message()).isEqualTo("failed on purpose");
        });
  }

  // ---------------------------------------------------------------------------------------------

  private static Object initializeResultOnTheWire(E2eClient client) {
    Object id = client.wire().sentRequests("initialize").get(0).id();
    return client.wire().responsesTo(id).get(0).result();
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> stats() {
    return (Map<String, Object>) proxied.call("stats", Map.of()).structuredContent();
  }

  @SuppressWarnings("unchecked")
  private List<Object> cancelledAtServer() {
    return (List<Object>) stats().get("cancelled");
  }

  private JSONRPCRequest sleepRequest(int ms) {
    return proxied.wire().sentRequests("tools/call").stream()
        .filter(r -> r.params() instanceof CallToolRequest c && c.name().equals("sleep")
            && Integer.valueOf(ms).equals(c.arguments().get("ms")))
        .findFirst()
        .orElse(null);
  }

  private List<ProgressNotification> progressOf(String token) {
    return proxied.progress().stream().filter(p -> token.equals(p.progressToken())).toList();
  }

  private List<LoggingMessageNotification> logsEndingWith(String suffix) {
    return proxied.logs().stream().filter(l -> l.data() != null && l.data().endsWith(suffix)).toList();
  }
}
