package dev.gatekit.transport.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.TransportClosedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What goes over the wire, seen by a minimal HTTP/1.1 server on a plain socket that records every
 * request's headers and may close a connection instead of answering: the trace-context headers, the
 * single resend of a request whose connection the server closed, the GET stream of a server
 * without sessions, and the stateless 2026-07-28 POSTs beside a 2025 session (their headers, and
 * cancellation without a notice).
 */
@Timeout(30)
class HttpTransportWireTest {

  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  /** One request as the server read it. */
  record Seen(String method, Map<String, String> headers, JsonNode body) {}

  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger closesLeft = new AtomicInteger();
  private volatile boolean getStream;
  private volatile boolean sessions;
  private volatile boolean hold;
  private final CountDownLatch released = new CountDownLatch(1);
  private ServerSocket socket;
  private HttpTransport transport;

  private HttpTransport start() throws IOException {
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptAll, "wire-test-server");
    acceptor.setDaemon(true);
    acceptor.start();
    transport =
        HttpTransport.builder(URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/mcp")).name("wire").build();
    transport.start();
    return transport;
  }

  @AfterEach
  void stop() throws IOException {
    released.countDown();
    if (transport != null) {
      transport.close();
    }
    if (socket != null) {
      socket.close();
    }
  }

  @Test
  void aRequestsTraceContextInMetaIsAlsoSentAsW3cHeaders() throws Exception {
    start();
    JsonRpcResponse answer =
        transport
            .sendAndReceive(
                Mcp.request(
                    7,
                    McpMethods.TOOLS_CALL,
                    "{\"name\":\"echo\",\"_meta\":{\"traceparent\":\""
                        + TRACEPARENT
                        + "\",\"tracestate\":\"vendor=abc,other=1\"}}"))
            .get(10, TimeUnit.SECONDS);
    assertThat(answer.isError()).isFalse();
    transport.sendAndReceive(Mcp.call(8, "echo", "{}")).get(10, TimeUnit.SECONDS);
    transport
        .sendAndReceive(
            Mcp.request(9, McpMethods.TOOLS_CALL, "{\"name\":\"echo\",\"_meta\":{\"traceparent\":\"junk\\r\\nX: y\"}}"))
        .get(10, TimeUnit.SECONDS);

    assertThat(seen).hasSize(3);
    assertThat(seen.get(0).headers()).containsEntry("traceparent", TRACEPARENT).containsEntry("tracestate", "vendor=abc,other=1");
    assertThat(seen.get(0).body().path("params").path("_meta").path("traceparent").asText()).isEqualTo(TRACEPARENT);
    assertThat(seen.get(1).headers()).doesNotContainKeys("traceparent", "tracestate");
    // Not W3C trace context: not a header (it stays in _meta, the server's business).
    assertThat(seen.get(2).headers()).doesNotContainKeys("traceparent", "tracestate");
  }

  @Test
  void aRequestWhoseConnectionTheServerClosedUnansweredIsSentExactlyOnceMore() throws Exception {
    start();
    transport.sendAndReceive(Mcp.call(1, "echo", "{}")).get(10, TimeUnit.SECONDS); // a kept-alive connection
    closesLeft.set(1);
    JsonRpcResponse answer = transport.sendAndReceive(Mcp.call(2, "echo", "{}")).get(10, TimeUnit.SECONDS);

    assertThat(Mcp.text(answer)).isEqualTo("ok");
    assertThat(seen).hasSize(3); // the first call; the second, closed; the second again
    assertThat(seen.get(1).body().get("id")).isEqualTo(seen.get(2).body().get("id"));
  }

  @Test
  void aSecondCloseBeforeAnsweringIsReportedAndNotSentAThirdTime() throws Exception {
    start();
    transport.sendAndReceive(Mcp.call(1, "echo", "{}")).get(10, TimeUnit.SECONDS);
    closesLeft.set(2);

    assertThatThrownBy(() -> transport.sendAndReceive(Mcp.call(2, "echo", "{}")).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(TransportClosedException.class)
        .hasMessageContaining("Upstream 'wire' at http://127.0.0.1:")
        .hasMessageContaining("is unreachable");
    assertThat(seen).hasSize(3);
    // The transport goes on serving.
    assertThat(Mcp.text(transport.sendAndReceive(Mcp.call(3, "echo", "{}")).get(10, TimeUnit.SECONDS))).isEqualTo("ok");
  }

  @Test
  void aServerWithoutSessionsGetsAGetStreamToo() throws Exception {
    getStream = true;
    start();
    Mcp.Recording handler = new Mcp.Recording();
    transport.setInboundHandler(handler);
    Mcp.handshake(transport, "2025-11-25");

    Mcp.await("the notification of the GET stream", () -> !handler.named("notifications/tools/list_changed").isEmpty());
    assertThat(transport.sessionId()).isNull();
    Seen get = seen.stream().filter(s -> s.method().equals("GET")).findFirst().orElseThrow();
    assertThat(get.headers()).containsEntry("accept", "text/event-stream").doesNotContainKey("mcp-session-id");
    assertThat(handler.named("notifications/tools/list_changed").get(0))
        .isEqualTo(new JsonRpcNotification("notifications/tools/list_changed", null));
  }

  @Test
  void messagesOf2026GoStatelessBesideA2025Session() throws Exception {
    sessions = true;
    start();
    Mcp.handshake(transport, "2025-11-25");
    assertThat(transport.sessionId()).isEqualTo("s-1");
    String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}";

    transport.sendAndReceive(Mcp.request(1, McpMethods.TOOLS_CALL, "{\"name\":\"grüße\"," + meta + "}")).get(10, TimeUnit.SECONDS);
    transport.sendAndReceive(Mcp.request(2, McpMethods.RESOURCES_READ, "{\"uri\":\" =?base64?x?=\"," + meta + "}"))
        .get(10, TimeUnit.SECONDS);
    transport.sendAndReceive(Mcp.request(3, McpMethods.TOOLS_LIST, "{" + meta + "}")).get(10, TimeUnit.SECONDS);
    transport.sendAndReceive(Mcp.call(4, "echo", "{}")).get(10, TimeUnit.SECONDS);
    transport.sendNotification(new JsonRpcNotification("notifications/roots/list_changed", Mcp.json("{" + meta + "}")));
    Mcp.await("the 2026 notification", () -> seen.stream().anyMatch(s -> s.body().path("method").asText().contains("roots")));

    Map<String, String> call = sent("tools/call", "grüße").headers();
    assertThat(call).doesNotContainKey("mcp-session-id")
        .containsEntry("mcp-protocol-version", "2026-07-28")
        .containsEntry("mcp-method", "tools/call")
        .containsEntry("mcp-name", "=?base64?" + Base64.getEncoder().encodeToString("grüße".getBytes(StandardCharsets.UTF_8)) + "?=");
    // surrounding whitespace and a value that looks encoded are encoded too
    assertThat(sent("resources/read", null).headers().get("mcp-name"))
        .isEqualTo("=?base64?" + Base64.getEncoder().encodeToString(" =?base64?x?=".getBytes(StandardCharsets.UTF_8)) + "?=");
    assertThat(sent("tools/list", null).headers()).doesNotContainKeys("mcp-session-id", "mcp-name").containsEntry("mcp-method", "tools/list");
    // a 2025-era message stays in the session, without the 2026 headers
    assertThat(sent("tools/call", "echo").headers()).containsEntry("mcp-session-id", "s-1").containsEntry("mcp-protocol-version", "2025-11-25")
        .doesNotContainKeys("mcp-method", "mcp-name");
    Seen notification = seen.stream().filter(s -> s.body().path("method").asText().contains("roots")).findFirst().orElseThrow();
    assertThat(notification.headers()).doesNotContainKey("mcp-session-id")
        .containsEntry("mcp-protocol-version", "2026-07-28")
        .containsEntry("mcp-method", "notifications/roots/list_changed");
  }

  @Test
  void aStatelessRequestIsCancelledByClosingItsPostAndNoNoticeIsSent() throws Exception {
    start();
    hold = true;
    String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}";
    CompletableFuture<JsonRpcResponse> modern =
        transport.sendAndReceive(Mcp.request(1, McpMethods.TOOLS_CALL, "{\"name\":\"slow\"," + meta + "}"));
    Mcp.await("the server read the 2026-era request", () -> slow(true) != null);
    modern.cancel(true);
    // the same for a 2025-era request: that one is followed by notifications/cancelled
    CompletableFuture<JsonRpcResponse> old = transport.sendAndReceive(Mcp.call(2, "slow", "{}"));
    Mcp.await("the server read the 2025-era request", () -> slow(false) != null);
    old.cancel(true);
    Mcp.await("the 2025-era request's notice", () -> !named(McpMethods.NOTIFICATIONS_CANCELLED).isEmpty());
    released.countDown();

    long wireId2025 = slow(false).body().path("id").asLong();
    assertThat(named(McpMethods.NOTIFICATIONS_CANCELLED)).singleElement()
        .satisfies(notice -> assertThat(notice.body().path("params").path("requestId").asLong()).isEqualTo(wireId2025));
    assertThat(modern).isCancelled();
    Mcp.await("nothing pending", () -> transport.pendingCount() == 0);
  }

  @Test
  void aStatelessRequestRefusedWithANullIdGetsThatErrorAsItsAnswer() throws Exception {
    start();
    String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}";

    JsonRpcResponse refused =
        transport.sendAndReceive(Mcp.request(5, "refuse/me", "{" + meta + "}")).get(10, TimeUnit.SECONDS);
    assertThat(refused.isError()).isTrue();
    assertThat(refused.id()).isEqualTo(dev.gatekit.api.RequestId.of(5));
    assertThat(refused.error().code()).isEqualTo(-32000);

    // a 2025-era request refused so stays a failure naming the status, as before
    assertThatThrownBy(() -> transport.sendAndReceive(Mcp.request(6, "refuse/me", "{}")).get(10, TimeUnit.SECONDS))
        .cause()
        .isInstanceOf(TransportClosedException.class)
        .hasMessageContaining("HTTP 400")
        .hasMessageContaining("Server not initialized");
  }

  @Test
  void theHeadersOf2026CannotBeConfigured() {
    HttpTransport.Builder builder = HttpTransport.builder(URI.create("http://127.0.0.1:1/mcp"));
    for (String name : List.of("Mcp-Method", "mcp-name")) {
      assertThatThrownBy(() -> builder.header(name, "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("set by the transport itself");
    }
  }

  /** The held call the server read, of the 2026 generation or not; null before. */
  private Seen slow(boolean stateless) {
    return seen.stream()
        .filter(s -> s.body().path("params").path("name").asText().equals("slow")
            && s.body().path("params").has("_meta") == stateless)
        .findFirst()
        .orElse(null);
  }

  private List<Seen> named(String method) {
    return seen.stream().filter(s -> s.body().path("method").asText().equals(method)).toList();
  }

  /** The request the server read with this method (and tool name, if given). */
  private Seen sent(String method, String tool) {
    return seen.stream()
        .filter(s -> s.body().path("method").asText().equals(method)
            && (tool == null || s.body().path("params").path("name").asText().equals(tool)))
        .findFirst()
        .orElseThrow();
  }

  // ---------------------------------------------------------------------------------------------
  // The server: HTTP/1.1 with Content-Length bodies, keep-alive, no sessions.

  private void acceptAll() {
    while (!socket.isClosed()) {
      try {
        Socket connection = socket.accept();
        Thread thread = new Thread(() -> serve(connection), "wire-test-connection");
        thread.setDaemon(true);
        thread.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket connection) {
    try (connection) {
      InputStream in = connection.getInputStream();
      OutputStream out = connection.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        String[] lines = head.split("\r\n");
        String method = lines[0].split(" ")[0];
        Map<String, String> headers = new TreeMap<>();
        for (int i = 1; i < lines.length; i++) {
          int colon = lines[i].indexOf(':');
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
        JsonNode message = body.length == 0 ? Mcp.json("{}") : Mcp.json(new String(body, StandardCharsets.UTF_8));
        seen.add(new Seen(method, headers, message));
        if (method.equals("GET")) {
          if (!getStream) {
            write(out, "405 Method Not Allowed", null, "");
          } else {
            getStream = false;
            write(out, "200 OK", "text/event-stream", "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n");
          }
          continue;
        }
        if (!message.has("id")) {
          write(out, "202 Accepted", null, "");
          continue;
        }
        if (message.path("method").asText().equals("refuse/me")) { // as a 2025-era server without a session
          String refusal = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,\"message\":\"Bad Request: Server not initialized\"},\"id\":null}";
          write(out, "400 Bad Request", "application/json", refusal);
          continue;
        }
        if (hold && message.path("params").path("name").asText().equals("slow")) {
          released.await(30, TimeUnit.SECONDS); // answers nothing until the test ends it
          return;
        }
        if (message.path("method").asText().equals(McpMethods.TOOLS_CALL) && closesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          return; // read it, answer nothing, close the connection
        }
        String id = message.get("id").toString();
        String result =
            message.path("method").asText().equals(McpMethods.INITIALIZE)
                ? "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"serverInfo\":{\"name\":\"wire\",\"version\":\"1\"}}"
                : "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}";
        String type =
            sessions && message.path("method").asText().equals(McpMethods.INITIALIZE)
                ? "application/json\r\nMcp-Session-Id: s-1"
                : "application/json";
        write(out, "200 OK", type, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}");
      }
    } catch (IOException ignored) {
      // the client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads up to the empty line; null at the end of the stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int next = in.read();
      if (next < 0) {
        return null;
      }
      head.write(next);
      matched = (next == '\r' && (matched == 0 || matched == 2)) || (next == '\n' && (matched == 1 || matched == 3)) ? matched + 1 : 0;
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    return text.substring(0, text.length() - 4);
  }

  private static void write(OutputStream out, String status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 " + status + "\r\n" + (type == null ? "" : "Content-Type: " + type + "\r\n")
            + "Content-Length: " + bytes.length + "\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.ISO_8859_1));
    out.write(bytes);
    out.flush();
  }
}
