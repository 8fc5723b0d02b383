package dev.gatekit.benchmarks;

import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.proxy.plugins.builtin.AuditJsonlProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one {@code audit_jsonl} record costs, on the calling thread: the plugin is {@code critical},
 * so {@link AuditingPlugin#audit} formats, frames, hashes, writes and flushes the record before it
 * returns (a non-critical log does the same on its writer thread). {@code chain} is {@code plain}
 * ({@code hash_chain: false}), {@code chained} (the default, an unsigned checkpoint every 1,000
 * records) or {@code signed} (a signed checkpoint every 1,000). The event is the one a proxied
 * {@code tools/call} produces. Mode: average time per record, µs. The log goes to a temporary
 * directory, rotating at 10 MB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AuditJsonlBenchmark {

  @Param({"plain", "chained", "signed"})
  public String chain;

  private Path directory;
  private AuditingPlugin audit;
  private AuditEvent event;

  /** Builds the plugin through its provider, as a configuration file would. */
  @Setup(Level.Trial)
  public void start() throws IOException {
    directory = Files.createTempDirectory("gatekit-benchmarks-audit");
    Map<String, Object> options = new HashMap<>();
    options.put("output_file", directory.resolve("audit.jsonl").toString());
    options.put("critical", true);
    switch (chain) {
      case "plain" -> options.put("hash_chain", false);
      case "chained" -> { }
      case "signed" -> options.put("signing_key_file", BuiltinPlugins.writeSigningKey(directory).toString());
      default -> throw new IllegalArgumentException("chain must be plain, chained or signed, was " + chain);
    }
    audit = (AuditingPlugin) new AuditJsonlProvider().create(PluginConfig.of("audit_jsonl", "bench", options));
    event = new AuditEvent(Instant.parse("2026-01-02T03:04:05.123Z"), Direction.CLIENT_TO_UPSTREAM, "upstream",
        "tools/call", RequestId.of(12345), AuditEvent.Outcome.ALLOWED, null, null, Duration.ofNanos(87_654), Map.of());
  }

  /** Closes the plugin and deletes the log. */
  @TearDown(Level.Trial)
  public void close() {
    audit.close();
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One record written and flushed. */
  @Benchmark
  public void record() {
    audit.audit(event);
  }
}
