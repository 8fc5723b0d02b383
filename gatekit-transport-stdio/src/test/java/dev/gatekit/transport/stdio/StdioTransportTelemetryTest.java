package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link StdioTransport.Builder#openTelemetry}: the transport times each request's round trip by its
 * outcome under its name, read back through the SDK's in-memory metric reader, and records nothing of
 * its counters (the proxy reports those).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StdioTransportTelemetryTest {

  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk =
      OpenTelemetrySdk.builder().setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build()).build();
  private StdioTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
    sdk.close();
  }

  @Test
  void eachRoundTripIsTimedByOutcomeUnderTheTransportsName() throws Exception {
    transport = TestUpstream.builder().name("files").openTelemetry(sdk).build();
    transport.start();

    assertThat(transport.sendAndReceive(call(1, "echo", "text", "hi")).get(30, TimeUnit.SECONDS).isError()).isFalse();
    assertThat(transport.sendAndReceive(call(2, "echo", "text", "again")).get(30, TimeUnit.SECONDS).isError()).isFalse();
    assertThat(transport.sendAndReceive(new JsonRpcRequest(RequestId.of(3), "no/such/method", null))
        .get(30, TimeUnit.SECONDS).isError()).isTrue();
    assertThatThrownBy(() -> transport.sendAndReceive(call(4, "sleep", "ms", 5000), Duration.ofMillis(100))
        .get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);

    MetricData roundTrips = roundTrips(4);
    assertThat(roundTrips.getUnit()).isEqualTo("s");
    assertThat(count(roundTrips, "ok")).isEqualTo(2);
    assertThat(count(roundTrips, "error")).isEqualTo(1);
    assertThat(count(roundTrips, "timed_out")).isEqualTo(1);
    assertThat(roundTrips.getHistogramData().getPoints()).allSatisfy(point -> {
      assertThat(point.getAttributes().get(AttributeKey.stringKey("gatekit.upstream"))).isEqualTo("files");
      assertThat(point.getAttributes().get(AttributeKey.stringKey("gatekit.transport"))).isEqualTo("stdio");
    });
    assertThat(metrics.collectAllMetrics()).as("the counters are the proxy's to report")
        .allMatch(m -> m.getName().equals("gatekit.transport.round_trip.duration"));
  }

  @Test
  void withoutAnSdkNothingIsRecordedAndRequestsStillWork() throws Exception {
    transport = TestUpstream.builder().openTelemetry(io.opentelemetry.api.OpenTelemetry.noop()).build();
    transport.start();

    assertThat(transport.sendAndReceive(call(1, "echo", "text", "hi")).get(30, TimeUnit.SECONDS).isError()).isFalse();
    assertThat(metrics.collectAllMetrics()).isEmpty();
  }

  /**
   * Returns the round-trip histogram once it holds {@code total} round trips: each is recorded on the
   * thread that completed its future, which may run just after the caller's {@code get} returned.
   */
  private MetricData roundTrips(long total) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      MetricData found = metrics.collectAllMetrics().stream()
          .filter(m -> m.getName().equals("gatekit.transport.round_trip.duration")).findFirst().orElse(null);
      long recorded = found == null ? 0 : found.getHistogramData().getPoints().stream()
          .mapToLong(HistogramPointData::getCount).sum();
      if (recorded >= total || System.nanoTime() > deadline) {
        assertThat(found).as("the round-trip histogram").isNotNull();
        return found;
      }
      Thread.sleep(5);
    }
  }

  private static long count(MetricData histogram, String outcome) {
    return histogram.getHistogramData().getPoints().stream()
        .filter(p -> outcome.equals(p.getAttributes().get(AttributeKey.stringKey("gatekit.outcome"))))
        .mapToLong(HistogramPointData::getCount).sum();
  }
}
