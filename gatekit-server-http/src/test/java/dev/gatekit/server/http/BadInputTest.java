package dev.gatekit.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input at the front, over real sockets: each gets its HTTP status and a JSON-RPC error body,
 * nothing is started for it (no session, no upstream), and the front keeps serving (checked after
 * every test with a new session and a tool call).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {

  private static final String TOKEN = "s3cret-token";
  private static final String ORIGIN = "https://app.example";

  private final MockUpstreams upstreams = new MockUpstreams();
  private StreamableHttpServer server;
  private Http http;
  private int sessionsBefore;
  private int upstreamsBefore;

  @BeforeEach
  void start() {
    server = StreamableHttpServer.builder(upstreams.proxy)
        .allowedOrigins(List.of(ORIGIN))
        .bearerTokens(List.of("another-token", TOKEN))
        .maxBodyBytes(4096)
        .build();
    server.start();
    http = new Http(server.endpoint());
  }

  @AfterEach
  void stillServing() {
    try {
      assertThat(server.sessionCount()).as("sessions opened by bad input").isEqualTo(sessionsBefore);
      assertThat(upstreams.upstreams).as("upstreams started by bad input").hasSize(upstreamsBefore);
      assertThat(upstreams.proxy.openSessions()).as("proxy sessions opened by bad input").isEqualTo(sessionsBefore);
      Map<String, String> headers = authorized(null);
      HttpResponse<String> init = http.send("POST", Http.initializeRequest(1), headers);
      assertThat(init.statusCode()).isEqualTo(200);
      String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
      HttpResponse<String> call = http.send("POST", Http.toolCall(2, "echo", null), authorized(session));
      assertThat(call.body()).contains("echo");
    } finally {
      server.close();
      upstreams.close();
    }
  }

  private static Map<String, String> authorized(String session) {
    Map<String, String> headers = Http.postHeaders(session);
    headers.put("Authorization", "Bearer " + TOKEN);
    return headers;
  }

  /** A valid session, for the cases that need one; counted as existing before the bad input. */
  private String session() {
    HttpResponse<String> init = http.send("POST", Http.initializeRequest(1), authorized(null));
    sessionsBefore = server.sessionCount();
    upstreamsBefore = upstreams.upstreams.size();
    return init.headers().firstValue("Mcp-Session-Id").orElseThrow();
  }

  private static JsonNode refused(HttpResponse<String> response, int status, int code) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = Http.json(response.body());
    assertThat(body.path("jsonrpc").asText()).isEqualTo("2.0");
    assertThat(body.path("error").path("code").asInt()).isEqualTo(code);
    assertThat(body.path("error").path("message").asText()).isNotBlank();
    return body;
  }

  @Test
  void wrongMethod() {
    HttpResponse<String> response = http.send("PUT", Http.initializeRequest(1), authorized(null));
    refused(response, 405, -32600);
    assertThat(response.headers().firstValue("Allow")).hasValue("GET, POST, DELETE");
  }

  @Test
  void wrongContentType() {
    Map<String, String> headers = authorized(null);
    headers.put("Content-Type", "text/plain");
    refused(http.send("POST", Http.initializeRequest(1), headers), 415, -32600);
  }

  @Test
  void missingAccept() {
    Map<String, String> headers = authorized(null);
    headers.remove("Accept");
    refused(http.send("POST", Http.initializeRequest(1), headers), 406, -32600);
    headers.put("Accept", "text/html");
    refused(http.send("POST", Http.initializeRequest(1), headers), 406, -32600);
  }

  @Test
  void getWithoutEventStreamInAccept() {
    String session = session();
    Map<String, String> headers = authorized(session);
    headers.put("Accept", "application/json");
    refused(http.send("GET", null, headers), 406, -32600);
  }

  @Test
  void bodyOverTheBoundWithAndWithoutContentLength() {
    String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"pad\":\"" + "x".repeat(5000) + "\"}}";
    refused(http.send("POST", big, authorized(null)), 413, -32600);
    // Chunked, so the size shows only while reading.
    HttpRequest.Builder chunked = HttpRequest.newBuilder(server.endpoint())
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes())));
    authorized(null).forEach(chunked::header);
    try {
      HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
          .send(chunked.build(), HttpResponse.BodyHandlers.ofString());
      refused(response, 413, -32600);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void malformedJson() {
    refused(http.send("POST", "{\"jsonrpc\":\"2.0\",\"id\":1,", authorized(null)), 400, -32700);
  }

  @Test
  void aBatch() {
    JsonNode body = refused(http.send("POST", "[" + Http.initializeRequest(1) + "]", authorized(null)), 400, -32600);
    assertThat(body.path("id").isNull()).isTrue();
    assertThat(body.path("error").path("message").asText()).contains("batch");
  }

  @Test
  void notAValidMessage() {
    JsonNode body = refused(
        http.send("POST", "{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"initialize\"}", authorized(null)), 400, -32600);
    assertThat(body.path("id").asInt()).isEqualTo(5);
  }

  @Test
  void aRequestWithoutASessionId() {
    refused(http.send("POST", Http.toolCall(2, "echo", null), authorized(null)), 400, -32600);
    Map<String, String> get = authorized(null);
    get.put("Accept", "text/event-stream");
    refused(http.send("GET", null, get), 400, -32600);
    refused(http.send("DELETE", null, authorized(null)), 400, -32600);
  }

  @Test
  void aForgedSessionId() {
    String forged = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    refused(http.send("POST", Http.toolCall(2, "echo", null), authorized(forged)), 404, -32600);
    Map<String, String> get = authorized(forged);
    get.put("Accept", "text/event-stream");
    refused(http.send("GET", null, get), 404, -32600);
    refused(http.send("DELETE", null, authorized(forged)), 404, -32600);
  }

  @Test
  void anEndedSessionId() {
    String session = session();
    assertThat(http.send("DELETE", null, authorized(session)).statusCode()).isEqualTo(204);
    sessionsBefore = server.sessionCount();
    refused(http.send("POST", Http.toolCall(2, "echo", null), authorized(session)), 404, -32600);
  }

  @Test
  void anUnsupportedProtocolVersion() {
    String session = session();
    Map<String, String> headers = authorized(session);
    headers.put("MCP-Protocol-Version", "1999-01-01");
    JsonNode body = refused(http.send("POST", Http.toolCall(2, "echo", null), headers), 400, -32600);
    assertThat(body.path("error").path("message").asText()).contains("2025-11-25");
    headers.put("MCP-Protocol-Version", "2025-06-18");
    assertThat(http.send("POST", Http.toolCall(3, "echo", null), headers).statusCode()).isEqualTo(200);
  }

  @Test
  void aForbiddenOrigin() {
    Map<String, String> headers = authorized(null);
    headers.put("Origin", "https://evil.example");
    refused(http.send("POST", Http.initializeRequest(1), headers), 403, -32000);
    headers.put("Origin", ORIGIN);
    assertThat(http.send("POST", Http.initializeRequest(1), headers).statusCode()).isEqualTo(200);
    sessionsBefore = 1;
    upstreamsBefore = 1;
  }

  @Test
  void anOriginOnTheLoopbackIsAllowedByAFrontBoundToIt() {
    Map<String, String> headers = authorized(null);
    headers.put("Origin", "http://localhost:5173");
    assertThat(http.send("POST", Http.initializeRequest(1), headers).statusCode()).isEqualTo(200);
    sessionsBefore = 1;
    upstreamsBefore = 1;
  }

  @Test
  void aHostThatIsNotTheLoopbackIsRefusedAsDnsRebinding() throws IOException {
    String body = Http.initializeRequest(1);
    String refused = rawPost("evil.example.com:" + server.port(), body);
    assertThat(refused).startsWith("HTTP/1.1 403");
    assertThat(refused).contains("\"code\":-32000").contains("is not this machine's loopback");
    assertThat(rawPost("localhost:" + server.port(), body)).startsWith("HTTP/1.1 200");
    sessionsBefore = 1;
    upstreamsBefore = 1;
  }

  /** A POST written by hand: the JDK's client does not let a caller choose the Host header. */
  private String rawPost(String host, String body) throws IOException {
    byte[] content = body.getBytes(StandardCharsets.UTF_8);
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      String head = "POST /mcp HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
          + "Accept: application/json, text/event-stream\r\nAuthorization: Bearer " + TOKEN + "\r\n"
          + "Content-Length: " + content.length + "\r\nConnection: close\r\n\r\n";
      OutputStream out = socket.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(content);
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aMissingOrWrongToken() {
    Map<String, String> headers = Http.postHeaders(null);
    HttpResponse<String> missing = http.send("POST", Http.initializeRequest(1), headers);
    refused(missing, 401, -32000);
    assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    headers.put("Authorization", "Bearer " + TOKEN + "x");
    HttpResponse<String> wrong = http.send("POST", Http.initializeRequest(1), headers);
    refused(wrong, 401, -32000);
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
    headers.put("Authorization", "Basic dXNlcjpwYXNz");
    refused(http.send("POST", Http.initializeRequest(1), headers), 401, -32000);
  }

  @Test
  void anotherPath() {
    URI other = server.endpoint().resolve("/other");
    refused(http.send(other, "POST", Http.initializeRequest(1), authorized(null)), 404, -32600);
  }
}
