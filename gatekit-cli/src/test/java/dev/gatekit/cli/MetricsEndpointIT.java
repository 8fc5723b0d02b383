package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gatekit --metrics HOST:PORT} in front of the test kit's server, as a process: a client's
 * calls over stdio show up in the Prometheus text scraped over HTTP while the gateway runs, and with
 * no {@code OTEL_*} variables nothing tries to export anywhere.
 */
class MetricsEndpointIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TOOL_CALLS =
      Pattern.compile("(?m)^gatekit_requests_total\\{[^}]*mcp_method_name=\"tools/call\"[^}]*} ([0-9.]+)$");

  @TempDir Path dir;

  @Test
  void thePrometheusEndpointCountsTheClientsRequestsDuringTheRun() throws Exception {
    Path jar = Path.of(System.getProperty("gatekit.cliJar"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    int port = freePort();
    List<String> command = new ArrayList<>(List.of(java, "-jar", jar.toString(), "--metrics", "127.0.0.1:" + port,
        "--", java, "-cp", jar.toString(), "dev.gatekit.testkit.server.TestMcpServer"));
    Path err = dir.resolve("err.txt");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(err.toFile());
    builder.environment().keySet().removeIf(name -> name.startsWith("OTEL_"));
    Process gateway = builder.start();
    try {
      OutputStream in = gateway.getOutputStream();
      BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
      send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
      assertThat(JSON.readTree(out.readLine()).has("result")).isTrue();
      send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
      for (int id = 2; id <= 4; id++) {
        send(in, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
            + "\"arguments\":{\"text\":\"hello\"}}}");
        JsonNode answer = JSON.readTree(out.readLine());
        assertThat(answer.path("result").path("content").get(0).path("text").asText()).isEqualTo("hello");
      }

      String scraped = scrapeUntil(port, text -> toolCalls(text) >= 3);
      assertThat(toolCalls(scraped)).isEqualTo(3);
      assertThat(scraped).contains("mcp_server_operation_duration_seconds_count{")
          .contains("mcp_client_operation_duration_seconds_count{")
          .contains("gatekit_upstream_requests_in_flight{")
          .contains("gatekit_sessions_open{");

      in.close();
      assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).as("the gateway ends when stdin closes").isTrue();
      assertThat(gateway.exitValue()).isZero();
      assertThat(Files.readString(err)).as("no exporter is tried without OTEL_EXPORTER_OTLP_ENDPOINT")
          .doesNotContainIgnoringCase("export");
    } finally {
      gateway.destroyForcibly();
    }
  }

  @Test
  void aMetricsAddressThatIsNotHostAndPortIsAUsageError() throws Exception {
    assertThat(GatekitCommand.run(new String[] {"--metrics", "9464", "--", "true"}, System.out, System.err))
        .isEqualTo(GatekitCommand.USAGE);
    assertThat(Telemetry.address("[::1]:9464").getHostString()).isEqualTo("::1");
    assertThat(Telemetry.address("localhost:70000")).isNull();
  }

  /** Scrapes {@code /metrics} until {@code done} holds (the gateway records just before it answers). */
  private static String scrapeUntil(int port, java.util.function.Predicate<String> done) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String text = "";
    while (System.nanoTime() < deadline) {
      // The endpoint is up before the gateway reads its client's first line: no retry on a refusal.
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      text = response.body();
      if (done.test(text)) {
        return text;
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
    throw new AssertionError("the scrape never showed the calls:\n" + text);
  }

  private static double toolCalls(String text) {
    Matcher matcher = TOOL_CALLS.matcher(text);
    double total = 0;
    while (matcher.find()) {
      total += Double.parseDouble(matcher.group(1));
    }
    return total;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void send(OutputStream in, String line) throws IOException {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }
}
