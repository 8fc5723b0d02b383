package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway that makes spans keeps the byte pass-through ({@link GatekitProxy#receiveLine}): the
 * client's trace context in {@code params._meta} is the parent of the gateway's span, the line that
 * reaches the upstream carries the context of the gateway's upstream call in its place (with the
 * client's trace id and the rest of {@code _meta}), and the spans get the tool's name and the answer's
 * outcome. The upstream is the test server behind {@code tee}, which keeps the lines it was sent.
 */
class TracedPassThroughTest {

  private static final int MAX_LINE = 64 * 1024;
  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String CLIENT_SPAN = "b7ad6b7169203331";
  private static final String PARENT = "00-" + TRACE + "-" + CLIENT_SPAN + "-01";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final SdkTracerProvider tracers =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build();
  @TempDir Path dir;
  private Path received;
  private GatekitProxy proxy;
  private ScenarioLineClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
      client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    tracers.close();
  }

  @Test
  void theClientsContextIsTheParentAndTheUpstreamGetsTheGatewaysCallAsItsParent() {
    start();
    byte[] line = ("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
        + "\"arguments\":{\"text\":\"hi\"},\"_meta\":{\"traceparent\":\"" + PARENT + "\",\"tracestate\":\"c=d\","
        + "\"progressToken\":9}}}").getBytes(StandardCharsets.UTF_8);

    assertThat(proxy.receiveLine(line, 0, line.length)).as("passed on as bytes").isTrue();
    JsonNode answer = client.next();
    assertThat(answer.get("id").asInt()).isEqualTo(5);
    assertThat(answer.get("result").get("content").get(0).get("text").asText()).isEqualTo("hi");

    SpanData server = span(SpanKind.SERVER);
    SpanData call = span(SpanKind.CLIENT);
    assertThat(server.getTraceId()).as("the client's trace").isEqualTo(TRACE);
    assertThat(server.getParentSpanId()).as("the client's span is the parent").isEqualTo(CLIENT_SPAN);
    assertThat(server.getName()).isEqualTo("tools/call echo");
    assertThat(server.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name"))).isEqualTo("echo");
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(call.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(call.getTraceId()).isEqualTo(TRACE);
    assertThat(call.getName()).isEqualTo("tools/call echo");

    JsonNode meta = upstreamReceived("tools/call").get("params").get("_meta");
    assertThat(meta.get("traceparent").asText()).as("the gateway's upstream call is the upstream's parent")
        .isEqualTo("00-" + TRACE + "-" + call.getSpanId() + "-" + call.getSpanContext().getTraceFlags().asHex());
    assertThat(meta.get("tracestate").asText()).isEqualTo("c=d");
    assertThat(meta.get("progressToken").asInt()).as("the rest of _meta passes through").isEqualTo(9);
  }

  @Test
  void aRequestWithoutContextStartsATraceAndGetsParamsForIt() {
    start();
    byte[] line = "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"tools/list\"}".getBytes(StandardCharsets.UTF_8);

    assertThat(proxy.receiveLine(line, 0, line.length)).as("passed on as bytes").isTrue();
    assertThat(client.next().get("result").get("tools").isArray()).isTrue();

    SpanData server = span(SpanKind.SERVER);
    SpanData call = span(SpanKind.CLIENT);
    assertThat(server.getParentSpanContext().isValid()).as("a root").isFalse();
    JsonNode sent = upstreamReceived("tools/list");
    assertThat(sent.get("params").get("_meta").get("traceparent").asText())
        .isEqualTo("00-" + server.getTraceId() + "-" + call.getSpanId() + "-"
            + call.getSpanContext().getTraceFlags().asHex());
  }

  @Test
  void anUpstreamsErrorAnswerSetsBothSpansStatus() {
    start();
    byte[] line = ("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\","
        + "\"arguments\":{\"code\":-32042}}}").getBytes(StandardCharsets.UTF_8);

    assertThat(proxy.receiveLine(line, 0, line.length)).as("passed on as bytes").isTrue();
    assertThat(client.next().get("error").get("code").asInt()).isEqualTo(-32042);

    for (SpanData span : List.of(span(SpanKind.SERVER), span(SpanKind.CLIENT))) {
      assertThat(span.getStatus().getStatusCode()).as(span.getName()).isEqualTo(StatusCode.ERROR);
      assertThat(span.getAttributes().get(AttributeKey.stringKey("rpc.response.status_code"))).isEqualTo("-32042");
    }
  }

  @Test
  void aTraceParentWithAnEscapeGoesTheDecodedWayAndIsStillTheParent() {
    start();
    String line = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
        + "\"arguments\":{\"text\":\"x\"},\"_meta\":{\"traceparent\":\"" + PARENT.replace("-", "\\u002d") + "\"}}}";
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);

    assertThat(proxy.receiveLine(bytes, 0, bytes.length)).as("not passed on as bytes").isFalse();
    client.sendLine(line);
    assertThat(client.next().get("id").asInt()).isEqualTo(8);
    assertThat(span(SpanKind.SERVER).getParentSpanId()).isEqualTo(CLIENT_SPAN);
  }

  // ---------------------------------------------------------------------------------------------

  private void start() {
    received = dir.resolve("received.jsonl");
    List<String> command = new ArrayList<>(List.of("sh", "-c", "tee \"$0\" | exec \"$@\"", received.toString()));
    command.addAll(TestServer.command());
    StdioTransport upstream = StdioTransport.builder(command)
        .name("kit")
        .options(TransportOptions.defaults())
        .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(tracers)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    proxy = GatekitProxy.builder().upstream("kit", upstream).openTelemetry(sdk).build();
    client = new ScenarioLineClient(new StdioServer(proxy, MAX_LINE, Duration.ofSeconds(30)));
    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    assertThat(client.next().has("result")).isTrue();
    client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    ProxyFixture.await("the notification went upstream", () -> proxy.stats().notifications() == 1);
    ProxyFixture.await("the initialize span ended", () -> spans.getFinishedSpanItems().size() == 2);
    spans.reset();
  }

  /** The one finished span of {@code kind}, once there is one. */
  private SpanData span(SpanKind kind) {
    ProxyFixture.await("a " + kind + " span", () -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> s.getKind() == kind));
    List<SpanData> found = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == kind).toList();
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  /** The request of {@code method} the upstream was sent, once it has been. */
  private JsonNode upstreamReceived(String method) {
    ProxyFixture.await("the upstream got " + method, () -> linesReceived().stream()
        .anyMatch(line -> method.equals(line.path("method").asText())));
    return linesReceived().stream().filter(line -> method.equals(line.path("method").asText())).findFirst()
        .orElseThrow();
  }

  private List<JsonNode> linesReceived() {
    try {
      List<JsonNode> lines = new ArrayList<>();
      for (String line : Files.readAllLines(received, StandardCharsets.UTF_8)) {
        if (line.endsWith("}")) { // a line still being written is not one yet
          lines.add(JsonRpcCodec.get().mapper().readTree(line));
        }
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
