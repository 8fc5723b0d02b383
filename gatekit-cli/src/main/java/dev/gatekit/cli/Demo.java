package dev.gatekit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.testkit.server.TestServer;
import java.io.PrintStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code gatekit demo}: the concurrency demonstration. Starts this same program as a gateway
 * subprocess ({@code -- <test server command>}) in front of the test kit's MCP server, talks to it
 * over a real stdio pipe, and for each N sends N {@code sleep} calls one at a time and then all at
 * once. Call i sleeps {@code latency + i % 5} ms, so neighbouring answers differ and a mix-up shows.
 */
final class Demo {

  /** One row of the result. */
  record Row(int requests, long sequentialMs, long concurrentMs, int maxInFlight, boolean allMatched) {
    double speedup() {
      return concurrentMs == 0 ? sequentialMs : (double) sequentialMs / concurrentMs;
    }
  }

  private static final long TIMEOUT_SECONDS = 30;

  private Demo() {}

  static int run(List<Integer> sizes, int latencyMs, boolean json, PrintStream out, PrintStream err) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(TestServer.DEFAULT_JVM_OPTIONS);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(GatekitCommand.class.getName());
    command.add("--log-level");
    command.add("warn");
    command.add("--name");
    command.add("testserver");
    command.add("--");
    command.addAll(TestServer.command());
    Process gateway;
    try {
      gateway = new ProcessBuilder(command).redirectError(Redirect.INHERIT).start();
    } catch (Exception e) {
      err.println("gatekit demo: cannot start the gateway: " + e.getMessage());
      return GatekitCommand.FAILURE;
    }
    List<Row> rows = new ArrayList<>();
    try (DemoClient client = new DemoClient(gateway)) {
      ObjectNode init = DemoClient.object().put("protocolVersion", "2025-06-18");
      init.putObject("capabilities");
      init.putObject("clientInfo").put("name", "gatekit-demo").put("version", "1");
      JsonNode initialized = client.request("initialize", init).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (!initialized.has("result")) {
        err.println("gatekit demo: initialize failed: " + initialized);
        return GatekitCommand.FAILURE;
      }
      client.notify("notifications/initialized");
      // Warm-up, not measured: a burst starts the threads of both processes before the first row.
      List<CompletableFuture<JsonNode>> warmUp = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        warmUp.add(call(client, "sleep", DemoClient.object().put("ms", 1)));
      }
      CompletableFuture.allOf(warmUp.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      for (int n : sizes) {
        boolean matched = true;
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
          long ms = latencyMs + i % 5;
          matched &= matches(call(client, "sleep", DemoClient.object().put("ms", ms)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS), ms);
        }
        long sequential = (System.nanoTime() - start) / 1_000_000;
        call(client, "reset_stats", DemoClient.object()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        start = System.nanoTime();
        List<CompletableFuture<JsonNode>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          calls.add(call(client, "sleep", DemoClient.object().put("ms", latencyMs + i % 5)));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long concurrent = (System.nanoTime() - start) / 1_000_000;
        for (int i = 0; i < n; i++) {
          matched &= matches(calls.get(i).join(), latencyMs + i % 5);
        }
        JsonNode stats = call(client, "stats", DemoClient.object()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        int maxInFlight = stats.path("result").path("structuredContent").path("maxInFlight").asInt(-1);
        rows.add(new Row(n, sequential, concurrent, maxInFlight, matched));
      }
    } catch (Exception e) {
      err.println("gatekit demo: failed: " + e);
      gateway.destroyForcibly();
      return GatekitCommand.FAILURE;
    }
    try {
      if (!gateway.waitFor(15, TimeUnit.SECONDS)) {
        gateway.destroy();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    print(rows, latencyMs, json, out);
    return rows.stream().allMatch(Row::allMatched) ? GatekitCommand.OK : GatekitCommand.FAILURE;
  }

  private static CompletableFuture<JsonNode> call(DemoClient client, String tool, ObjectNode arguments) {
    ObjectNode params = DemoClient.object().put("name", tool);
    params.set("arguments", arguments);
    return client.request("tools/call", params);
  }

  /** Whether a response is the answer to a sleep of {@code ms}. The client matched it by id. */
  private static boolean matches(JsonNode response, long ms) {
    JsonNode content = response.path("result").path("content");
    return content.isArray() && content.size() == 1
        && content.get(0).path("text").asText("").equals("slept " + ms + " ms");
  }

  private static void print(List<Row> rows, int latencyMs, boolean json, PrintStream out) {
    if (json) {
      ObjectMapper mapper = new ObjectMapper();
      ArrayNode array = mapper.createArrayNode();
      for (Row row : rows) {
        array.addObject().put("requests", row.requests()).put("sequential_ms", row.sequentialMs())
            .put("concurrent_ms", row.concurrentMs())
            .put("speedup", Math.round(row.speedup() * 100) / 100.0)
            .put("max_in_flight", row.maxInFlight()).put("all_matched", row.allMatched());
      }
      out.println(array.toString());
      out.flush();
      return;
    }
    out.printf(Locale.ROOT, "Gatekit concurrency demo: sleep calls of %d ms through a gateway process to the test server%n", latencyMs);
    out.printf(Locale.ROOT, "%9s %15s %15s %9s %14s %12s%n", "requests", "sequential ms", "concurrent ms", "speedup", "max in flight", "all matched");
    for (Row row : rows) {
      out.printf(Locale.ROOT, "%9d %15d %15d %8.1fx %14d %12s%n", row.requests(), row.sequentialMs(), row.concurrentMs(),
          row.speedup(), row.maxInFlight(), row.allMatched() ? "yes" : "NO");
    }
    out.flush();
  }
}
