package dev.gatekit.proxy.internal.telemetry;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.plugin.PluginKind;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * One proxy's instruments and tracer, made once from an {@link OpenTelemetry}. Whether metrics and
 * traces are on is decided here, once: with the API's no-op providers (no SDK installed) both are
 * off, {@link #begin} returns {@code null} and callers skip all of it, so a request pays one null
 * check. Names and attributes follow OpenTelemetry's semantic conventions for MCP where there are
 * some ({@code mcp.*}, {@code gen_ai.tool.name}, {@code jsonrpc.request.id}, {@code error.type});
 * the gateway's own are under {@code gatekit.*}. No message content ever becomes an attribute.
 * Thread-safe.
 */
public final class Telemetry {

  static final String SCOPE = "dev.gatekit.proxy";

  static final AttributeKey<String> METHOD = AttributeKey.stringKey("mcp.method.name");
  static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("jsonrpc.request.id");
  static final AttributeKey<String> TOOL = AttributeKey.stringKey("gen_ai.tool.name");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<String> STATUS_CODE = AttributeKey.stringKey("rpc.response.status_code");
  static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("gatekit.upstream");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("gatekit.outcome");
  static final AttributeKey<String> PLUGIN = AttributeKey.stringKey("gatekit.plugin.name");
  static final AttributeKey<String> PLUGIN_KIND = AttributeKey.stringKey("gatekit.plugin.kind");
  static final AttributeKey<String> DECISION = AttributeKey.stringKey("gatekit.plugin.decision");
  static final AttributeKey<String> DIRECTION = AttributeKey.stringKey("gatekit.direction");

  /** The {@code gatekit.direction} of a client's request. */
  static final String CLIENT_TO_UPSTREAM = "client_to_upstream";
  /** The {@code gatekit.direction} of an upstream's request to the client (sampling, elicitation, roots). */
  static final String UPSTREAM_TO_CLIENT = "upstream_to_client";

  /** Buckets for durations in seconds, as the semantic conventions advise for RPC durations. */
  private static final List<Double> BUCKETS =
      List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0);

  /** Switched off: nothing is recorded. */
  public static final Telemetry OFF = new Telemetry(OpenTelemetry.noop(), Duration.ofMillis(1));

  final boolean tracing;
  final boolean metrics;
  final Tracer tracer;
  final TextMapPropagator propagator;
  /** The names of the fields {@link #propagator} reads and writes, as UTF-8. */
  final byte[][] carriedFields;
  private final Meter meter;
  final LongCounter requests;
  final DoubleHistogram requestDuration;
  final DoubleHistogram upstreamDuration;
  final LongCounter pluginDecisions;
  final long pluginSpanThresholdNanos;
  final CallLabels labels = new CallLabels();

  private Telemetry(OpenTelemetry openTelemetry, Duration pluginSpanThreshold) {
    this.tracing = openTelemetry.getTracerProvider() != TracerProvider.noop();
    this.metrics = openTelemetry.getMeterProvider() != MeterProvider.noop();
    this.tracer = openTelemetry.getTracer(SCOPE);
    TextMapPropagator configured = openTelemetry.getPropagators().getTextMapPropagator();
    // An SDK built without propagators would drop the client's trace: MCP's _meta carries W3C context.
    this.propagator = tracing && configured == TextMapPropagator.noop()
        ? W3CTraceContextPropagator.getInstance() : configured;
    this.carriedFields = propagator.fields().stream()
        .map(field -> field.getBytes(StandardCharsets.UTF_8))
        .toArray(byte[][]::new);
    this.meter = openTelemetry.getMeter(SCOPE);
    this.requests = meter.counterBuilder("gatekit.requests")
        .setUnit("{request}")
        .setDescription("Client requests answered, by method, upstream and outcome")
        .build();
    this.requestDuration = meter.histogramBuilder("mcp.server.operation.duration")
        .setUnit("s")
        .setDescription("How long the gateway took to answer a client's request")
        .setExplicitBucketBoundariesAdvice(BUCKETS)
        .build();
    this.upstreamDuration = meter.histogramBuilder("mcp.client.operation.duration")
        .setUnit("s")
        .setDescription("How long an upstream took to answer a request the gateway sent it")
        .setExplicitBucketBoundariesAdvice(BUCKETS)
        .build();
    this.pluginDecisions = meter.counterBuilder("gatekit.plugin.decisions")
        .setUnit("{decision}")
        .setDescription("Decisions of security and middleware plugins, by plugin and decision")
        .build();
    this.pluginSpanThresholdNanos = pluginSpanThreshold.toNanos();
  }

  /**
   * Returns the telemetry of a proxy that reports to {@code openTelemetry}.
   *
   * @param pluginSpanThreshold a plugin stage that takes longer than this gets a span of its own
   */
  public static Telemetry of(OpenTelemetry openTelemetry, Duration pluginSpanThreshold) {
    return new Telemetry(openTelemetry, pluginSpanThreshold);
  }

  /** Returns whether anything is recorded at all. */
  public boolean enabled() {
    return tracing || metrics;
  }

  /**
   * Returns whether spans are made. A request's span's parent is then in its {@code _meta}, and the
   * request sent upstream carries the upstream call's context in its own: read and written in the
   * decoded request ({@link RequestTelemetry#upstreamCall}), or in its bytes on a byte pass-through
   * ({@link RelayedRequest}, {@link RequestTelemetry#relay}). Metrics alone need only the method and
   * the outcome ({@link RequestTelemetry#passedThrough}).
   */
  public boolean tracing() {
    return tracing;
  }

  /**
   * Starts the telemetry of a client request that arrived at {@code startNanos} ({@link
   * System#nanoTime()}): its span, a child of the context in its {@code _meta}. Returns {@code null}
   * when nothing is recorded.
   */
  public @Nullable RequestTelemetry begin(JsonRpcRequest request, long startNanos) {
    return begin(request, startNanos, CLIENT_TO_UPSTREAM, null);
  }

  /**
   * Starts the telemetry of a request the upstream {@code upstream} sent the client (sampling,
   * elicitation, roots, ping), which arrived at {@code startNanos}: its span, a child of the context
   * in its {@code _meta}, with {@code gatekit.direction} {@code upstream_to_client}. Returns {@code
   * null} when nothing is recorded.
   */
  public @Nullable RequestTelemetry beginFromUpstream(String upstream, JsonRpcRequest request, long startNanos) {
    return begin(request, startNanos, UPSTREAM_TO_CLIENT, upstream);
  }

  private @Nullable RequestTelemetry begin(JsonRpcRequest request, long startNanos, String direction,
      @Nullable String upstream) {
    if (!enabled()) {
      return null;
    }
    Span span = null;
    Context context = Context.root();
    if (tracing) {
      Context parent = MetaCarrier.extract(propagator, request);
      var builder = tracer.spanBuilder(request.method())
          .setSpanKind(SpanKind.SERVER)
          .setParent(parent)
          .setStartTimestamp(Clock.epochNanosOf(startNanos), TimeUnit.NANOSECONDS)
          .setAttribute(METHOD, request.method())
          .setAttribute(REQUEST_ID, request.id().toString())
          .setAttribute(DIRECTION, direction);
      if (upstream != null) {
        builder.setAttribute(UPSTREAM, upstream);
      }
      span = builder.startSpan();
      context = parent.with(span);
    }
    return new RequestTelemetry(this, request.method(), direction, upstream, startNanos, span, context);
  }

  /** Returns what a plugin stage records, or {@code null} when nothing is recorded. */
  public @Nullable PluginTelemetry plugin(String name, PluginKind kind) {
    return enabled() ? new PluginTelemetry(this, name, kind.configKey()) : null;
  }

  /**
   * Returns what reports the upstreams' transport counters: requests in flight and queued (gauges);
   * restarts, deaths, dropped messages, timeouts, rejections and failures (counters). Close it to stop.
   */
  public UpstreamObservation observeUpstreams() {
    return metrics ? new UpstreamObservation(meter) : UpstreamObservation.OFF;
  }

  /** Reports {@code open} as the number of client sessions open. Close the result to stop. */
  public AutoCloseable observeSessions(IntSupplier open) {
    if (!metrics) {
      return () -> {};
    }
    return meter.upDownCounterBuilder("gatekit.sessions.open")
        .setUnit("{session}")
        .setDescription("Client sessions open")
        .buildWithCallback(measurement -> measurement.record(open.getAsInt()));
  }

  /** Wall-clock time from {@link System#nanoTime()} readings, for spans made after the fact. */
  static final class Clock {
    private static final long EPOCH_OFFSET = currentEpochNanos() - System.nanoTime();

    private Clock() {}

    static long epochNanosOf(long nanoTime) {
      return EPOCH_OFFSET + nanoTime;
    }

    private static long currentEpochNanos() {
      java.time.Instant now = java.time.Instant.now();
      return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
    }
  }
}
