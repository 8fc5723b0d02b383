package dev.gatekit.transport.http;

import static dev.gatekit.transport.http.Mcp.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link HttpTransport.Builder#openTelemetry}: against the MCP Java SDK's server, the transport times
 * each request's round trip by its outcome under its name, read back through the SDK's in-memory
 * metric reader.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpTransportTelemetryTest {

  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk =
      OpenTelemetrySdk.builder().setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build()).build();
  private SdkServer server;
  private HttpTransport transport;

  @BeforeEach
  void startServer() throws Exception {
    server = new SdkServer();
  }

  @AfterEach
  void stop() throws Exception {
    if (transport != null) {
      transport.close();
    }
    server.close();
    sdk.close();
  }

  @Test
  void eachRoundTripIsTimedByOutcomeUnderTheTransportsName() throws Exception {
    transport = HttpTransport.builder(server.uri()).name("remote").openTelemetry(sdk).build();
    transport.setInboundHandler(new Mcp.Recording());
    transport.start();
    Mcp.handshake(transport, McpMethods.LATEST_PROTOCOL_VERSION);

    assertThat(transport.sendAndReceive(call(2, "echo", "{\"text\":\"hi\"}")).get(30, TimeUnit.SECONDS).isError())
        .isFalse();
    assertThat(transport.sendAndReceive(new JsonRpcRequest(RequestId.of(3), "no/such/method", null))
        .get(30, TimeUnit.SECONDS).isError()).isTrue();

    MetricData roundTrips = roundTrips(3);
    assertThat(count(roundTrips, "ok")).as("initialize and the call").isEqualTo(2);
    assertThat(count(roundTrips, "error")).isEqualTo(1);
    assertThat(roundTrips.getHistogramData().getPoints()).allSatisfy(point -> {
      assertThat(point.getAttributes().get(AttributeKey.stringKey("gatekit.upstream"))).isEqualTo("remote");
      assertThat(point.getAttributes().get(AttributeKey.stringKey("gatekit.transport"))).isEqualTo("http");
    });
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
