package dev.gatekit.proxy.internal.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The telemetry of one client request: its span (kind SERVER, a child of the trace context in the
 * request's {@code _meta}), the spans of its upstream calls and slow plugin stages beneath it, and,
 * when it ends, one count and one duration. The tool name is recorded only once the request has left
 * for an upstream, that is after every security stage allowed it. Thread-safe.
 */
public final class RequestTelemetry {

  /** Stands for several upstreams (a request fanned out to all of them). */
  private static final String SEVERAL = "*";

  private final Telemetry telemetry;
  private final String method;
  private final String direction;
  private final long startNanos;
  private final @Nullable Span span;
  private final Context context;
  private volatile @Nullable String upstream;
  private volatile @Nullable String tool;

  RequestTelemetry(Telemetry telemetry, String method, String direction, @Nullable String upstream,
      long startNanos, @Nullable Span span, Context context) {
    this.telemetry = telemetry;
    this.method = method;
    this.direction = direction;
    this.upstream = upstream;
    this.startNanos = startNanos;
    this.span = span;
    this.context = context;
  }

  /**
   * Starts a call of this request to {@code upstream}, with {@code request} as it leaves (the
   * security stages allowed it). The call's span is a child of this request's.
   */
  public UpstreamCall upstreamCall(String upstream, JsonRpcRequest request) {
    String previous = this.upstream;
    this.upstream = previous == null || previous.equals(upstream) ? upstream : SEVERAL;
    String toolName = toolOf(request);
    if (toolName != null) {
      tool = toolName;
    }
    Span child = null;
    JsonRpcRequest leaving = request;
    if (span != null) {
      child = telemetry.tracer.spanBuilder(telemetry.labels.spanName(request.method(), toolName))
          .setSpanKind(SpanKind.CLIENT)
          .setParent(context)
          .setAttribute(Telemetry.METHOD, request.method())
          .setAttribute(Telemetry.UPSTREAM, upstream)
          .startSpan();
      if (toolName != null) {
        child.setAttribute(Telemetry.TOOL, toolName);
      }
      leaving = MetaCarrier.inject(telemetry.propagator, context.with(child), request);
    }
    return new UpstreamCall(telemetry, upstream, request.method(), toolName, child, leaving);
  }

  /**
   * Records a plugin stage that ran from {@code fromNanos} to {@code toNanos} as a span of this
   * request, when it took longer than the threshold.
   */
  void pluginRan(String plugin, String kind, String decision, long fromNanos, long toNanos) {
    if (span == null || !span.isRecording() || toNanos - fromNanos <= telemetry.pluginSpanThresholdNanos) {
      return;
    }
    Span slow = telemetry.tracer.spanBuilder("gatekit.plugin " + plugin)
        .setSpanKind(SpanKind.INTERNAL)
        .setParent(context)
        .setStartTimestamp(Telemetry.Clock.epochNanosOf(fromNanos), TimeUnit.NANOSECONDS)
        .setAttribute(Telemetry.PLUGIN, plugin)
        .setAttribute(Telemetry.PLUGIN_KIND, kind)
        .setAttribute(Telemetry.DECISION, decision)
        .startSpan();
    slow.end(Telemetry.Clock.epochNanosOf(toNanos), TimeUnit.NANOSECONDS);
  }

  /**
   * Ends the request: its span's status and the count and duration of client requests.
   *
   * @param errorCode the JSON-RPC error code the client got, or 0 for a result
   */
  public void end(CallResult result, int errorCode) {
    long nanos = System.nanoTime() - startNanos;
    String toolName = tool;
    String upstreamName = upstream;
    if (telemetry.metrics) {
      Attributes all = telemetry.labels.attributes(method, direction, upstreamName, toolName, result, errorCode);
      telemetry.requests.add(1, all);
      telemetry.requestDuration.record(nanos / 1e9, all);
    }
    if (span != null) {
      if (span.isRecording()) { // else not sampled: nothing of this would be kept
        if (toolName != null) {
          span.updateName(telemetry.labels.spanName(method, toolName));
          span.setAttribute(Telemetry.TOOL, toolName);
        }
        if (upstreamName != null) {
          span.setAttribute(Telemetry.UPSTREAM, upstreamName);
        }
        span.setAttribute(Telemetry.OUTCOME, result.value());
        status(span, result, errorCode);
      }
      span.end(Telemetry.Clock.epochNanosOf(startNanos + nanos), TimeUnit.NANOSECONDS);
    }
  }

  /** Sets a span's status and error attributes from what its request came to. */
  static void status(Span span, CallResult result, int errorCode) {
    if (result == CallResult.OK) {
      return; // unset, as the conventions ask for a success
    }
    if (errorCode != 0) {
      String code = Integer.toString(errorCode);
      span.setAttribute(Telemetry.ERROR_TYPE, code);
      span.setAttribute(Telemetry.STATUS_CODE, code);
    } else {
      span.setAttribute(Telemetry.ERROR_TYPE, result.value());
    }
    span.setStatus(StatusCode.ERROR, result.value());
  }

  /** Returns the tool a {@code tools/call} names, or {@code null}. */
  private static @Nullable String toolOf(JsonRpcRequest request) {
    if (!McpMethods.TOOLS_CALL.equals(request.method()) || request.params() == null) {
      return null;
    }
    JsonNode name = request.params().get("name");
    return name != null && name.isTextual() ? name.asText() : null;
  }
}
