package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.testkit.Fault;
import dev.gatekit.testkit.MockTransport;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's metrics and traces, read back through the OpenTelemetry SDK's in-memory exporters: the
 * count, outcome and spans of allowed, blocked, failed, timed-out and rejected requests, a client's
 * trace context reaching the upstream as the parent of the gateway's upstream call, and nothing of a
 * blocked message in any attribute.
 */
class ProxyTelemetryTest {

  private static final String SECRET = "AKIAZZZZSECRETZZZZZZ";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CLIENT_SPAN = "00f067aa0ba902b7";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private GatekitProxy proxy;

  @AfterEach
  void close() {
    if (proxy != null) {
      proxy.close();
    }
    sdk.close();
  }

  @Test
  void anAllowedToolCallIsCountedAndTracedAsAServerSpanWithAClientSpanForTheUpstreamCall() {
    start(upstream(TransportOptions.defaults()).build(), Duration.ofMinutes(1));

    call(1, "{'name':'echo','arguments':{'text':'hi'}}");

    assertThat(requests("tools/call", "ok")).isEqualTo(1);
    assertThat(sumOf("gatekit.requests", Attributes.of(key("gen_ai.tool.name"), "echo", key("gatekit.upstream"), "up")))
        .isEqualTo(1);
    assertThat(histogramCount("mcp.server.operation.duration", "tools/call")).isEqualTo(1);
    assertThat(histogramCount("mcp.client.operation.duration", "tools/call")).isEqualTo(1);
    assertThat(sumOf("gatekit.plugin.decisions",
        Attributes.of(key("gatekit.plugin.name"), "guard", key("gatekit.plugin.decision"), "allow"))).isGreaterThan(0);

    SpanData server = span("tools/call echo", SpanKind.SERVER);
    SpanData upstreamCall = span("tools/call echo", SpanKind.CLIENT);
    assertThat(upstreamCall.getParentSpanId()).isEqualTo(server.getSpanId());
    assertThat(upstreamCall.getTraceId()).isEqualTo(server.getTraceId());
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    assertThat(server.getAttributes().get(key("mcp.method.name"))).isEqualTo("tools/call");
    assertThat(server.getAttributes().get(key("jsonrpc.request.id"))).isEqualTo("1");
    assertThat(server.getAttributes().get(key("gatekit.outcome"))).isEqualTo("ok");
    assertThat(upstreamCall.getAttributes().get(key("gatekit.upstream"))).isEqualTo("up");
  }

  @Test
  void aTraceParentInTheClientsMetaBecomesTheParentAndReachesTheUpstreamAsAChildOfTheGatewaysCall() {
    MockTransport upstream = upstream(TransportOptions.defaults()).build();
    start(upstream, Duration.ofMinutes(1));
    String traceparent = "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01";
    JsonRpcRequest sent = request(2, "tools/call",
        "{'name':'echo','arguments':{},'_meta':{'traceparent':'" + traceparent + "','progressToken':7}}");

    proxy.receive(sent);
    client.awaitResponse(2);

    SpanData server = span("tools/call echo", SpanKind.SERVER);
    SpanData upstreamCall = span("tools/call echo", SpanKind.CLIENT);
    assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
    assertThat(server.getParentSpanId()).isEqualTo(CLIENT_SPAN);
    JsonRpcRequest seen = upstream.requests().stream().filter(r -> r.method().equals("tools/call")).findFirst()
        .orElseThrow();
    JsonNode meta = seen.params().get("_meta");
    assertThat(meta.get("traceparent").asText())
        .isEqualTo("00-" + TRACE_ID + "-" + upstreamCall.getSpanId() + "-01");
    assertThat(meta.get("progressToken").asInt()).as("the rest of _meta passes through").isEqualTo(7);
    assertThat(sent.params().get("_meta").get("traceparent").asText())
        .as("the client's request is never changed").isEqualTo(traceparent);
  }

  @Test
  void aBlockedRequestIsCountedAsBlockedAndNothingOfItsContentIsInAnyAttribute() {
    start(upstream(TransportOptions.defaults()).build(), Duration.ZERO);

    JsonRpcResponse answer = call(3, "{'name':'leak','arguments':{'key':'" + SECRET + "'}}");

    assertThat(answer.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(requests("tools/call", "blocked")).isEqualTo(1);
    assertThat(sumOf("gatekit.plugin.decisions",
        Attributes.of(key("gatekit.plugin.name"), "guard", key("gatekit.plugin.decision"), "block"))).isEqualTo(1);
    SpanData server = span("tools/call", SpanKind.SERVER);
    assertThat(server.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(server.getAttributes().get(key("error.type"))).isEqualTo(String.valueOf(ErrorCodes.SECURITY_VIOLATION));
    assertThat(spans.getFinishedSpanItems()).noneMatch(s -> s.getKind() == SpanKind.CLIENT);
    assertThat(span("gatekit.plugin guard", SpanKind.INTERNAL).getParentSpanId())
        .as("with a zero threshold every plugin stage has its span").isEqualTo(server.getSpanId());

    String everything = spans.getFinishedSpanItems().toString() + metrics.collectAllMetrics();
    assertThat(everything).doesNotContain(SECRET).as("the tool name only after security allowed it")
        .doesNotContain("leak");
  }

  @Test
  void anUpstreamErrorAndADeadUpstreamAreCountedWithTheirCodes() {
    MockTransport upstream = upstream(TransportOptions.defaults())
        .fault("tools/call", Fault.errorResponse(-32602, "bad arguments")).build();
    start(upstream, Duration.ofMinutes(1));

    call(4, "{'name':'echo','arguments':{}}");
    assertThat(requests("tools/call", "error")).isEqualTo(1);
    assertThat(sumOf("gatekit.requests", Attributes.of(key("error.type"), "-32602"))).isEqualTo(1);
    assertThat(span("tools/call echo", SpanKind.CLIENT).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);

    upstream.disconnect();
    JsonRpcResponse dead = call(5, "{'name':'echo','arguments':{}}");
    assertThat(dead.error().code()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    assertThat(requests("tools/call", "failed")).isEqualTo(1);
    assertThat(sumOf("gatekit.requests",
        Attributes.of(key("error.type"), String.valueOf(ErrorCodes.UPSTREAM_UNAVAILABLE)))).isEqualTo(1);
    assertThat(sumOf("gatekit.upstream.deaths", Attributes.of(key("gatekit.upstream"), "up"))).isEqualTo(1);
  }

  @Test
  void aTimedOutRequestIsCountedAsTimedOutOnBothSides() {
    MockTransport upstream = upstream(TransportOptions.builder().requestTimeout(Duration.ofMillis(200)).build())
        .fault("tools/call", Fault.timeout()).build();
    start(upstream, Duration.ofMinutes(1));

    JsonRpcResponse answer = call(6, "{'name':'echo','arguments':{}}");

    assertThat(answer.error().code()).isEqualTo(ErrorCodes.REQUEST_TIMEOUT);
    assertThat(requests("tools/call", "timed_out")).isEqualTo(1);
    assertThat(sumOf("gatekit.upstream.requests.timed_out", Attributes.of(key("gatekit.upstream"), "up")))
        .isEqualTo(1);
    assertThat(span("tools/call echo", SpanKind.CLIENT).getAttributes().get(key("gatekit.outcome")))
        .isEqualTo("timed_out");
  }

  @Test
  void aRequestRefusedUnderOverloadIsCountedAsRejectedAndTheGaugeShowsTheOneInFlight() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    MockTransport upstream = upstream(
        TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.REJECT).build())
        .handle("tools/call", r -> {
          ProxyFixture.hold(release);
          return JsonRpcResponse.success(r.id(), json("{'content':[]}"));
        }).build();
    start(upstream, Duration.ofMinutes(1));

    proxy.receive(request(7, "tools/call", "{'name':'slow','arguments':{}}"));
    await("the first call in flight", () -> upstream.stats().inFlight() == 1);
    assertThat(sumOf("gatekit.upstream.requests.in_flight", Attributes.of(key("gatekit.upstream"), "up")))
        .isEqualTo(1);
    JsonRpcResponse refused = call(8, "{'name':'slow','arguments':{}}");
    release.complete(null);
    client.awaitResponse(7);

    assertThat(refused.error().code()).isEqualTo(ErrorCodes.OVERLOADED);
    assertThat(requests("tools/call", "rejected")).isEqualTo(1);
    assertThat(requests("tools/call", "ok")).isEqualTo(1);
    assertThat(sumOf("gatekit.upstream.requests.rejected", Attributes.of(key("gatekit.upstream"), "up")))
        .isEqualTo(1);
    await("the gauge back at zero", () ->
        sumOf("gatekit.upstream.requests.in_flight", Attributes.of(key("gatekit.upstream"), "up")) == 0);
    assertThat(sumOf("gatekit.sessions.open", Attributes.empty())).isEqualTo(1);
  }

  @Test
  void sessionsOpenAndPerSessionUpstreamsAreSummedByUpstreamAndAClosedSessionsCountsStay() {
    List<MockTransport> made = new java.util.concurrent.CopyOnWriteArrayList<>();
    proxy = GatekitProxy.builder()
        .upstreamPerSession("up", () -> {
          MockTransport mock = upstream(TransportOptions.defaults()).build();
          made.add(mock);
          return mock;
        })
        .openTelemetry(sdk)
        .build();
    ProxyFixture.Client first = new ProxyFixture.Client();
    ProxyFixture.Client second = new ProxyFixture.Client();
    ProxySession one = proxy.open("s-1", first);
    ProxySession two = proxy.open("s-2", second);
    assertThat(sumOf("gatekit.sessions.open", Attributes.empty())).isEqualTo(2);

    made.get(0).disconnect();
    made.get(1).disconnect();
    assertThat(sumOf("gatekit.upstream.deaths", Attributes.of(key("gatekit.upstream"), "up"))).isEqualTo(2);
    one.close();
    assertThat(sumOf("gatekit.sessions.open", Attributes.empty())).isEqualTo(1);
    assertThat(sumOf("gatekit.upstream.deaths", Attributes.of(key("gatekit.upstream"), "up")))
        .as("a closed session's connection still counts").isEqualTo(2);
    two.close();
    assertThat(sumOf("gatekit.upstream.deaths", Attributes.of(key("gatekit.upstream"), "up"))).isEqualTo(2);
  }

  // ---------------------------------------------------------------------------------------------

  private MockTransport.Builder upstream(TransportOptions options) {
    return MockTransport.builder()
        .options(options)
        .result("initialize", initializeResult("up"))
        .handle("tools/call", r -> JsonRpcResponse.success(r.id(), json("{'content':[{'type':'text','text':'ok'}]}")));
  }

  @Test
  void anUpstreamsRequestToTheClientIsTracedWithItsDirectionAndItsPluginStagesAndCounted() {
    MockTransport upstream = upstream(TransportOptions.defaults()).build();
    start(upstream, Duration.ZERO);
    String traceparent = "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01";

    CompletableFuture<JsonRpcResponse> sampled = upstream.emitRequest(request(7, "sampling/createMessage",
        "{'messages':[],'maxTokens':1,'_meta':{'traceparent':'" + traceparent + "'}}"));
    JsonRpcRequest atClient = client.awaitRequest("sampling/createMessage");
    proxy.receive(JsonRpcResponse.success(atClient.id(), json("{'role':'assistant','model':'m'}")));
    CompletableFuture<JsonRpcResponse> elicited =
        upstream.emitRequest(request("e-1", "elicitation/create", "{'message':'Name?','requestedSchema':{}}"));
    JsonRpcRequest elicitation = client.awaitRequest("elicitation/create");
    proxy.receive(JsonRpcResponse.failure(elicitation.id(), -1, "User rejected"));

    assertThat(sampled.join().result()).isNotNull();
    assertThat(elicited.join().error().code()).isEqualTo(-1);
    SpanData sampling = span("sampling/createMessage", SpanKind.SERVER);
    assertThat(sampling.getAttributes().get(key("gatekit.direction"))).isEqualTo("upstream_to_client");
    assertThat(sampling.getAttributes().get(key("gatekit.upstream"))).isEqualTo("up");
    assertThat(sampling.getAttributes().get(key("jsonrpc.request.id"))).isEqualTo("7");
    assertThat(sampling.getTraceId()).as("the upstream's trace context is the parent").isEqualTo(TRACE_ID);
    assertThat(sampling.getParentSpanId()).isEqualTo(CLIENT_SPAN);
    assertThat(sampling.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    SpanData refused = span("elicitation/create", SpanKind.SERVER);
    assertThat(refused.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(refused.getAttributes().get(key("error.type"))).isEqualTo("-1");
    assertThat(spans.getFinishedSpanItems()).filteredOn(s -> s.getName().equals("gatekit.plugin guard"))
        .as("each request's plugin stage is a child of its span")
        .anyMatch(s -> s.getParentSpanId().equals(sampling.getSpanId()))
        .anyMatch(s -> s.getParentSpanId().equals(refused.getSpanId()));
    Attributes fromUpstream = Attributes.of(key("gatekit.direction"), "upstream_to_client", key("gatekit.upstream"), "up");
    assertThat(sumOf("gatekit.requests", fromUpstream.toBuilder()
        .put(key("mcp.method.name"), "sampling/createMessage").put(key("gatekit.outcome"), "ok").build())).isEqualTo(1);
    assertThat(sumOf("gatekit.requests", fromUpstream.toBuilder()
        .put(key("mcp.method.name"), "elicitation/create").put(key("gatekit.outcome"), "error").build())).isEqualTo(1);
    assertThat(sumOf("gatekit.requests", Attributes.of(key("gatekit.direction"), "client_to_upstream",
        key("mcp.method.name"), "sampling/createMessage"))).as("not counted as a client's request").isZero();
  }

  @Test
  void anUpstreamsRequestReachesTheClientWithTheGatewaysTraceContextInItsMeta() {
    MockTransport upstream = upstream(TransportOptions.defaults()).build();
    start(upstream, Duration.ofMinutes(1));
    String traceparent = "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01";

    JsonRpcRequest emitted = request(9, "sampling/createMessage",
        "{'messages':[],'maxTokens':1,'_meta':{'traceparent':'" + traceparent + "','progressToken':3}}");
    CompletableFuture<JsonRpcResponse> sampled = upstream.emitRequest(emitted);
    JsonRpcRequest atClient = client.awaitRequest("sampling/createMessage");
    proxy.receive(JsonRpcResponse.success(atClient.id(), json("{'role':'assistant','model':'m'}")));
    assertThat(sampled.join().result()).isNotNull();

    SpanData gateway = span("sampling/createMessage", SpanKind.SERVER);
    JsonNode meta = atClient.params().get("_meta");
    assertThat(meta.get("traceparent").asText()).as("the gateway's span is the client's parent, in the upstream's trace")
        .isEqualTo("00-" + TRACE_ID + "-" + gateway.getSpanId() + "-01");
    assertThat(meta.get("progressToken").asInt()).as("the rest of _meta passes through").isEqualTo(3);
    assertThat(emitted.params().get("_meta").get("traceparent").asText())
        .as("the upstream's request is never changed").isEqualTo(traceparent);
  }

  private void start(MockTransport upstream, Duration pluginSpanThreshold) {
    proxy = GatekitProxy.builder()
        .upstream("up", upstream)
        .plugin("guard", null, new Guard())
        .openTelemetry(sdk)
        .pluginSpanThreshold(pluginSpanThreshold)
        .build();
    proxy.connect(client);
    handshake(proxy, client);
    spans.reset();
  }

  private JsonRpcResponse call(int id, String params) {
    proxy.receive(request(id, "tools/call", params));
    return client.awaitResponse(RequestId.of(id));
  }

  private long requests(String method, String outcome) {
    return sumOf("gatekit.requests", Attributes.of(key("mcp.method.name"), method, key("gatekit.outcome"), outcome));
  }

  /** Sums the points of a counter or gauge whose attributes include every one of {@code match}. */
  private long sumOf(String metric, Attributes match) {
    return points(metric, match).stream().mapToLong(p -> ((LongPointData) p).getValue()).sum();
  }

  private long histogramCount(String metric, String method) {
    return points(metric, Attributes.of(key("mcp.method.name"), method)).stream()
        .mapToLong(p -> ((io.opentelemetry.sdk.metrics.data.HistogramPointData) p).getCount()).sum();
  }

  private List<PointData> points(String metric, Attributes match) {
    Collection<MetricData> all = metrics.collectAllMetrics();
    return all.stream().filter(m -> m.getName().equals(metric))
        .flatMap(m -> m.getData().getPoints().stream())
        .filter(p -> match.asMap().entrySet().stream()
            .allMatch(e -> e.getValue().equals(p.getAttributes().get(e.getKey()))))
        .map(PointData.class::cast)
        .toList();
  }

  /** Waits for the finished span of this name and kind (spans end just before the client's answer). */
  private SpanData span(String name, SpanKind kind) {
    await("span " + name + " " + kind, () -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> s.getName().equals(name) && s.getKind() == kind));
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getName().equals(name) && s.getKind() == kind).findFirst().orElseThrow();
  }

  private static AttributeKey<String> key(String name) {
    return AttributeKey.stringKey(name);
  }

  /** Blocks a tool call whose arguments carry the secret. */
  static final class Guard implements SecurityPlugin {
    @Override
    public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
      return request.params() != null && request.params().toString().contains(SECRET)
          ? PluginResult.block("a secret in the arguments")
          : PluginResult.allow();
    }

    @Override
    public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
      return PluginResult.allow();
    }

    @Override
    public PluginResult checkNotification(dev.gatekit.api.JsonRpcNotification notification, PluginContext context) {
      return PluginResult.allow();
    }
  }
}
