package dev.gatekit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code gatekit demo}: the concurrency demonstration. Starts this same program as a gateway
 * subprocess ({@code --config FILE}, a file naming the test kit's MCP server as its upstream, with
 * an in-flight limit that fits the largest N) and drives it as an MCP client over stdio would,
 * through a {@link StdioTransport}. For each N it sends N {@code
 * sleep} calls one at a time and then all at once. Call i sleeps {@code latency + i % 5} ms, so
 * neighbouring answers differ and a mix-up shows.
 *
 * <p>Both processes start cold, and bursts through JVMs that have not yet compiled their hot paths
 * with the optimizing compiler take several times as long (a burst of 100 calls of 0 ms: 4–11 ms
 * after 4,000 calls, 2–3.5 ms after 30,000). So {@link #WARM_UP_CALLS} calls of 0 ms, in bursts as
 * large as the largest N (at most {@link #WARM_UP_MAX_BURST}), not measured, come first, and the
 * printed table says so; on two cores they take about a second.
 */
final class Demo {

  /** One row of the result. */
  record Row(int requests, long sequentialMs, long concurrentMs, int maxInFlight, boolean allMatched) {
    double speedup() {
      return concurrentMs == 0 ? sequentialMs : (double) sequentialMs / concurrentMs;
    }
  }

  /** Calls made before anything is measured: enough for both JVMs' optimizing compiler. */
  static final int WARM_UP_CALLS = 30_000;
  static final int WARM_UP_MAX_BURST = 1_000;
  private static final long TIMEOUT_SECONDS = 30;
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Demo() {}

  /** {@code gatekit demo [--requests 10,50,100] [--latency-ms 50] [--json]}: reads the arguments, then {@link #run}. */
  static int command(String[] args, PrintStream out, PrintStream err) {
    List<Integer> sizes = List.of(10, 50, 100);
    int latency = 50;
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      try {
        switch (arg) {
          case "--requests" -> {
            List<Integer> parsed = new ArrayList<>();
            for (String part : args[++i].split(",")) {
              int n = Integer.parseInt(part.trim());
              if (n < 1 || n > 10_000) {
                return GatekitCommand.usageError(err, "--requests takes numbers from 1 to 10000");
              }
              parsed.add(n);
            }
            sizes = List.copyOf(parsed);
          }
          case "--latency-ms" -> {
            latency = Integer.parseInt(args[++i]);
            if (latency < 0 || latency > 10_000) {
              return GatekitCommand.usageError(err, "--latency-ms takes 0 to 10000");
            }
          }
          case "--json" -> json = true;
          case "-h", "--help" -> {
            err.println(GatekitCommand.usage());
            return GatekitCommand.OK;
          }
          default -> {
            return GatekitCommand.usageError(err, "demo: unknown argument '" + arg + "'");
          }
        }
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        return GatekitCommand.usageError(err, "demo: " + arg + " needs a number (--requests takes a comma-separated list)");
      }
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    return Demo.run(sizes, latency, json, out, err);
  }

  static int run(List<Integer> sizes, int latencyMs, boolean json, PrintStream out, PrintStream err) {
    int largest = Collections.max(sizes);
    int warmUpBurst = Math.min(largest, WARM_UP_MAX_BURST);
    TransportOptions options = TransportOptions.builder()
        .maxInFlight(Math.max(TransportOptions.DEFAULT_MAX_IN_FLIGHT, largest))
        .requestTimeout(Duration.ofSeconds(TIMEOUT_SECONDS))
        .build();
    List<Row> rows = new ArrayList<>();
    Path config;
    try {
      config = writeConfig(options.maxInFlight());
    } catch (IOException e) {
      err.println("gatekit demo: cannot write the gateway's configuration: " + e.getMessage());
      return GatekitCommand.FAILURE;
    }
    try (StdioTransport gateway = StdioTransport.builder(gatewayCommand(config)).name("gatekit").options(options)
        .openTelemetry(OpenTelemetry.noop()) // the demo's client records nothing
        .build()) {
      gateway.start();
      ObjectNode init = NODES.objectNode().put("protocolVersion", "2025-06-18");
      init.putObject("capabilities");
      init.putObject("clientInfo").put("name", "gatekit-demo").put("version", "1");
      JsonRpcResponse initialized = await(gateway.sendAndReceive(new JsonRpcRequest(RequestId.of(0), McpMethods.INITIALIZE, init)));
      if (initialized.isError()) {
        err.println("gatekit demo: initialize failed: " + initialized.error());
        return GatekitCommand.FAILURE;
      }
      gateway.sendNotification(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));
      for (int round = 0; round < warmUpRounds(warmUpBurst); round++) {
        awaitAll(burst(gateway, warmUpBurst, 0));
      }
      for (int n : sizes) {
        rows.add(measure(gateway, n, latencyMs));
      }
    } catch (Exception e) {
      err.println("gatekit demo: failed: " + e);
      return GatekitCommand.FAILURE;
    } finally {
      try {
        Files.deleteIfExists(config);
      } catch (IOException e) {
        // a temporary file; deleteOnExit has it too
      }
    }
    print(rows, latencyMs, warmUpRounds(warmUpBurst), warmUpBurst, json, out);
    return rows.stream().allMatch(Row::allMatched) ? GatekitCommand.OK : GatekitCommand.FAILURE;
  }

  /** The number of warm-up bursts of {@code burst} calls that make {@link #WARM_UP_CALLS} calls. */
  static int warmUpRounds(int burst) {
    return (WARM_UP_CALLS + burst - 1) / burst;
  }

  /** The gateway's configuration: the test server as its one upstream, {@code maxInFlight} at once. */
  private static Path writeConfig(int maxInFlight) throws IOException {
    ObjectNode root = NODES.objectNode();
    ObjectNode proxy = root.putObject("proxy");
    ObjectNode upstream = proxy.putArray("upstreams").addObject().put("name", "testserver");
    TestServer.command().forEach(upstream.putArray("command")::add);
    proxy.put("max_requests_in_flight", maxInFlight);
    root.putObject("logging").put("level", "warn");
    Path file = Files.createTempFile("gatekit-demo-", ".yaml");
    file.toFile().deleteOnExit();
    new YAMLMapper().writeValue(file.toFile(), root);
    return file;
  }

  /** {@code java ... GatekitCommand --config FILE}, on this JVM and class path. */
  private static List<String> gatewayCommand(Path config) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(TestServer.DEFAULT_JVM_OPTIONS);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(GatekitCommand.class.getName());
    command.addAll(List.of("--config", config.toString()));
    return command;
  }

  private static Row measure(StdioTransport gateway, int n, int latencyMs) throws Exception {
    boolean matched = true;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long ms = latencyMs + i % 5;
      matched &= matches(await(call(gateway, i, "sleep", NODES.objectNode().put("ms", ms))), ms);
    }
    long sequential = (System.nanoTime() - start) / 1_000_000;
    await(call(gateway, 0, "reset_stats", NODES.objectNode()));
    start = System.nanoTime();
    List<CompletableFuture<JsonRpcResponse>> calls = burst(gateway, n, latencyMs);
    awaitAll(calls);
    long concurrent = (System.nanoTime() - start) / 1_000_000;
    for (int i = 0; i < n; i++) {
      matched &= matches(calls.get(i).join(), latencyMs + i % 5);
    }
    JsonRpcResponse stats = await(call(gateway, 0, "stats", NODES.objectNode()));
    int maxInFlight = stats.result() == null ? -1 : stats.result().path("structuredContent").path("maxInFlight").asInt(-1);
    return new Row(n, sequential, concurrent, maxInFlight, matched);
  }

  /** Sends n sleep calls at once, call i sleeping {@code latencyMs + i % 5} ms. */
  private static List<CompletableFuture<JsonRpcResponse>> burst(StdioTransport gateway, int n, int latencyMs) {
    List<CompletableFuture<JsonRpcResponse>> calls = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      calls.add(call(gateway, i, "sleep", NODES.objectNode().put("ms", latencyMs + i % 5)));
    }
    return calls;
  }

  /** Calls a tool under request id {@code id}; the transport keeps ids of concurrent calls apart. */
  private static CompletableFuture<JsonRpcResponse> call(StdioTransport gateway, long id, String tool, ObjectNode arguments) {
    ObjectNode params = NODES.objectNode().put("name", tool);
    params.set("arguments", arguments);
    return gateway.sendAndReceive(new JsonRpcRequest(RequestId.of(id), McpMethods.TOOLS_CALL, params));
  }

  private static JsonRpcResponse await(CompletableFuture<JsonRpcResponse> response) throws Exception {
    return response.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static void awaitAll(List<CompletableFuture<JsonRpcResponse>> responses) throws Exception {
    CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** Whether a response is the answer to a sleep of {@code ms}. */
  private static boolean matches(JsonRpcResponse response, long ms) {
    JsonNode content = response.result() == null ? null : response.result().path("content");
    return content != null && content.isArray() && content.size() == 1
        && content.get(0).path("text").asText("").equals("slept " + ms + " ms");
  }

  private static void print(List<Row> rows, int latencyMs, int warmUpRounds, int warmUpBurst, boolean json,
      PrintStream out) {
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
    out.printf(Locale.ROOT, "(measured after a warm-up of %d bursts of %d calls, not shown)%n", warmUpRounds, warmUpBurst);
    out.printf(Locale.ROOT, "%9s %15s %15s %9s %14s %12s%n", "requests", "sequential ms", "concurrent ms", "speedup", "max in flight", "all matched");
    for (Row row : rows) {
      out.printf(Locale.ROOT, "%9d %15d %15d %8.1fx %14d %12s%n", row.requests(), row.sequentialMs(), row.concurrentMs(),
          row.speedup(), row.maxInFlight(), row.allMatched() ? "yes" : "NO");
    }
    out.flush();
  }
}
