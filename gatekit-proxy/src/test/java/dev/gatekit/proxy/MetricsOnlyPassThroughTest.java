package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A gateway that records metrics but no spans keeps the byte pass-through ({@link
 * GatekitProxy#receiveLine}) and still counts and times each request by method, upstream and outcome,
 * an upstream's error answer with its code; one that makes spans keeps it too ({@link
 * TracedPassThroughTest}).
 */
class MetricsOnlyPassThroughTest {

  private static final int MAX_LINE = 64 * 1024;

  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(metrics).build();
  private final SdkTracerProvider tracers = SdkTracerProvider.builder().build();
  private GatekitProxy proxy;
  private ScenarioLineClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
      client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    meters.close();
    tracers.close();
  }

  @Test
  void metricsAloneKeepTheBytePathAndCountEachRequestWithItsUpstreamAndOutcome() {
    start(telemetry(meters, TracerProvider.noop()));

    byte[] line = echo("1", "hi").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(line, 0, line.length)).as("the line is passed on as bytes").isTrue();
    assertThat(client.next().get("result").get("content").get(0).get("text").asText()).isEqualTo("hi");
    client.sendLine(echo("\"two\"", "again"));
    assertThat(client.next().get("id").asText()).isEqualTo("two");
    byte[] unknown = call("3", "no-such-tool", "{}").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(unknown, 0, unknown.length)).isTrue();
    assertThat(client.next().get("error").get("code").asInt()).isEqualTo(ErrorCodes.INVALID_PARAMS);

    Attributes toKit = Attributes.of(key("mcp.method.name"), "tools/call", key("gatekit.upstream"), "kit",
        key("gatekit.direction"), "client_to_upstream");
    assertThat(sumOf("gatekit.requests", with(toKit, "gatekit.outcome", "ok"))).isEqualTo(2);
    Attributes error = with(with(toKit, "gatekit.outcome", "error"), "error.type",
        Integer.toString(ErrorCodes.INVALID_PARAMS));
    assertThat(sumOf("gatekit.requests", error)).as("the upstream's error answer, with its code").isEqualTo(1);
    assertThat(sumOf("gatekit.requests", Attributes.of(key("mcp.method.name"), "tools/call"))).isEqualTo(3);
    assertThat(countOf("mcp.server.operation.duration", toKit)).isEqualTo(3);
    assertThat(countOf("mcp.client.operation.duration", toKit)).as("the upstream round trips").isEqualTo(3);
  }

  @Test
  void aRequestFailedByADeadUpstreamIsCountedWithItsCode() {
    start(telemetry(meters, TracerProvider.noop()), "--exit-after", "2"); // initialize, then the short sleep
    client.sendLine(call("1", "sleep", "{\"ms\":300}"));
    ProxyFixture.await("the short sleep in flight", () -> proxy.stats().inFlight() == 1);
    byte[] line = call("2", "sleep", "{\"ms\":60000}").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(line, 0, line.length)).as("the line is passed on as bytes").isTrue();
    assertThat(client.next().get("id").asInt()).isEqualTo(1);
    assertThat(client.next().get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);

    assertThat(sumOf("gatekit.requests", Attributes.of(key("gatekit.outcome"), "ok", key("mcp.method.name"), "tools/call")))
        .isEqualTo(1);
    assertThat(sumOf("gatekit.requests", Attributes.of(key("gatekit.outcome"), "failed", key("error.type"),
        Integer.toString(ErrorCodes.UPSTREAM_UNAVAILABLE), key("gatekit.upstream"), "kit"))).isEqualTo(1);
  }

  @Test
  void spansKeepTheBytePathAndTheCountGetsTheToolName() {
    start(telemetry(meters, tracers));

    byte[] line = echo("1", "hi").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(line, 0, line.length)).as("passed on as bytes").isTrue();
    assertThat(client.next().get("id").asInt()).isEqualTo(1);
    assertThat(sumOf("gatekit.requests", Attributes.of(key("gatekit.outcome"), "ok", key("gen_ai.tool.name"), "echo")))
        .isEqualTo(1);
    assertThat(countOf("mcp.client.operation.duration", Attributes.of(key("gen_ai.tool.name"), "echo")))
        .as("the upstream round trip, once").isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------

  /** The SDK's providers given, the other the API's no-op (as the command runs metrics without traces). */
  private static OpenTelemetry telemetry(MeterProvider meterProvider, TracerProvider tracerProvider) {
    return new OpenTelemetry() {
      @Override
      public TracerProvider getTracerProvider() {
        return tracerProvider;
      }

      @Override
      public MeterProvider getMeterProvider() {
        return meterProvider;
      }

      @Override
      public ContextPropagators getPropagators() {
        return ContextPropagators.noop();
      }
    };
  }

  private void start(OpenTelemetry openTelemetry, String... serverArgs) {
    StdioTransport upstream = StdioTransport.builder(TestServer.command(serverArgs))
        .name("kit")
        .options(TransportOptions.defaults())
        .build();
    proxy = GatekitProxy.builder().upstream("kit", upstream).openTelemetry(openTelemetry).build();
    client = new ScenarioLineClient(new StdioServer(proxy, MAX_LINE, Duration.ofSeconds(30)));
    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    assertThat(client.next().has("result")).isTrue();
    client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    ProxyFixture.await("the notification went upstream", () -> proxy.stats().notifications() == 1);
  }

  private static String call(String id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "}}";
  }

  private static String echo(String id, String text) {
    return call(id, "echo", "{\"text\":\"" + text + "\"}");
  }

  private static Attributes with(Attributes attributes, String key, String value) {
    return attributes.toBuilder().put(key(key), value).build();
  }

  private long sumOf(String metric, Attributes match) {
    return points(metric, match).stream().mapToLong(p -> ((LongPointData) p).getValue()).sum();
  }

  private long countOf(String metric, Attributes match) {
    return points(metric, match).stream().mapToLong(p -> ((HistogramPointData) p).getCount()).sum();
  }

  /** The points of {@code metric} whose attributes include every one of {@code match}. */
  private List<PointData> points(String metric, Attributes match) {
    return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(metric))
        .flatMap(m -> m.getData().getPoints().stream())
        .filter(p -> match.asMap().entrySet().stream()
            .allMatch(e -> e.getValue().equals(p.getAttributes().get(e.getKey()))))
        .map(PointData.class::cast)
        .toList();
  }

  private static AttributeKey<String> key(String name) {
    return AttributeKey.stringKey(name);
  }
}
