package dev.gatekit.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StreamableHttpServer.Builder#textRoute}: the extra path answers GET with the supplier's text
 * of the moment, under the front's bearer tokens, beside an MCP endpoint that keeps working.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TextRouteTest {

  private static final String TOKEN = "s3cret-token";
  private static final String TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final MockUpstreams upstreams = new MockUpstreams();
  private final AtomicInteger scrapes = new AtomicInteger();
  private StreamableHttpServer server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close();
    }
    upstreams.close();
  }

  @Test
  void getAnswersWithTheSuppliersTextOfTheMomentBesideTheMcpEndpoint() {
    server = StreamableHttpServer.builder(upstreams.proxy)
        .textRoute("/metrics", TEXT_TYPE, () -> "scrapes " + scrapes.incrementAndGet() + "\n")
        .build();
    server.start();
    Http http = new Http(server.endpoint());
    URI metrics = server.endpoint().resolve("/metrics");

    HttpResponse<String> first = http.send(metrics, "GET", null, Map.of());
    HttpResponse<String> second = http.send(metrics, "GET", null, Map.of());

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.headers().firstValue("Content-Type")).hasValue(TEXT_TYPE);
    assertThat(first.body()).isEqualTo("scrapes 1\n");
    assertThat(second.body()).isEqualTo("scrapes 2\n");
    HttpResponse<String> post = http.send(metrics, "POST", "{}", Map.of("Content-Type", "application/json"));
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(scrapes).as("a refused method does not run the supplier").hasValue(2);
    String session = http.initialize();
    assertThat(http.post(session, Http.toolCall(2, "echo", null)).body()).contains("echo");
  }

  @Test
  void theFrontsOriginAndHostChecksGuardTheRouteToo() throws Exception {
    server = StreamableHttpServer.builder(upstreams.proxy)
        .textRoute("/metrics", TEXT_TYPE, () -> "scrapes " + scrapes.incrementAndGet() + "\n")
        .build();
    server.start();
    Http http = new Http(server.endpoint());
    URI metrics = server.endpoint().resolve("/metrics");

    assertThat(http.send(metrics, "GET", null, Map.of("Origin", "https://evil.example")).statusCode()).isEqualTo(403);
    assertThat(rawGet("evil.example.com:" + server.port())).startsWith("HTTP/1.1 403");
    assertThat(scrapes).as("a refused request does not run the supplier").hasValue(0);
    assertThat(rawGet("localhost:" + server.port())).startsWith("HTTP/1.1 200").endsWith("scrapes 1\n");
  }

  /** A GET written by hand: the JDK's client does not let a caller choose the Host header. */
  private String rawGet(String host) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void theFrontsBearerTokensGuardTheRouteToo() {
    server = StreamableHttpServer.builder(upstreams.proxy)
        .bearerTokens(List.of(TOKEN))
        .textRoute("/metrics", TEXT_TYPE, () -> "scrapes " + scrapes.incrementAndGet() + "\n")
        .build();
    server.start();
    Http http = new Http(server.endpoint());
    URI metrics = server.endpoint().resolve("/metrics");

    HttpResponse<String> without = http.send(metrics, "GET", null, Map.of());
    HttpResponse<String> wrong = http.send(metrics, "GET", null, Map.of("Authorization", "Bearer nope"));
    HttpResponse<String> right = http.send(metrics, "GET", null, Map.of("Authorization", "Bearer " + TOKEN));

    assertThat(without.statusCode()).isEqualTo(401);
    assertThat(without.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value).startsWith("Bearer"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(right.statusCode()).isEqualTo(200);
    assertThat(right.body()).isEqualTo("scrapes 1\n");
  }

  @Test
  void theMcpEndpointsPathCannotBeTheTextRoute() {
    StreamableHttpServer.Builder builder = StreamableHttpServer.builder(upstreams.proxy)
        .path("/mcp")
        .textRoute("/mcp", TEXT_TYPE, () -> "");

    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/mcp");
    assertThatThrownBy(() -> builder.textRoute("metrics", TEXT_TYPE, () -> ""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
