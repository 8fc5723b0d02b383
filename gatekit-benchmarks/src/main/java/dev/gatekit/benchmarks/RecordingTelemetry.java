package dev.gatekit.benchmarks;

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
import java.util.Collection;
import java.util.concurrent.atomic.LongAdder;

/**
 * The OpenTelemetry SDK as a deployment runs it, minus the network: every span sampled and handed
 * through a {@link BatchSpanProcessor} to an exporter that counts and drops it, every metric
 * aggregated for an {@link InMemoryMetricReader} (collected once, at the end, to check that something
 * was recorded). What {@code telemetry=on} measures.
 */
final class RecordingTelemetry implements AutoCloseable {

  final OpenTelemetrySdk sdk;
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final LongAdder spans = new LongAdder();

  RecordingTelemetry() {
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
    sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(BatchSpanProcessor.builder(dropping).build()).build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /** Shuts the SDK down and fails when nothing was recorded (the benchmark would measure nothing). */
  @Override
  public void close() {
    int series = metrics.collectAllMetrics().size();
    sdk.close();
    if (series == 0 || spans.sum() == 0) {
      throw new IllegalStateException("telemetry=on recorded nothing: " + series + " metrics, " + spans.sum() + " spans");
    }
  }
}
