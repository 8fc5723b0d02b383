package dev.gatekit.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Prints the seed's scenario table from JMH JSON result files of {@link ProxyScenarioBenchmark}:
 * for each upstream (and proxy executor, when more than one ran) and batch size, the concurrent and
 * sequential batch times, the efficiency ({@value ProxyScenarioBenchmark#LATENCY_MS} ms divided by
 * the concurrent batch time), the speedup of concurrent over sequential, and, when the run had
 * {@code -prof gc}, the bytes allocated per request (the batch's {@code gc.alloc.rate.norm}
 * divided by its size), and with {@code -prof dev.gatekit.benchmarks.ThreadsProfiler} the most
 * threads the benchmark's JVM had at once. Then the two targets, met or missed.
 *
 * <p>Run: {@code java -cp gatekit-benchmarks/target/benchmarks.jar
 * dev.gatekit.benchmarks.ScenarioReport scenarios.json [more.json...]}.
 */
public final class ScenarioReport {

  private static final double LATENCY_MS = ProxyScenarioBenchmark.LATENCY_MS;

  private ScenarioReport() {}

  /** Prints the table of the result files named by the arguments. */
  public static void main(String[] args) throws IOException {
    print(JmhResult.readArguments(args, "ScenarioReport"), System.out);
  }

  /** One row: an upstream (with its executor) and a batch size. */
  private record Key(String upstream, int requests) {}

  /** What was measured for one row. */
  private static final class Row {
    @Nullable JmhResult concurrent;
    @Nullable JmhResult sequential;
  }

  /** Prints the table, then the targets, of the scenario results among {@code results}. */
  static void print(List<JmhResult> results, PrintStream out) {
    Map<Key, Row> rows = collect(results);
    MarkdownTable table =
        new MarkdownTable(
            "upstream",
            "requests",
            "concurrent, ms per batch",
            "efficiency (50 ms / batch)",
            "sequential, ms per batch",
            "sequential, ms per request",
            "speedup",
            "allocated per request (concurrent)",
            "peak threads (concurrent)");
    Map<String, String> targets = new LinkedHashMap<>();
    rows.forEach((key, row) -> {
      double concurrent = row.concurrent == null ? Double.NaN : row.concurrent.score();
      double sequential = row.sequential == null ? Double.NaN : row.sequential.score();
      Double alloc = row.concurrent == null ? null : row.concurrent.secondary("gc.alloc.rate.norm");
      Double threads = row.concurrent == null ? null : row.concurrent.secondary("threads.peak");
      table.row(
          key.upstream(),
          MarkdownTable.number(key.requests(), 0),
          row.concurrent == null ? MarkdownTable.NONE
              : MarkdownTable.withError(concurrent, row.concurrent.error(), 1),
          MarkdownTable.number(LATENCY_MS / concurrent, 2),
          row.sequential == null ? MarkdownTable.NONE
              : MarkdownTable.withError(sequential, row.sequential.error(), 0),
          MarkdownTable.number(sequential / key.requests(), 2),
          Double.isNaN(sequential / concurrent) ? MarkdownTable.NONE
              : MarkdownTable.number(sequential / concurrent, 1) + "×",
          alloc == null ? MarkdownTable.NONE
              : MarkdownTable.number(alloc / key.requests(), 0) + " B",
          threads == null ? MarkdownTable.NONE : MarkdownTable.number(threads, 0));
      if (key.requests() == 100 && row.concurrent != null) {
        targets.put(key.upstream() + ", 100 concurrent",
            String.format(Locale.ROOT, "%.1f ms, efficiency %.2f (target < 55 ms, ≥ 0.9): %s",
                concurrent, LATENCY_MS / concurrent, concurrent < 55 ? "met" : "missed"));
      }
      if (key.requests() == 10_000 && row.concurrent != null) {
        targets.put(key.upstream() + ", 10,000 concurrent",
            String.format(Locale.ROOT, "%.1f ms (target < 100 ms): %s",
                concurrent, concurrent < 100 ? "met" : "missed"));
      }
    });
    table.print(out);
    if (!targets.isEmpty()) {
      out.println();
      targets.forEach((what, verdict) -> out.println("- " + what + ": " + verdict));
    }
  }

  /** Pairs the concurrent and sequential results of each upstream (and executor) and size. */
  private static Map<Key, Row> collect(List<JmhResult> results) {
    boolean severalExecutors =
        results.stream().map(r -> r.param("proxyExecutor", "default")).distinct().count() > 1;
    Map<Key, Row> rows =
        new TreeMap<>(Comparator.comparing(Key::upstream).thenComparingInt(Key::requests));
    for (JmhResult result : results) {
      if (!result.className().equals("ProxyScenarioBenchmark")) {
        continue;
      }
      String upstream = result.param("upstream", "?");
      if (severalExecutors) {
        upstream += " (" + result.param("proxyExecutor", "default") + " executor)";
      }
      Row row = rows.computeIfAbsent(
          new Key(upstream, Integer.parseInt(result.param("requests", "0"))), k -> new Row());
      if (result.method().equals("concurrent")) {
        row.concurrent = result;
      } else if (result.method().equals("sequential")) {
        row.sequential = result;
      }
    }
    return rows;
  }
}
