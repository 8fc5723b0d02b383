package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the packaged command-line jar ({@code gatekit-cli/target/gatekit.jar}) as a process, as a user
 * would. Run by Maven Failsafe after {@code package}.
 */
class GatekitCliIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static Path jar;
  private static Path configExamples;
  private static String java;

  @TempDir Path dir;

  @BeforeAll
  static void findJar() {
    String property = System.getProperty("gatekit.cliJar");
    assertThat(property).as("system property gatekit.cliJar").isNotNull();
    jar = Path.of(property);
    assertThat(jar).exists();
    configExamples = Path.of(System.getProperty("gatekit.configExamples", ""));
    assertThat(configExamples).as("system property gatekit.configExamples").isDirectory();
    java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static List<String> gatekit(String... args) {
    List<String> command = new ArrayList<>(List.of(java, "-jar", jar.toString()));
    command.addAll(List.of(args));
    return command;
  }

  private static String testServerCommand() {
    return "\"" + java + "\" -cp \"" + jar + "\" dev.gatekit.testkit.server.TestMcpServer";
  }

  private record Result(int exit, String out, String err) {}

  private Result run(List<String> command) throws Exception {
    Path out = dir.resolve("out-" + System.nanoTime());
    Path err = dir.resolve("err-" + System.nanoTime());
    Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("finished in time").isTrue();
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void passThroughModeAnswersARealClient() throws Exception {
    // At debug level a single log line on stdout would break the client's first JSON line.
    Process gateway = new ProcessBuilder(gatekit("--log-level", "debug", "--", java, "-cp", jar.toString(),
        "dev.gatekit.testkit.server.TestMcpServer")).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    talkTo(gateway, "echo");
  }

  @Test
  void configModeServesTheConfiguredUpstreamAndEndsWhenStdinCloses() throws Exception {
    Path config = dir.resolve("gatekit.yaml");
    Files.writeString(config, """
        proxy:
          upstreams:
            - name: kit
              command: '%s'
          timeouts: {request_seconds: 10}
        logging: {level: debug, file: logs/gatekit.log}
        """.formatted(testServerCommand()));
    Process gateway = new ProcessBuilder(gatekit("--config", config.toString()))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    talkTo(gateway, "echo");
    assertThat(dir.resolve("logs/gatekit.log")).exists();
    assertThat(Files.readString(dir.resolve("logs/gatekit.log"))).isNotEmpty();
  }

  @Test
  void sigtermStopsTheGatewayAndItsUpstream() throws Exception {
    Path config = dir.resolve("gatekit.yaml");
    Files.writeString(config, "proxy:\n  upstreams:\n    - {name: kit, command: '" + testServerCommand() + "'}\n");
    Path log = dir.resolve("cli.log");
    Process gateway = new ProcessBuilder(gatekit("--config", config.toString(), "--log-level", "debug", "--log-file", log.toString()))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    OutputStream in = gateway.getOutputStream();
    BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
    send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
    assertThat(JSON.readTree(out.readLine()).has("result")).isTrue();
    List<ProcessHandle> upstreams = gateway.descendants().toList();
    assertThat(upstreams).isNotEmpty();
    gateway.destroy(); // SIGTERM
    assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle upstream : upstreams) {
      assertThat(upstream.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
    }
    assertThat(Files.readString(log)).contains("DEBUG");
  }

  @Test
  void aGatewayThatCanNoLongerWriteToItsClientExitsWithOneAfterALogLine() throws Exception {
    Path err = dir.resolve("err.txt");
    Process gateway = new ProcessBuilder(gatekit("--", java, "-cp", jar.toString(),
        "dev.gatekit.testkit.server.TestMcpServer")).redirectError(err.toFile()).start();
    gateway.getInputStream().close(); // the client stops reading for good: the pipe's read end is gone
    OutputStream in = gateway.getOutputStream();
    send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
    // stdin stays open: the gateway must notice by itself that it cannot serve any more.
    assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).as("the gateway exits by itself").isTrue();
    assertThat(gateway.exitValue()).isEqualTo(1);
    assertThat(Files.readString(err)).contains("can no longer serve");
    in.close();
  }

  private static void talkTo(Process gateway, String tool) throws Exception {
    OutputStream in = gateway.getOutputStream();
    BufferedReader out = new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
    send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
    JsonNode init = JSON.readTree(out.readLine());
    assertThat(init.path("id").asInt()).isEqualTo(1);
    assertThat(init.path("result").path("protocolVersion").asText()).isEqualTo("2025-06-18");
    send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    send(in, "{\"jsonrpc\":\"2.0\",\"id\":\"two\",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{\"text\":\"hello\"}}}");
    JsonNode answer = JSON.readTree(out.readLine());
    assertThat(answer.path("id").asText()).isEqualTo("two");
    assertThat(answer.path("result").path("content").get(0).path("text").asText()).isEqualTo("hello");
    in.close();
    assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(gateway.exitValue()).isZero();
  }

  private static void send(OutputStream in, String line) throws IOException {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  @Test
  void checkAcceptsTheExamplesAndPrintsThemResolved() throws Exception {
    for (String example : List.of("minimal.yaml", "two-upstreams.yaml", "full.yaml")) {
      Result result = run(gatekit("check", "--config", configExamples.resolve(example).toString()));
      assertThat(result.exit()).as(example + ": " + result.err()).isZero();
      assertThat(result.out()).contains("valid").contains("upstreams:").contains("max_requests_in_flight:");
    }
  }

  @Test
  void checkRejectsABadConfigNamingTheKeyAndExitsTwo() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, "proxy:\n  upstreams:\n    - {name: a, command: p}\n  max_requests_in_flite: 5\n");
    Result result = run(gatekit("check", "--config", config.toString()));
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).contains("bad.yaml").contains("proxy.max_requests_in_flite")
        .contains("did you mean 'max_requests_in_flight'?");
  }

  @Test
  void aBadConfigNeverStartsAnUpstream() throws Exception {
    Path marker = dir.resolve("started");
    Path config = dir.resolve("bad.yaml");
    Files.writeString(config, """
        proxy:
          upstreams:
            - name: a
              command: ["/bin/sh", "-c", "touch '%s'; cat"]
          overflow_policy: sometimes
        """.formatted(marker));
    Result result = run(gatekit("--config", config.toString()));
    assertThat(result.exit()).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err()).contains("proxy.overflow_policy: expected reject or queue, found \"sometimes\"");
    assertThat(marker).doesNotExist();
  }

  @Test
  void badUsageExitsTwo() throws Exception {
    assertThat(run(gatekit("--frobnicate")).exit()).isEqualTo(2);
    assertThat(run(gatekit("check")).exit()).isEqualTo(2);
    assertThat(run(gatekit("demo", "--requests", "x")).exit()).isEqualTo(2);
    assertThat(run(gatekit("--config", "a.yaml", "--", "prog")).exit()).isEqualTo(2);
  }

  @Test
  void theDemoShowsEveryRequestInFlightAtOnceAndEveryAnswerMatched() throws Exception {
    Result result = run(gatekit("demo", "--json", "--requests", "5,10", "--latency-ms", "20"));
    assertThat(result.exit()).as(result.err()).isZero();
    JsonNode rows = JSON.readTree(result.out());
    assertThat(rows.size()).isEqualTo(2);
    int[] sizes = {5, 10};
    for (int i = 0; i < 2; i++) {
      JsonNode row = rows.get(i);
      assertThat(row.path("requests").asInt()).isEqualTo(sizes[i]);
      assertThat(row.path("all_matched").asBoolean()).isTrue();
      assertThat(row.path("max_in_flight").asInt()).isEqualTo(sizes[i]);
      assertThat(row.path("sequential_ms").asLong()).isGreaterThanOrEqualTo(20L * sizes[i]);
      assertThat(row.has("concurrent_ms")).isTrue();
      assertThat(row.has("speedup")).isTrue();
    }
  }

  @Test
  void theDemoPrintsATable() throws Exception {
    Result result = run(gatekit("demo", "--requests", "3", "--latency-ms", "5"));
    assertThat(result.exit()).as(result.err()).isZero();
    assertThat(result.out()).contains("warm-up").contains("requests").contains("sequential ms").contains("max in flight").contains("yes");
    assertThat(result.err()).as("nothing but the table: no library's start-up chatter")
        .doesNotContain("OpenTelemetry").doesNotContain("INFO");
  }
}
