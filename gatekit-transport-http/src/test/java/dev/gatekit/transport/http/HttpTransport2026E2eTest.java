package dev.gatekit.transport.http;

import static dev.gatekit.transport.http.Mcp.await;
import static dev.gatekit.transport.http.Mcp.json;
import static dev.gatekit.transport.http.Mcp.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The stateless mode (MCP 2026-07-28) against a real 2026-era Streamable HTTP server: the official
 * TypeScript SDK v2's {@code createMcpHandler}, modern-only ({@code
 * gatekit-proxy/src/test/node/http-server-2026.mjs}, installed by {@code npm ci} there), which
 * checks the 2026 headers against the body and refuses 2025-era traffic. Skipped, with the reason,
 * when Node.js or the SDK is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class HttpTransport2026E2eTest {

  private static final Path NODE_DIR = Path.of("..", "gatekit-proxy", "src", "test", "node");
  private static final String VERSION = "2026-07-28";
  private static final String META =
      "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + VERSION + "\","
          + "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{\"form\":{}}},"
          + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"gatekit-test\",\"version\":\"1\"}";

  private Process node;
  private HttpTransport transport;
  private final AtomicLong ids = new AtomicLong(100);
  private final Mcp.Recording handler = new Mcp.Recording();

  @BeforeAll
  void startServer() throws Exception {
    Assumptions.assumeTrue(
        Files.isDirectory(NODE_DIR.resolve("node_modules/@modelcontextprotocol/server")),
        "the MCP TypeScript SDK v2 is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    Assumptions.assumeTrue(nodeRuns(), "Node.js (node) is not on the PATH");
    node =
        new ProcessBuilder("node", "http-server-2026.mjs")
            .directory(NODE_DIR.toFile())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    CompletableFuture<String> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8)).readLine();
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    String line = first.get(30, TimeUnit.SECONDS);
    if (line == null) {
      throw new AssertionError("http-server-2026.mjs exited without listening");
    }
    int port = json(line).path("port").asInt();
    transport =
        HttpTransport.builder(URI.create("http://127.0.0.1:" + port + "/mcp"))
            .name("http-2026")
            .options(TransportOptions.builder().requestTimeout(Duration.ofSeconds(30)).build())
            .build();
    transport.setInboundHandler(handler);
    transport.start(); // no initialize: the stateless generation has no handshake
  }

  @AfterAll
  void stopServer() {
    if (transport != null) {
      transport.close();
    }
    if (node != null) {
      node.destroyForcibly();
    }
  }

  private static boolean nodeRuns() {
    try {
      Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return version.waitFor(20, TimeUnit.SECONDS) && version.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private JsonRpcRequest request(String method, String params) {
    String inner = params.isEmpty() ? META + "}" : params + "," + META + "}";
    return Mcp.request(ids.incrementAndGet(), method, "{" + inner + "}");
  }

  private JsonRpcRequest call(String tool, String arguments) {
    return request(McpMethods.TOOLS_CALL, "\"name\":\"" + tool + "\",\"arguments\":" + arguments);
  }

  private JsonRpcResponse send(JsonRpcRequest request) throws Exception {
    return transport.sendAndReceive(request).get(30, TimeUnit.SECONDS);
  }

  @Test
  void discoversTheServerWithoutInitializeOrSession() throws Exception {
    JsonRpcResponse discovered = send(request("server/discover", ""));

    assertThat(discovered.isError()).as("%s", discovered).isFalse();
    assertThat(discovered.result().path("supportedVersions").toString()).contains(VERSION);
    assertThat(discovered.result().path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText())
        .isEqualTo("gatekit-http-test-2026");
    assertThat(transport.sessionId()).isNull();
  }

  @Test
  void aToolCallCarriesThe2026HeadersAndNoSession() throws Exception {
    JsonNode headers = json(text(send(call("headers", "{}"))));

    assertThat(headers.path("mcp-protocol-version").asText()).isEqualTo(VERSION);
    assertThat(headers.path("mcp-method").asText()).isEqualTo("tools/call");
    assertThat(headers.path("mcp-name").asText()).isEqualTo("headers");
    assertThat(headers.path("mcp-session-id").isNull()).isTrue();
  }

  @Test
  void aNameThatIsNotPlainAsciiTravelsBase64Encoded() throws Exception {
    // The server decodes Mcp-Name and refuses the call (HeaderMismatch) unless it equals the body's name.
    JsonNode headers = json(text(send(call("héaders ünïcode", "{}"))));

    String encoded =
        "=?base64?" + Base64.getEncoder().encodeToString("héaders ünïcode".getBytes(StandardCharsets.UTF_8)) + "?=";
    assertThat(headers.path("mcp-name").asText()).isEqualTo(encoded);
  }

  @Test
  void anInputRequiredResultAndItsRetryPassUntouched() throws Exception {
    JsonRpcResponse first = send(call("confirm", "{\"action\":\"deploy\"}"));
    assertThat(first.result().path("resultType").asText()).isEqualTo("input_required");
    assertThat(first.result().path("inputRequests").path("confirm").path("method").asText())
        .isEqualTo(McpMethods.ELICITATION_CREATE);

    JsonRpcResponse retried =
        send(
            request(
                McpMethods.TOOLS_CALL,
                "\"name\":\"confirm\",\"arguments\":{\"action\":\"deploy\"},"
                    + "\"inputResponses\":{\"confirm\":{\"action\":\"accept\",\"content\":{\"confirm\":true}}}"));
    assertThat(text(retried)).isEqualTo("confirmed: deploy");
    assertThat(retried.result().path("resultType").asText()).isEqualTo("complete");
  }

  @Test
  void aResourceReadAndAnUnknownMethodAnswerAsTheServerSays() throws Exception {
    JsonRpcResponse read = send(request(McpMethods.RESOURCES_READ, "\"uri\":\"test://greeting\""));
    assertThat(read.result().path("contents").path(0).path("text").asText()).isEqualTo("hello from 2026 over HTTP");

    // refused with HTTP 4xx and a JSON-RPC error for the request: that error is the answer
    JsonRpcResponse refused = send(request("no/such-method", ""));
    assertThat(refused.isError()).as("%s", refused).isTrue();
    assertThat(refused.id()).isEqualTo(RequestId.of(ids.get()));
  }

  @Test
  void a2025InitializeIsRefusedWithTheServersJsonRpcError() throws Exception {
    // What a proxy's probe of the upstream's generation needs: an error answer, not a transport failure.
    JsonRpcResponse refused = send(Mcp.initialize(McpMethods.LATEST_PROTOCOL_VERSION));

    assertThat(refused.isError()).isTrue();
    assertThat(refused.error().code()).isEqualTo(-32022);
    assertThat(refused.error().message()).contains("Unsupported protocol version");
    assertThat(transport.sessionId()).isNull();
  }

  @Test
  void cancellingARequestClosesItsStreamAndSendsNoNotice() throws Exception {
    int before = handler.named(McpMethods.NOTIFICATIONS_PROGRESS).size();
    JsonRpcRequest slow =
        Mcp.request(
            ids.incrementAndGet(),
            McpMethods.TOOLS_CALL,
            "{\"name\":\"slow\",\"arguments\":{}," + META + ",\"progressToken\":\"p-slow\"}}");
    CompletableFuture<JsonRpcResponse> pending = transport.sendAndReceive(slow);
    // the progress the server streams before any answer reaches the handler
    await("progress of the slow call", () -> handler.named(McpMethods.NOTIFICATIONS_PROGRESS).size() > before);

    pending.cancel(true);

    await("the server saw the cancellation", () -> cancelledCount().path("cancelled").asInt() >= 1);
    assertThat(cancelledCount().path("notices").asInt()).isZero();
    await("nothing pending", () -> transport.pendingCount() == 0);
  }

  @Test
  void aTimeoutAbortsThePostToo() throws Exception {
    int before = cancelledCount().path("cancelled").asInt();
    // long enough for a loaded machine to have the call running at the server when it times out
    CompletableFuture<JsonRpcResponse> pending = transport.sendAndReceive(call("slow", "{}"), Duration.ofSeconds(4));

    assertThat(pending).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(RequestTimeoutException.class);
    await("the server saw the timeout as a cancellation", () -> cancelledCount().path("cancelled").asInt() > before);
    assertThat(cancelledCount().path("notices").asInt()).isZero();
  }

  @Test
  void aSubscriptionStreamDeliversItsNotificationsUnderTheCallersId() throws Exception {
    JsonRpcRequest listen =
        request("subscriptions/listen", "\"notifications\":{\"toolsListChanged\":true}");
    CompletableFuture<JsonRpcResponse> stream = transport.sendAndReceive(listen, Duration.ofMinutes(5));

    await(
        "the subscription's acknowledgement",
        () -> !handler.named("notifications/subscriptions/acknowledged").isEmpty());
    JsonRpcNotification ack = handler.named("notifications/subscriptions/acknowledged").get(0);
    assertThat(ack.params().path("_meta").path("io.modelcontextprotocol/subscriptionId"))
        .isEqualTo(listen.id().toJson());
    assertThat(stream).isNotDone();

    stream.cancel(true);
    await("nothing pending", () -> transport.pendingCount() == 0);
  }

  private JsonNode cancelledCount() {
    try {
      return json(text(send(call("cancelled", "{}"))));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
