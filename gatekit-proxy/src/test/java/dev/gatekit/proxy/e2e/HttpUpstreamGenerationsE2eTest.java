package dev.gatekit.proxy.e2e;

import static dev.gatekit.proxy.e2e.E2eClient.await;
import static dev.gatekit.proxy.e2e.E2eClient.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Both client generations through the proxy to a 2026-07-28 server over Streamable HTTP (the HTTP
 * upstream's cells of README "Protocol versions"), with real parts: the TypeScript SDK v2's
 * stateless HTTP server, modern-only ({@link Http2026Server}); the TypeScript SDK v2 client ({@code
 * client-2026.mjs}) as the 2026-era client and the official MCP Java SDK as the 2025-era one, both
 * through a stdio gateway with an {@code HttpTransport} upstream ({@link HttpUpstreamProxyMain}).
 * Skipped where Node.js or the npm packages are missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HttpUpstreamGenerationsE2eTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Http2026Server server;

  @BeforeAll
  void startServer() throws Exception {
    server = Http2026Server.start();
  }

  @AfterAll
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void newClientAndStatelessHttpServerTalkThroughTheProxy() throws Exception {
    JsonNode seen = run2026Client(HttpUpstreamProxyMain.command(server.uri()));

    assertThat(seen.path("era").asText()).isEqualTo("modern");
    assertThat(seen.path("version").asText()).isEqualTo("2026-07-28");
    assertThat(seen.path("server").path("name").asText()).isEqualTo("gatekit-http-test-2026");
    assertThat(seen.path("tools").toString()).contains("\"echo\"", "\"confirm\"", "\"headers\"");
    assertThat(seen.path("echo").asText()).isEqualTo("Echo: hi");
    // input_required, the client's elicitation and the retry with inputResponses, each a stateless POST
    assertThat(seen.path("confirm").asText()).isEqualTo("confirmed: deploy");
    assertThat(seen.path("elicitations").asInt()).isEqualTo(1);
    assertThat(seen.path("resource").asText()).isEqualTo("hello from 2026 over HTTP");
  }

  @Test
  void oldClientReachesTheStatelessHttpServerThroughTheBridge() throws Exception {
    try (E2eClient old = E2eClient.start("gatekit -> http-server-2026", HttpUpstreamProxyMain.command(server.uri()))) {
      // the server refuses initialize (HTTP 400, UnsupportedProtocolVersion); the proxy then discovers it
      assertThat(old.initializeResult().serverInfo().name()).isEqualTo("gatekit-http-test-2026");
      assertThat(old.initializeResult().protocolVersion()).isNotEqualTo("2026-07-28");
      assertThat(await(old.sdk().listTools()).tools()).extracting(Tool::name).contains("echo", "confirm", "headers");
      assertThat(text(old.call("echo", Map.of("message", "hi")))).isEqualTo("Echo: hi");
      // each request went as a 2026 POST: no session, the version and method headers the server checks
      JsonNode headers = JSON.readTree(text(old.call("headers", Map.of())));
      assertThat(headers.path("mcp-protocol-version").asText()).isEqualTo("2026-07-28");
      assertThat(headers.path("mcp-name").asText()).isEqualTo("headers");
      assertThat(headers.path("mcp-session-id").isNull()).isTrue();
      JSONRPCResponse read = old.raw("resources/read", Map.of("uri", "test://greeting"));
      assertThat(read.error()).isNull();
      assertThat(read.result().toString()).contains("hello from 2026 over HTTP");
      assertThat(await(old.sdk().ping())).isEqualTo(Map.of());
    }
  }

  /** Runs the TypeScript SDK v2 client's server-2026 scenario, which starts {@code gateway}. */
  private static JsonNode run2026Client(List<String> gateway) throws Exception {
    Process client = new ProcessBuilder(E2eCommands.client2026("server-2026", gateway))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      String printed = Await.future(out, Await.TIMEOUT.multipliedBy(2), "the 2026 client's report");
      assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("the 2026 client exited").isTrue();
      JsonNode seen = JSON.readTree(printed);
      assertThat(seen.path("error").isMissingNode()).as("the 2026 client failed: %s", seen.path("error")).isTrue();
      return seen;
    } finally {
      client.destroyForcibly();
    }
  }
}
