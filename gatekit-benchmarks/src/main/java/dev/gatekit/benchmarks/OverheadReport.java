package dev.gatekit.benchmarks;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Prints the proxy-overhead table from JMH JSON result files of {@link ProxyOverheadBenchmark}: for
 * the transport alone and for each proxy configuration, the pipelined throughput and its share of
 * the transport's, the sequential round trip and what the proxy adds to the transport's, and, when
 * the run had them, the client JVM's CPU time per request ({@code -prof
 * dev.gatekit.benchmarks.CpuProfiler}), the bytes allocated per request ({@code -prof gc}) and the
 * most threads it had at once ({@code -prof dev.gatekit.benchmarks.ThreadsProfiler}). Then the
 * issue's two targets for the proxy with no plugins, met or missed.
 *
 * <p>Run: {@code java -cp gatekit-benchmarks/target/benchmarks.jar
 * dev.gatekit.benchmarks.OverheadReport overhead.json [more.json...]}.
 */
public final class OverheadReport {

  private static final String TRANSPORT = "StdioTransport alone";

  private OverheadReport() {}

  /** Prints the table of the result files named by the arguments. */
  public static void main(String[] args) throws IOException {
    print(JmhResult.readArguments(args, "OverheadReport"), System.out);
  }

  /** What was measured for one path. */
  private static final class Row {
    @Nullable JmhResult pipelined;
    @Nullable JmhResult sequential;
  }

  /** Prints the table, then the targets, of the overhead results among {@code results}. */
  static void print(List<JmhResult> results, PrintStream out) {
    Map<String, Row> rows = new LinkedHashMap<>();
    rows.put(TRANSPORT, new Row());
    for (JmhResult result : results) {
      if (!result.className().equals("ProxyOverheadBenchmark")) {
        continue;
      }
      String path =
          result.method().startsWith("transport")
              ? TRANSPORT
              : "GatekitProxy, plugins " + result.param("plugins", "?")
                  + ", executor " + result.param("proxyExecutor", "default");
      Row row = rows.computeIfAbsent(path, p -> new Row());
      if (result.method().endsWith("Pipelined")) {
        row.pipelined = result;
      } else {
        row.sequential = result;
      }
    }
    Row transport = rows.get(TRANSPORT);
    double baseThroughput = transport.pipelined == null ? Double.NaN : transport.pipelined.score();
    double baseRoundTrip = transport.sequential == null ? Double.NaN : transport.sequential.score();
    MarkdownTable table =
        new MarkdownTable(
            "path",
            "pipelined, requests/s",
            "share of the transport's",
            "sequential, µs",
            "added to the transport's, µs",
            "client CPU per request, pipelined",
            "client CPU per request, sequential",
            "allocated per request (pipelined)",
            "peak threads (pipelined)");
    rows.forEach((path, row) -> {
      double throughput = row.pipelined == null ? Double.NaN : row.pipelined.score();
      double roundTrip = row.sequential == null ? Double.NaN : row.sequential.score();
      table.row(
          path,
          row.pipelined == null ? MarkdownTable.NONE
              : MarkdownTable.withError(throughput, row.pipelined.error(), 0),
          MarkdownTable.percent(throughput / baseThroughput),
          row.sequential == null ? MarkdownTable.NONE
              : MarkdownTable.withError(roundTrip, row.sequential.error(), 1),
          path.equals(TRANSPORT) ? MarkdownTable.NONE
              : MarkdownTable.number(roundTrip - baseRoundTrip, 1),
          secondary(row.pipelined, "cpu.client", 1, " µs"),
          secondary(row.sequential, "cpu.client", 1, " µs"),
          secondary(row.pipelined, "gc.alloc.rate.norm", 0, " B"),
          secondary(row.pipelined, "threads.peak", 0, ""));
    });
    table.print(out);
    Row bare = rows.get("GatekitProxy, plugins none, executor default");
    if (bare != null && bare.pipelined != null && bare.sequential != null) {
      double share = bare.pipelined.score() / baseThroughput;
      double added = bare.sequential.score() - baseRoundTrip;
      out.println();
      out.printf(Locale.ROOT, "- no plugins, pipelined: %.0f %% of the transport's (target ≥ 50 %%): %s%n",
          100 * share, share >= 0.5 ? "met" : "missed");
      out.printf(Locale.ROOT, "- no plugins, sequential: +%.1f µs (target ≤ 50 µs): %s%n",
          added, added <= 50 ? "met" : "missed");
    }
  }

  private static String secondary(@Nullable JmhResult result, String name, int decimals, String unit) {
    Double value = result == null ? null : result.secondary(name);
    return value == null ? MarkdownTable.NONE : MarkdownTable.number(value, decimals) + unit;
  }
}
