package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transport's memory under a long run, outside JMH (heap after GC is not a JMH metric):
 *
 * <ol>
 *   <li>1,000,000 echo requests with 100 in flight against the test kit's server, printing the heap
 *       after a full GC at 0, 100k, 250k, 500k, 750k and 1M requests — it must not grow;
 *   <li>the heap retained per pending request: 10,000 requests held by the server ({@code sleep}),
 *       heap after GC with them pending minus the heap after GC once they are answered.
 * </ol>
 *
 * Run: {@code java -cp gatekit-benchmarks/target/benchmarks.jar dev.gatekit.benchmarks.TransportSoak
 * [requests]}.
 */
public final class TransportSoak {

  private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

  private TransportSoak() {}

  public static void main(String[] args) throws Exception {
    long total = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int inFlight = 100;
    try (StdioTransport transport =
        StdioTransport.builder(TestServer.command())
            .name("soak")
            .options(TransportOptions.builder().maxInFlight(20_000).build())
            .build()) {
      transport.start();
      System.out.printf(Locale.ROOT, "%-12s %14s %10s%n", "requests", "heap after GC", "pending");
      report(0, transport);
      Semaphore slots = new Semaphore(inFlight);
      AtomicLong wrong = new AtomicLong();
      long[] checkpoints = {100_000, 250_000, 500_000, 750_000, 1_000_000};
      int next = 0;
      long started = System.nanoTime();
      for (long i = 1; i <= total; i++) {
        slots.acquire();
        String text = "m" + (i % 1000);
        transport
            .sendAndReceive(echo(i, text))
            .whenComplete(
                (response, error) -> {
                  if (error != null || !text.equals(textOf(response))) {
                    wrong.incrementAndGet();
                  }
                  slots.release();
                });
        if (next < checkpoints.length && i == Math.min(checkpoints[next], total)) {
          slots.acquire(inFlight);
          slots.release(inFlight);
          report(i, transport);
          next++;
        }
      }
      slots.acquire(inFlight);
      double seconds = (System.nanoTime() - started) / 1e9;
      System.out.printf(
          Locale.ROOT, "%d requests in %.1f s (%.0f/s), %d wrong or failed%n", total, seconds, total / seconds, wrong.get());

      // Heap retained per pending request.
      long idle = heapAfterGc();
      List<CompletableFuture<JsonRpcResponse>> held = new ArrayList<>();
      int pending = 10_000;
      for (int i = 0; i < pending; i++) {
        held.add(transport.sendAndReceive(sleep(i, 60_000)));
      }
      while (transport.stats().inFlight() < pending) {
        Thread.onSpinWait();
      }
      long loaded = heapAfterGc();
      held.forEach(f -> f.cancel(true));
      CompletableFuture.allOf(held.toArray(CompletableFuture[]::new)).handle((r, e) -> null).get(30, TimeUnit.SECONDS);
      long after = heapAfterGc();
      System.out.printf(
          Locale.ROOT,
          "%d pending: heap %d KiB, idle %d KiB, after cancelling %d KiB -> %d bytes per pending request%n",
          pending, loaded / 1024, idle / 1024, after / 1024, (loaded - idle) / pending);
    }
  }

  private static void report(long done, StdioTransport transport) {
    System.out.printf(Locale.ROOT, "%-12d %11d KiB %10d%n", done, heapAfterGc() / 1024, transport.pendingCount());
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return MEMORY.getHeapMemoryUsage().getUsed();
  }

  private static JsonRpcRequest echo(long id, String text) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("name", "echo");
    params.putObject("arguments").put("text", text);
    return new JsonRpcRequest(RequestId.of(id), McpMethods.TOOLS_CALL, params);
  }

  private static JsonRpcRequest sleep(long id, int ms) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("name", "sleep");
    params.putObject("arguments").put("ms", ms);
    return new JsonRpcRequest(RequestId.of(id), McpMethods.TOOLS_CALL, params);
  }

  private static String textOf(JsonRpcResponse response) {
    return response.isError() ? "" : response.result().path("content").path(0).path("text").asText();
  }
}
