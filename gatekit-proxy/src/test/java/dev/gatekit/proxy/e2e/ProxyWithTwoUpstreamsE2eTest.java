package dev.gatekit.proxy.e2e;

import static dev.gatekit.proxy.e2e.E2eClient.await;
import static dev.gatekit.proxy.e2e.E2eClient.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.proxy.e2e.E2eCommands.Upstream;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.InitializeRequest;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCRequest;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

/**
 * The proxy in front of two test kit servers, {@code a} and {@code b}, with a security plugin that
 * blocks {@code b__fail} ({@link TwoUpstreamProxyMain}), driven by the official MCP Java SDK client.
 * The two servers are the same program, so which one answered is told by their {@code stats}: each
 * counts the requests it received. One proxy session serves the whole class; no test depends on
 * another having run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProxyWithTwoUpstreamsE2eTest {

  private static final List<String> TEST_KIT_TOOLS =
      List.of("echo", "sleep", "fail", "invalid_answer", "progress", "sample", "notify", "stats", "reset_stats");

  private E2eClient proxied;

  @BeforeAll
  void startProxy() {
    proxied = E2eClient.start("gatekit -> a, b",
        E2eCommands.gatekitMulti(List.of(TwoUpstreamProxyMain.BLOCK, "b__fail"),
            new Upstream("a", E2eCommands.testKitServer()),
            new Upstream("b", E2eCommands.testKitServer())));
  }

  @AfterAll
  void closeProxy() {
    if (proxied != null) {
      proxied.close();
    }
  }

  @Test
  void theProxyAndBothUpstreamsRunAsProcessesOfTheirOwn() {
    // closeProxy() checks that all of them have exited once the client is closed
    assertThat(proxied.processes()).as("the proxy and its two upstreams").hasSize(3).allMatch(ProcessHandle::isAlive);
  }

  @Test
  void theGatewayAnswersInitializeWithTheUpstreamsCapabilitiesMerged() {
    assertThat(proxied.initializeResult().serverInfo().name()).isEqualTo("gatekit");
    assertThat(proxied.initializeResult().capabilities().tools()).isNotNull();
    assertThat(proxied.initializeResult().capabilities().logging()).isNotNull();
    InitializeRequest asked = (InitializeRequest) proxied.wire().sentRequests("initialize").get(0).params();
    assertThat(proxied.initializeResult().protocolVersion()).isEqualTo(asked.protocolVersion());
  }

  @Test
  void toolsOfBothUpstreamsAreListedUnderTheirNamespaces() {
    List<Tool> tools = await(proxied.sdk().listTools()).tools();

    assertThat(tools).extracting(Tool::name).containsExactlyElementsOf(
        Stream.of("a", "b").flatMap(u -> TEST_KIT_TOOLS.stream().map(t -> u + "__" + t)).toList());
    Map<String, Tool> byName = tools.stream().collect(Collectors.toMap(Tool::name, Function.identity()));
    assertThat(byName.get("a__echo").inputSchema()).isEqualTo(byName.get("b__echo").inputSchema());
    assertThat(byName.get("a__echo").description()).isEqualTo(byName.get("b__echo").description());
  }

  @Test
  void callsAreRoutedByPrefix() {
    long a = requests("a");
    long b = requests("b");

    assertThat(text(proxied.call("a__echo", Map.of("text", "to a 1")))).isEqualTo("to a 1");
    assertThat(text(proxied.call("a__echo", Map.of("text", "to a 2")))).isEqualTo("to a 2");
    assertThat(text(proxied.call("a__echo", Map.of("text", "to a 3")))).isEqualTo("to a 3");
    assertThat(text(proxied.call("b__echo", Map.of("text", "to b")))).isEqualTo("to b");

    // A stats call counts itself, so the second one sees the calls in between plus itself.
    assertThat(requests("a")).isEqualTo(a + 3 + 1);
    assertThat(requests("b")).isEqualTo(b + 1 + 1);
  }

  @Test
  void fiftyConcurrentEchoesAcrossBothUpstreamsEachGetTheirOwnText() {
    String run = UUID.randomUUID().toString();
    List<String> tools = IntStream.range(0, 50).mapToObj(i -> i % 2 == 0 ? "a__echo" : "b__echo").toList();

    List<CallToolResult> results =
        Flux.range(0, 50)
            .flatMapSequential(i -> proxied.sdk().callTool(
                E2eClient.tool(tools.get(i), Map.of("text", tools.get(i) + " " + i + " " + run))), 50)
            .collectList()
            .block(Await.TIMEOUT);

    assertThat(results.stream().map(E2eClient::text).toList())
        .isEqualTo(IntStream.range(0, 50).mapToObj(i -> tools.get(i) + " " + i + " " + run).toList());
  }

  @Test
  void aBlockedToolGetsASecurityErrorWithTheReasonAndNeverReachesItsUpstream() {
    long b = requests("b");

    assertThatThrownBy(() -> proxied.call("b__fail", Map.of()))
        .isInstanceOfSatisfying(McpError.class, e -> {
          assertThat(e.getJsonRpcError().code()).isEqualTo(-32000);
          assertThat(e.getJsonRpcError().message())
              .contains(TwoUpstreamProxyMain.PLUGIN_NAME)
              .contains(TwoUpstreamProxyMain.BLOCK_REASON);
        });

    assertThat(requests("b")).as("only the stats call reached b").isEqualTo(b + 1);
    // The same tool on the other upstream is not blocked: its own failure comes back.
    assertThatThrownBy(() -> proxied.call("a__fail", Map.of()))
        .isInstanceOfSatisfying(McpError.class, e -> {
          assertThat(e.getJsonRpcError().code()).isEqualTo(-32603);
          assertThat(e.getJsonRpcError().message()).isEqualTo("Failure requested by the fail tool");
        });
  }

  @Test
  void aToolOfAnUnknownUpstreamGetsAClearError() {
    assertThatThrownBy(() -> proxied.call("c__echo", Map.of("text", "nowhere")))
        .isInstanceOfSatisfying(McpError.class, e -> {
          assertThat(e.getJsonRpcError().code()).isEqualTo(-32602);
          assertThat(e.getJsonRpcError().message()).contains("c__echo").contains("[a, b]");
        });
  }

  @Test
  void samplingRequestsOfBothUpstreamsAtOnceEachGetTheirOwnAnswer() {
    // Both servers number their requests to the client alike ("srv-1", ...); the proxy must keep
    // them apart on the client's side and send each answer back to the server that asked.
    String run = UUID.randomUUID().toString();

    List<CallToolResult> results =
        Flux.just("a", "b")
            .flatMapSequential(u -> proxied.sdk().callTool(
                E2eClient.tool(u + "__sample", Map.of("prompt", "question of " + u + " " + run))))
            .collectList()
            .block(Await.TIMEOUT);

    assertThat(results.stream().map(E2eClient::text).toList()).containsExactly(
        E2eClient.SAMPLED_PREFIX + "question of a " + run,
        E2eClient.SAMPLED_PREFIX + "question of b " + run);
  }

  @Test
  void progressOfANamespacedToolReachesTheClient() {
    String token = "progress-" + UUID.randomUUID();

    CallToolResult result = await(proxied.sdk().callTool(CallToolRequest.builder("b__progress")
        .arguments(Map.of("steps", 3, "interval_ms", 10))
        .progressToken(token)
        .build()));

    assertThat(text(result)).isEqualTo("done 3 steps");
    Await.until(() -> progressOf(token).size() >= 3, () -> "3 progress notifications, got " + progressOf(token));
    assertThat(progressOf(token)).extracting(ProgressNotification::progress).containsExactly(1.0, 2.0, 3.0);
  }

  @Test
  void aCancelledCallIsCancelledAtItsOwnUpstreamOnly() {
    proxied.call("a__reset_stats", Map.of());
    proxied.call("b__reset_stats", Map.of());
    int hour = 3_600_000; // only this test sleeps this long, which identifies its request on the wire

    Disposable call =
        proxied.sdk().callTool(E2eClient.tool("b__sleep", Map.of("ms", hour))).subscribe(r -> {}, e -> {});
    try {
      Await.until(() -> sleepRequest(hour) != null, () -> "the client to send the sleep request");
      Object id = sleepRequest(hour).id();
      Await.until(() -> number(stats("b"), "inFlight") == 1, () -> "the sleep to reach b");

      proxied.wire().notify("notifications/cancelled", Map.of("requestId", id), Await.TIMEOUT);

      Await.until(() -> cancelled("b").size() == 1 && number(stats("b"), "inFlight") == 0,
          () -> "b to see the cancellation; stats " + stats("b"));
      assertThat(cancelled("a")).isEmpty();
      assertThat(proxied.wire().responsesTo(id)).as("a cancelled request is never answered").isEmpty();
    } finally {
      call.dispose();
    }
  }

  @Test
  void loggingLevelIsSetOnBothUpstreams() {
    await(proxied.sdk().setLoggingLevel(LoggingLevel.WARNING));
    assertThat(proxied.raw("logging/setLevel", Map.of("level", "debug")).result()).isEqualTo(Map.of());
  }

  @Test
  void pingIsAnswered() {
    assertThat(await(proxied.sdk().ping())).isEqualTo(Map.of());
  }

  // ---------------------------------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  private Map<String, Object> stats(String upstream) {
    return (Map<String, Object>) proxied.call(upstream + "__stats", Map.of()).structuredContent();
  }

  private long requests(String upstream) {
    return number(stats(upstream), "requests");
  }

  @SuppressWarnings("unchecked")
  private List<Object> cancelled(String upstream) {
    return (List<Object>) stats(upstream).get("cancelled");
  }

  private static long number(Map<String, Object> stats, String member) {
    return ((Number) stats.get(member)).longValue();
  }

  private JSONRPCRequest sleepRequest(int ms) {
    return proxied.wire().sentRequests("tools/call").stream()
        .filter(r -> r.params() instanceof CallToolRequest c && c.name().equals("b__sleep")
            && Integer.valueOf(ms).equals(c.arguments().get("ms")))
        .findFirst()
        .orElse(null);
  }

  private List<ProgressNotification> progressOf(String token) {
    return proxied.progress().stream().filter(p -> token.equals(p.progressToken())).toList();
  }
}
