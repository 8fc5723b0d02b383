package dev.gatekit.proxy.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.support.JsonRpcLineScanner;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trace context spliced into a request's bytes decodes to exactly what {@link MetaCarrier} makes
 * of the decoded request, and what is read from the bytes is what {@link MetaCarrier} reads from the
 * decoded request, for every shape of request; a line the splice cannot be sure of is not taken.
 */
class RelayedRequestTest {

  private static final String TRACE = "0af7651916cd43dd8448eb211c80319c";
  private static final String PARENT = "00-" + TRACE + "-b7ad6b7169203331-01";
  private static final SdkTracerProvider TRACERS = SdkTracerProvider.builder().build();
  private static final Telemetry TRACING = Telemetry.of(OpenTelemetrySdk.builder()
      .setTracerProvider(TRACERS)
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build(), Duration.ofMillis(1));
  /** The upstream call's context, as the gateway would inject it. */
  private static final Context CALL = Context.root().with(Span.wrap(SpanContext.create(
      "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getSampled(),
      TraceState.builder().put("gk", "a=b").put("other", "x y").build())));
  private static final Context NO_STATE = Context.root().with(Span.wrap(SpanContext.create(
      "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", TraceFlags.getDefault(), TraceState.getDefault())));

  @AfterAll
  static void closeTracers() {
    TRACERS.close();
  }

  static Stream<String> shapes() {
    String head = "\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\"";
    return Stream.of(
        "{" + head + "}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"method\":\"ping\"}",
        "{" + head + ",\"params\":{}}",
        "{" + head + ",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}",
        "{" + head + ",\"params\":{\"name\":\"echo\",\"_meta\":{}}}",
        "{" + head + ",\"params\":{\"name\":\"echo\",\"_meta\":{\"progressToken\":3}}}",
        "{" + head + ",\"params\":{\"name\":\"echo\",\"_meta\":{\"traceparent\":\"" + PARENT + "\"}}}",
        "{" + head + ",\"params\":{\"_meta\":{\"traceparent\":\"" + PARENT + "\",\"tracestate\":\"c=d\"},\"name\":\"e\"}}",
        "{" + head + ",\"params\":{\"_meta\":{\"tracestate\":\"c=d\",\"progressToken\":\"t\",\"traceparent\":\""
            + PARENT + "\",\"x\":{\"y\":[1,\"}\"]}}}}",
        "{" + head + ",\"params\":{\"_meta\":{\"a\":1,\"traceparent\":\"" + PARENT + "\"},\"arguments\":[]}}",
        "{" + head + ",\"params\":{\"_meta\":{\"traceparent\":42,\"tracestate\":null}}}",
        "{" + head + ",\"params\":{\"_meta\":{\"traceparent\":\"not a parent\"}}}",
        "{" + head + ",\"params\":{\"_meta\":null,\"name\":\"echo\"}}",
        "{" + head + ",\"params\":{\"_meta\":\"text\"}}",
        "{" + head + ",\"params\":{\"_meta\":[1,2]}}",
        "{" + head + ",\"params\":[1,{\"_meta\":{}}]}",
        "{\"params\":{\"name\":\"echo\",\"_meta\":{\"traceparent\":\"" + PARENT + "\"}},\"id\":\"x\",\"method\":"
            + "\"tools/call\",\"jsonrpc\":\"2.0\"}",
        "{\"id\":12345,\"params\":{\"name\":\"echo\"},\"jsonrpc\":\"2.0\",\"method\":\"tools/call\"}",
        " { \"jsonrpc\" : \"2.0\" , \"id\" : 7 , \"method\" : \"tools/call\" , \"params\" : { \"_meta\" : { "
            + "\"traceparent\" : \"" + PARENT + "\" , \"k\" : true } , \"name\" : \"echo\" } }  \t",
        "{\t\"jsonrpc\":\"2.0\",\n\"id\":7,\"method\":\"tools/call\"\r\n}  ",
        "{" + head + ",\"params\":{\"name\":\"écho 😀\",\"arguments\":{\"s\":\"a\\\"b\\\\c\\u00e9\\n\"},"
            + "\"_meta\":{\"note\":\"\\\"quoted\\\" é\",\"traceparent\":\"" + PARENT + "\"}}}",
        "{" + head + ",\"params\":{\"arguments\":{\"_meta\":{\"traceparent\":\"" + PARENT + "\"},\"name\":\"inner\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"name\":\"not a tool\",\"uri\":\"u\"}}");
  }

  @ParameterizedTest
  @MethodSource("shapes")
  void theSplicedLineDecodesToWhatMetaCarrierInjects(String line) throws Exception {
    for (Context context : new Context[] {CALL, NO_STATE}) {
      byte[] padded = ("garbage" + line + "trailing").getBytes(StandardCharsets.UTF_8);
      int offset = "garbage".length();
      int length = line.getBytes(StandardCharsets.UTF_8).length;
      JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(padded, offset, length);
      assertThat(members).as("the scanner takes %s", line).isNotNull();
      RelayedRequest relayed = RelayedRequest.read(TRACING, padded, offset, length, members);
      assertThat(relayed).isNotNull();
      JsonRpcRequest decoded = (JsonRpcRequest) JsonRpcCodec.get().decode(line);

      Map<String, String> fields = new LinkedHashMap<>();
      MetaCarrier.fields(TRACING.propagator, context, fields);
      RelayedRequest.Line spliced = relayed.carrying(fields);
      JsonNode expected = JsonRpcCodec.get().toTree(MetaCarrier.inject(TRACING.propagator, context, decoded));
      JsonNode actual = JsonRpcCodec.get().mapper()
          .readTree(spliced.buffer(), spliced.offset(), spliced.length());
      assertThat(actual).as("%s spliced as %s", line, text(spliced)).isEqualTo(expected);

      // Still a line the relay takes: strict JSON without duplicate names, its id's bytes where they say.
      JsonRpcLineScanner.Members again = JsonRpcLineScanner.scan(spliced.buffer(), spliced.offset(), spliced.length());
      assertThat(again).as("strict JSON: %s", text(spliced)).isNotNull();
      assertThat(spliced.members()).isEqualTo(again);

      // What telemetry reads from the bytes is what it reads from the decoded request.
      assertThat(spanContextOf(relayed.request())).isEqualTo(spanContextOf(decoded));
      assertThat(relayed.request().method()).isEqualTo(decoded.method());
      assertThat(relayed.request().id()).isEqualTo(decoded.id());
      assertThat(toolOf(relayed.request())).isEqualTo(toolOf(decoded));
    }
  }

  @Test
  void aClientsTraceParentBecomesTheParent() {
    String line = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"traceparent\":\""
        + PARENT + "\",\"tracestate\":\"c=d\"}}}";
    SpanContext parent = spanContextOf(read(line).request());
    assertThat(parent.getTraceId()).isEqualTo(TRACE);
    assertThat(parent.getSpanId()).isEqualTo("b7ad6b7169203331");
    assertThat(parent.getTraceState().get("c")).isEqualTo("d");
    assertThat(parent.isRemote()).isTrue();
  }

  @Test
  void aLineWithAnEscapeInWhatTelemetryReadsIsNotTaken() {
    String escapedParent = PARENT.replace("-", "\\u002d");
    assertThat(read("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"traceparent\":\""
        + escapedParent + "\"}}}")).isNull();
    assertThat(read("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"_meta\":{\"tracestate\":"
        + "\"a=\\\"b\"}}}")).isNull();
    assertThat(read("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"e\\u0063ho\"}}"))
        .isNull();
    assertThat(read("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"other\",\"params\":{\"name\":\"e\\u0063ho\"}}"))
        .as("only a tool call's name is read").isNotNull();
  }

  @Test
  void withoutSpansThereIsNothingToRead() {
    Telemetry metricsOnly = Telemetry.of(OpenTelemetry.noop(), Duration.ofMillis(1));
    byte[] line = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"m\"}".getBytes(StandardCharsets.UTF_8);
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(line, 0, line.length);
    assertThatThrownBy(() -> RelayedRequest.read(metricsOnly, line, 0, line.length, members))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------

  private static RelayedRequest read(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(bytes, 0, bytes.length);
    assertThat(members).as("the scanner takes %s", line).isNotNull();
    return RelayedRequest.read(TRACING, bytes, 0, bytes.length, members);
  }

  private static SpanContext spanContextOf(JsonRpcRequest request) {
    return Span.fromContext(MetaCarrier.extract(TRACING.propagator, request)).getSpanContext();
  }

  private static String toolOf(JsonRpcRequest request) {
    if (!"tools/call".equals(request.method()) || request.params() == null || request.params().get("name") == null) {
      return null;
    }
    return request.params().get("name").asText();
  }

  private static String text(RelayedRequest.Line line) {
    return new String(line.buffer(), line.offset(), line.length(), StandardCharsets.UTF_8);
  }
}
