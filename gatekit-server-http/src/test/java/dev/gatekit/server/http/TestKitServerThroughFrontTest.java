package dev.gatekit.server.http;

import static dev.gatekit.server.http.StreamableHttpServerTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The official MCP Java SDK's Streamable HTTP client against the front, with the test kit's Java MCP
 * server behind it over stdio (a process per session): needs no Node.js, so it always runs.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class TestKitServerThroughFrontTest {

  private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();
  private final List<ProgressNotification> progress = new CopyOnWriteArrayList<>();
  private GatekitProxy proxy;
  private StreamableHttpServer server;

  @BeforeEach
  void start() {
    List<String> command = TestServer.command();
    proxy = GatekitProxy.builder()
        .upstreamPerSession("kit", () -> StdioTransport.builder(command).name("kit").build())
        .build();
    server = StreamableHttpServer.builder(proxy).build();
    server.start();
  }

  @AfterEach
  void stop() {
    clients.forEach(McpSyncClient::closeGracefully);
    server.close();
    proxy.close();
  }

  private McpSyncClient connect() {
    McpSyncClient sdk = McpClient.sync(HttpClientStreamableHttpTransport
            .builder("http://127.0.0.1:" + server.port()).endpoint("/mcp").build())
        .clientInfo(new Implementation("gatekit-front-test", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(60))
        .initializationTimeout(Duration.ofSeconds(60))
        .capabilities(ClientCapabilities.builder().sampling().build())
        .sampling(request -> CreateMessageResult.builder()
            .role(Role.ASSISTANT)
            .content(new TextContent("sampled: " + ((TextContent) request.messages().get(0).content()).text()))
            .model("test-model")
            .build())
        .progressConsumer(progress::add)
        .build();
    clients.add(sdk);
    sdk.initialize();
    return sdk;
  }

  private static String text(CallToolResult result) {
    return result.content().stream().filter(TextContent.class::isInstance)
        .map(c -> ((TextContent) c).text()).collect(Collectors.joining());
  }

  @Test
  void toolsProgressAndSamplingThroughTheFront() {
    McpSyncClient sdk = connect();
    assertThat(sdk.listTools().tools()).extracting(t -> t.name()).contains("echo", "progress", "sample");
    assertThat(text(sdk.callTool(CallToolRequest.builder().name("echo").arguments(Map.of("text", "hello")).build())))
        .isEqualTo("hello");
    CallToolResult done = sdk.callTool(CallToolRequest.builder().name("progress")
        .arguments(Map.of("steps", 3, "interval_ms", 10)).progressToken("kit-progress").build());
    assertThat(text(done)).isEqualTo("done 3 steps");
    awaitTrue(() -> progress.size() >= 3);
    assertThat(text(sdk.callTool(CallToolRequest.builder().name("sample").arguments(Map.of("prompt", "a prime?")).build())))
        .contains("sampled: a prime?");
  }

  @Test
  void manyConcurrentCallsOfTwoClientsEachGetTheirOwnAnswer() {
    McpSyncClient first = connect();
    McpSyncClient second = connect();
    assertThat(server.sessionCount()).isEqualTo(2);
    List<CompletableFuture<String>> calls = IntStream.range(0, 40).mapToObj(i -> CompletableFuture.supplyAsync(() ->
        text((i % 2 == 0 ? first : second).callTool(
            CallToolRequest.builder().name("echo").arguments(Map.of("text", "call " + i)).build())))).toList();
    for (int i = 0; i < calls.size(); i++) {
      assertThat(calls.get(i).join()).isEqualTo("call " + i);
    }
  }
}
