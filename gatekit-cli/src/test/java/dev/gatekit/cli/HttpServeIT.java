package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatekit --http HOST:PORT -- COMMAND} as a process (the packaged jar): it says where it
 * listens, gives each session its own upstream process, and on SIGTERM lets the request in flight
 * finish before it stops the upstreams and exits (with 143, 128 + SIGTERM, as a JVM ended by it does);
 * meanwhile its port serves the metrics of the run as Prometheus text at {@code /metrics}.
 */
class HttpServeIT {

  private static final Pattern ENDPOINT = Pattern.compile(Pattern.quote(HttpServe.LISTENING) + "(http://\\S+)");

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @Test
  void sigtermDrainsTheRequestInFlightThenStopsTheUpstreams() throws Exception {
    Path jar = Path.of(System.getProperty("gatekit.cliJar", "gatekit-cli/target/gatekit.jar"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path err = dir.resolve("err.txt");
    Process gateway = new ProcessBuilder(java, "-jar", jar.toString(), "--http", "127.0.0.1:0", "--",
        java, "-cp", jar.toString(), "dev.gatekit.testkit.server.TestMcpServer")
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(err.toFile()).start();
    try {
      URI endpoint = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (endpoint == null) {
        Matcher matcher = ENDPOINT.matcher(Files.readString(err));
        if (matcher.find()) {
          endpoint = URI.create(matcher.group(1));
        } else {
          assertThat(gateway.isAlive()).as(Files.readString(err)).isTrue();
          assertThat(System.nanoTime()).as("listening within 60 s").isLessThan(deadline);
          Thread.sleep(50); // polling for the line, with a deadline
        }
      }
      assertThat(endpoint.getHost()).isEqualTo("127.0.0.1");
      assertThat(endpoint.getPath()).isEqualTo("/mcp");

      String first = initialize(endpoint);
      String second = initialize(endpoint);
      assertThat(first).isNotEqualTo(second);
      List<ProcessHandle> upstreams = gateway.descendants().toList();
      assertThat(upstreams).as("a server process per session").hasSize(2);

      CompletableFuture<HttpResponse<String>> slow = client.sendAsync(post(endpoint, first,
          "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"sleep\",\"arguments\":{\"ms\":1500}}}"),
          HttpResponse.BodyHandlers.ofString());
      // The call is in flight when the upstream has it: its stats say so.
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (call(endpoint, second, "stats").path("result").path("structuredContent").path("inFlight").asInt() == 0
          && call(endpoint, first, "stats").path("result").path("structuredContent").path("inFlight").asInt() == 0) {
        assertThat(System.nanoTime()).as("the sleep call reaches its upstream").isLessThan(until);
        Thread.sleep(20); // polling, with a deadline
      }
      // The metrics, on the front's own port: the two sessions and the calls made so far.
      String metrics = scrapeUntil(endpoint.resolve("/metrics"),
          text -> count(text, "gatekit_requests_total", "mcp_method_name=\"tools/call\"") >= 2);
      assertThat(count(metrics, "gatekit_sessions_open", "")).isEqualTo(2);
      assertThat(metrics).contains("mcp_server_operation_duration_seconds_count{")
          .contains("gatekit_direction=\"client_to_upstream\"");
      gateway.destroy(); // SIGTERM

      HttpResponse<String> answer = slow.get(30, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(McpHttpAnswer.message(answer).path("result").path("content").get(0).path("text").asText()).isEqualTo("slept 1500 ms");
      assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(gateway.exitValue()).as("128 + SIGTERM, as any JVM ended by it").isEqualTo(143);
      for (ProcessHandle upstream : upstreams) {
        assertThat(upstream.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
      }
      assertThat(Files.readString(err)).contains("gatekit: stopped; 2 session(s) closed");
    } finally {
      gateway.descendants().forEach(ProcessHandle::destroyForcibly);
      gateway.destroyForcibly();
    }
  }

  /** Scrapes {@code metrics} until {@code done} holds of the text (metrics are recorded as answers go). */
  private String scrapeUntil(URI metrics, java.util.function.Predicate<String> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      HttpResponse<String> scraped = client.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(30)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(scraped.statusCode()).as(scraped.body()).isEqualTo(200);
      assertThat(scraped.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      if (done.test(scraped.body())) {
        return scraped.body();
      }
      assertThat(System.nanoTime()).as("metrics within 30 s:\n" + scraped.body()).isLessThan(deadline);
      Thread.sleep(50); // polling, with a deadline
    }
  }

  /** Sums the samples of {@code metric} whose labels contain {@code label}. */
  private static double count(String text, String metric, String label) {
    double sum = 0;
    Matcher sample = Pattern.compile("(?m)^" + metric + "\\{([^}]*)} ([0-9.eE+]+)$").matcher(text);
    while (sample.find()) {
      if (sample.group(1).contains(label)) {
        sum += Double.parseDouble(sample.group(2));
      }
    }
    return sum;
  }

  private String initialize(URI endpoint) throws Exception {
    HttpResponse<String> answer = client.send(post(endpoint, null, """
        {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},
        "clientInfo":{"name":"http-serve-it","version":"1"}}}"""), HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    String session = answer.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertThat(client.send(post(endpoint, session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
    return session;
  }

  private JsonNode call(URI endpoint, String session, String tool) throws Exception {
    HttpResponse<String> answer = client.send(post(endpoint, session,
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{}}}"),
        HttpResponse.BodyHandlers.ofString());
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return McpHttpAnswer.message(answer);
  }

  private static HttpRequest post(URI endpoint, String session, String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
    }
    return request.build();
  }

}
