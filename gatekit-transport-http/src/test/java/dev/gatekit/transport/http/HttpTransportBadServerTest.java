package dev.gatekit.transport.http;

import static dev.gatekit.transport.http.Mcp.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.TransportClosedException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input from a server: a tiny fake Streamable HTTP server (the JDK's HttpServer) whose answer
 * depends on the tool called. Each bad answer gives its caller a clear error at once, and the same
 * transport goes on serving.
 */
@Timeout(30)
class HttpTransportBadServerTest {

  private static final int LIMIT = 2048;

  private HttpServer server;
  private ExecutorService threads;
  private HttpTransport transport;
  private final Mcp.Recording handler = new Mcp.Recording();
  private final List<String> lastEventIds = new CopyOnWriteArrayList<>();
  private volatile String getMode = "405";

  @BeforeEach
  void start() throws IOException {
    threads = Executors.newCachedThreadPool();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(threads);
    server.createContext("/mcp", this::serve);
    server.start();
    transport =
        HttpTransport.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp"))
            .name("fake")
            .maxMessageBytes(LIMIT)
            .build();
    transport.setInboundHandler(handler);
    transport.start();
  }

  @AfterEach
  void stop() {
    transport.close();
    server.stop(0);
    threads.shutdownNow();
  }

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (exchange.getRequestMethod().equals("DELETE")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      if (exchange.getRequestMethod().equals("GET")) {
        serveGet(exchange);
        return;
      }
      JsonNode message = Mcp.json(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      if (!message.has("id")) {
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      long id = message.path("id").asLong();
      String method = message.path("method").asText();
      if (method.equals(McpMethods.INITIALIZE)) {
        exchange.getResponseHeaders().add("Mcp-Session-Id", "session-1");
        json(exchange, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}");
        return;
      }
      String ok = "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}";
      switch (message.path("params").path("name").asText()) {
        case "invalid-json" -> json(exchange, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":");
        case "html" -> {
          exchange.getResponseHeaders().add("Content-Type", "text/html");
          send(exchange, 200, "<html>hello</html>");
        }
        case "oversize" -> json(exchange, 200, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"pad\":\"" + "x".repeat(LIMIT) + "\"}}");
        case "sse-ends-early" -> sse(exchange, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{\"level\":\"info\",\"data\":\"before\"}}\n\n");
        case "sse-invalid-json" -> sse(exchange, "data: {oops\n\n");
        case "sse-oversize" -> sse(exchange, "data: " + "y".repeat(LIMIT + 10) + "\n\n");
        case "sse-resumable" -> sse(exchange, "id: ev-1\nretry: 10\ndata:\n\n");
        case "sse-good" -> sse(exchange, "event: message\nid: 1\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}\r\n\r\n: comment\ndata: " + ok + "\n\n");
        case "server-error" -> json(exchange, 500, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,\"message\":\"database down\"}}");
        case "accepted" -> exchange.sendResponseHeaders(202, -1);
        default -> json(exchange, 200, ok);
      }
    }
  }

  private void serveGet(HttpExchange exchange) throws IOException {
    String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
    if (lastEventId != null) {
      lastEventIds.add(lastEventId + " " + exchange.getRequestHeaders().getFirst("Mcp-Session-Id"));
      // The resumed stream of the request with wire id 2 (initialize was 1).
      sse(exchange, "id: ev-2\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"resumed\"}]}}\n\n");
      return;
    }
    if (getMode.equals("stream")) {
      sse(exchange, "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\ndata: {bad\n\n");
      getMode = "405";
      return;
    }
    exchange.sendResponseHeaders(405, -1);
  }

  private static void json(HttpExchange exchange, int status, String body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    send(exchange, status, body);
  }

  private static void sse(HttpExchange exchange, String body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
    send(exchange, 200, body);
  }

  private static void send(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private Throwable failureOf(String tool) throws Exception {
    CompletableFuture<JsonRpcResponse> future = transport.sendAndReceive(call(1, tool, "{}"));
    try {
      future.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(TransportClosedException.class);
      return e.getCause();
    }
    throw new AssertionError(tool + " completed normally");
  }

  private void stillServes() throws Exception {
    assertThat(Mcp.text(transport.sendAndReceive(call(2, "fine", "{}")).get(10, TimeUnit.SECONDS))).isEqualTo("ok");
  }

  private void initialize() throws Exception {
    Mcp.handshake(transport, "2025-06-18");
  }

  @Test
  void eachBadAnswerFailsItsCallerClearlyAndTheTransportGoesOn() throws Exception {
    initialize();
    assertThat(failureOf("invalid-json")).hasMessageContaining("fake").hasMessageContaining("not a valid JSON-RPC message");
    stillServes();
    assertThat(failureOf("html")).hasMessageContaining("content type 'text/html'");
    stillServes();
    assertThat(failureOf("oversize")).hasMessageContaining("over the limit of " + LIMIT + " bytes");
    stillServes();
    assertThat(failureOf("sse-ends-early")).hasMessageContaining("ended the event stream of 'tools/call' before the answer");
    stillServes();
    assertThat(failureOf("sse-invalid-json")).hasMessageContaining("an SSE event is not a valid JSON-RPC message");
    stillServes();
    assertThat(failureOf("sse-oversize")).hasMessageContaining("over the limit of " + LIMIT + " bytes");
    stillServes();
    assertThat(failureOf("server-error")).hasMessageContaining("HTTP 500").hasMessageContaining("database down");
    stillServes();
    assertThat(failureOf("accepted")).hasMessageContaining("HTTP 202");
    stillServes();
    assertThat(transport.stats().failed()).isEqualTo(8);
    assertThat(transport.stats().inFlight()).isZero();
    // The notification that preceded the early end still reached the handler.
    assertThat(handler.named(McpMethods.NOTIFICATIONS_MESSAGE)).hasSize(1);
  }

  @Test
  void aStreamWithEventIdsIsResumedWithLastEventId() throws Exception {
    initialize();
    JsonRpcResponse answer = transport.sendAndReceive(call(5, "sse-resumable", "{}")).get(10, TimeUnit.SECONDS);
    assertThat(Mcp.text(answer)).isEqualTo("resumed");
    assertThat(answer.id()).isEqualTo(dev.gatekit.api.RequestId.of(5));
    assertThat(lastEventIds).containsExactly("ev-1 session-1");
  }

  @Test
  void sseFieldsCommentsAndCrLfFromARealSocket() throws Exception {
    initialize();
    assertThat(Mcp.text(transport.sendAndReceive(call(1, "sse-good", "{}")).get(10, TimeUnit.SECONDS))).isEqualTo("ok");
    assertThat(handler.named(McpMethods.NOTIFICATIONS_PROGRESS)).hasSize(1);
  }

  @Test
  void theGetStreamDeliversUnaskedMessagesAndDropsBadEvents() throws Exception {
    getMode = "stream";
    initialize();
    Mcp.await("list_changed", () -> !handler.named(McpMethods.NOTIFICATIONS_TOOLS_LIST_CHANGED).isEmpty());
    stillServes();
  }

  @Test
  void headerValuesNeverAppearInBuilderErrors() {
    HttpTransport.Builder builder = HttpTransport.builder(URI.create("http://127.0.0.1:1/mcp"));
    assertThatThrownBy(() -> builder.header("Authorization", "Bearer sec\nret"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Authorization")
        .hasMessageNotContaining("sec");
    assertThatThrownBy(() -> builder.header("Mcp-Session-Id", "x")).hasMessageContaining("set by the transport");
    assertThatThrownBy(() -> HttpTransport.builder(URI.create("ftp://user:pw@host/x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("pw");
  }

  @Test
  void aServerThatIsNotThereFailsAtOnceAsUnreachable() throws Exception {
    try (HttpTransport nowhere = HttpTransport.builder(URI.create("http://127.0.0.1:1/mcp?token=s3cret")).name("nowhere").build()) {
      nowhere.start();
      Throwable failure =
          org.assertj.core.api.Assertions.catchThrowable(
              () -> nowhere.sendAndReceive(Mcp.initialize("2025-06-18")).get(10, TimeUnit.SECONDS));
      assertThat(failure.getCause())
          .isInstanceOf(TransportClosedException.class)
          .hasMessageContaining("unreachable")
          .hasMessageNotContaining("s3cret");
    }
  }
}
