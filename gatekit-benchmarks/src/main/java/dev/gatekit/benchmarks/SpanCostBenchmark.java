package dev.gatekit.benchmarks;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * What the OpenTelemetry SDK itself costs, with nothing of Gatekit's around it: the floor under
 * {@code ProxyOverheadBenchmark}'s {@code telemetry=on}. The SDK is set up exactly as there ({@link
 * RecordingTelemetry}: every span sampled into a {@code BatchSpanProcessor} whose exporter counts and
 * drops them; metrics aggregated for an in-memory reader); {@code sdk=off} is the API's no-op, the
 * proxy's default. Average time per operation on the calling thread; with {@code -prof
 * dev.gatekit.benchmarks.CpuProfiler}, {@code cpu.client} is the CPU of every thread of the JVM per
 * operation (the batch processor's exporting thread included), the figure to hold against the CPU
 * per proxied request.
 *
 * <ul>
 *   <li>{@code span}: {@code spanBuilder(name).startSpan().end()}, nothing else.
 *   <li>{@code serverAndClientSpan}: the two spans the issue asks for per request: a SERVER span and
 *       a CLIENT child (its parent given as a context), no attribute.
 *   <li>{@code requestMetrics}: what the metrics of one request cost: one counter increment and two
 *       histogram recordings under one attribute set made beforehand.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SpanCostBenchmark {

  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("mcp.method.name");
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("gatekit.outcome");

  /** {@code on}: the SDK as {@code telemetry=on} runs it; {@code off}: the API's no-op. */
  @Param({"on", "off"})
  public String sdk;

  private @Nullable RecordingTelemetry recording;
  private Tracer tracer;
  private LongCounter requests;
  private DoubleHistogram duration;
  private DoubleHistogram upstreamDuration;
  private final Attributes labels = Attributes.of(METHOD, "tools/call", OUTCOME, "ok");

  /**
   * Installs the SDK (its tracer provider for the span benchmarks, its meter provider for {@code
   * requestMetrics}, so that each records something and {@link RecordingTelemetry} can check it), or
   * the no-op.
   */
  @Setup(Level.Trial)
  public void start(BenchmarkParams params) {
    boolean metrics = params.getBenchmark().endsWith("requestMetrics");
    OpenTelemetry openTelemetry = switch (sdk) {
      case "on" -> (recording = new RecordingTelemetry(metrics, !metrics, 1.0)).openTelemetry;
      case "off" -> OpenTelemetry.noop();
      default -> throw new IllegalArgumentException("sdk must be on or off, was " + sdk);
    };
    tracer = openTelemetry.getTracer("dev.gatekit.benchmarks");
    Meter meter = openTelemetry.getMeter("dev.gatekit.benchmarks");
    requests = meter.counterBuilder("requests").build();
    duration = meter.histogramBuilder("duration").setUnit("s").build();
    upstreamDuration = meter.histogramBuilder("upstream.duration").setUnit("s").build();
  }

  /** Shuts the SDK down; fails when it recorded nothing. */
  @TearDown(Level.Trial)
  public void close() {
    if (recording != null) {
      recording.close();
    }
  }

  /** One span, started and ended. */
  @Benchmark
  public void span() {
    tracer.spanBuilder("tools/call").startSpan().end();
  }

  /** A SERVER span and its CLIENT child, as one proxied request makes them. */
  @Benchmark
  public void serverAndClientSpan() {
    Span server = tracer.spanBuilder("tools/call").setSpanKind(SpanKind.SERVER).setParent(Context.root()).startSpan();
    Context context = Context.root().with(server);
    tracer.spanBuilder("tools/call").setSpanKind(SpanKind.CLIENT).setParent(context).startSpan().end();
    server.end();
  }

  /** The count and the two durations of one request. */
  @Benchmark
  public void requestMetrics() {
    requests.add(1, labels, Context.root());
    duration.record(0.001, labels, Context.root());
    upstreamDuration.record(0.001, labels, Context.root());
  }
}
