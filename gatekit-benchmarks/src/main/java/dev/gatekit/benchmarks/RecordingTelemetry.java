package dev.gatekit.benchmarks;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The OpenTelemetry SDK as a deployment runs it, minus the network: every span sampled and handed
 * through a {@link BatchSpanProcessor} to an exporter that counts and drops it, every metric
 * aggregated for an {@link InMemoryMetricReader} (collected once, at the end, to check that something
 * was recorded). What {@code telemetry=on} measures; {@code telemetry=metrics} and {@code traces} install
 * only the one provider (the other stays the API's no-op), to tell the two costs apart; {@code
 * sampled} is {@code on} with 1 trace in 100 sampled, as a deployment under load would run it.
 *
 * <p>The batch processor, not a {@code SimpleSpanProcessor} into an in-memory list, because that is
 * what a deployment runs (the SDK's autoconfiguration and every OTLP setup use it): a span is handed
 * to a bounded queue on the request's thread and exported on the processor's own thread. An
 * in-memory exporter that kept every span would grow without bound over a benchmark and make the
 * garbage collector the cost measured. When the processor's thread falls behind (a loaded machine),
 * the queue drops spans and the SDK logs it; that only makes {@code on} cheaper than it would be.
 */
final class RecordingTelemetry implements AutoCloseable {

  /** What the proxy reports to: the SDK, with the API's no-op for a provider left out. */
  final OpenTelemetry openTelemetry;
  private final OpenTelemetrySdk sdk;
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final LongAdder spans = new LongAdder();

  private final boolean tracing;
  private final boolean metering;
  private final boolean sampledAll;

  /** Both metrics and traces, every trace sampled. */
  /**
   * Returns the telemetry a benchmark's {@code telemetry} parameter names: {@code off} (none: the
   * API's no-op, the proxy's default), {@code on}, {@code metrics}, {@code traces} or {@code sampled}.
   */
  static @Nullable RecordingTelemetry forParam(String telemetry) {
    return switch (telemetry) {
      case "off" -> null;
      case "on" -> new RecordingTelemetry();
      case "metrics" -> new RecordingTelemetry(true, false, 1.0);
      case "traces" -> new RecordingTelemetry(false, true, 1.0);
      case "sampled" -> new RecordingTelemetry(true, true, 0.01);
      default -> throw new IllegalArgumentException(
          "telemetry must be off, on, metrics, traces or sampled, was " + telemetry);
    };
  }

  RecordingTelemetry() {
    this(true, true, 1.0);
  }

  /**
   * @param sampled the share of traces sampled (a client's sampled parent is always followed), as the
   *     SDK's {@code parentbased_traceidratio} sampler does it
   */
  RecordingTelemetry(boolean metering, boolean tracing, double sampled) {
    this.metering = metering;
    this.tracing = tracing;
    this.sampledAll = sampled >= 1.0;
    SpanExporter dropping = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> batch) {
        spans.add(batch.size());
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    var builder = OpenTelemetrySdk.builder()
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()));
    if (tracing) {
      builder.setTracerProvider(SdkTracerProvider.builder()
          .setSampler(sampled >= 1.0 ? Sampler.alwaysOn() : Sampler.parentBased(Sampler.traceIdRatioBased(sampled)))
          .addSpanProcessor(BatchSpanProcessor.builder(dropping).build()).build());
    }
    if (metering) {
      builder.setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build());
    }
    sdk = builder.build();
    // The SDK's builder puts in an SDK provider for one not given: hand the proxy the no-op instead.
    TracerProvider tracers = tracing ? sdk.getTracerProvider() : TracerProvider.noop();
    MeterProvider meters = metering ? sdk.getMeterProvider() : MeterProvider.noop();
    openTelemetry = new OpenTelemetry() {
      @Override
      public TracerProvider getTracerProvider() {
        return tracers;
      }

      @Override
      public MeterProvider getMeterProvider() {
        return meters;
      }

      @Override
      public ContextPropagators getPropagators() {
        return sdk.getPropagators();
      }
    };
  }

  /** Shuts the SDK down and fails when nothing was recorded (the benchmark would measure nothing). */
  @Override
  public void close() {
    int series = metering ? metrics.collectAllMetrics().size() : -1;
    sdk.close();
    if (series == 0 || (tracing && sampledAll && spans.sum() == 0)) {
      throw new IllegalStateException("telemetry=on recorded nothing: " + series + " metrics, " + spans.sum() + " spans");
    }
  }
}
