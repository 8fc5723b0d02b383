package dev.gatekit.proxy.internal.telemetry;

import dev.gatekit.api.JsonRpcRequest;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One round trip of a client request to an upstream: its span (kind CLIENT) and, when it ends, the
 * duration of upstream round trips. {@link #request()} is the request to send: a copy whose
 * {@code _meta} carries this call's trace context, so the upstream's work joins the trace. One clock
 * reading starts both the span and the duration, one ends both. End it once.
 */
public final class UpstreamCall {

  private final Telemetry telemetry;
  private final String upstream;
  private final String method;
  private final @Nullable String tool;
  private final @Nullable Span span;
  private final JsonRpcRequest request;
  private final long startNanos;
  /** What {@link #end} recorded the duration under, for the request's own count to reuse; else null. */
  private volatile @Nullable Attributes ended;
  private volatile @Nullable CallResult endedResult;
  private volatile int endedErrorCode;

  UpstreamCall(Telemetry telemetry, String upstream, String method, @Nullable String tool, @Nullable Span span,
      JsonRpcRequest request, long startNanos) {
    this.telemetry = telemetry;
    this.upstream = upstream;
    this.method = method;
    this.tool = tool;
    this.span = span;
    this.request = request;
    this.startNanos = startNanos;
  }

  /** Returns the request to send upstream, carrying this call's trace context. */
  public JsonRpcRequest request() {
    return request;
  }

  /**
   * Ends the call.
   *
   * @param errorCode the JSON-RPC error code of the answer or of the failure, or 0 for a result
   */
  public void end(CallResult result, int errorCode) {
    long endNanos = System.nanoTime();
    Attributes all = null;
    if (telemetry.metrics) {
      all = telemetry.labels.attributes(method, Telemetry.CLIENT_TO_UPSTREAM, upstream, tool, result, errorCode);
      telemetry.upstreamDuration.record((endNanos - startNanos) / 1e9, all, Context.root());
      endedResult = result;
      endedErrorCode = errorCode;
      ended = all;
    }
    if (span != null) {
      if (span.isRecording()) {
        RequestTelemetry.outcome(span, all, result, errorCode);
      }
      span.end(Telemetry.Clock.epochNanosOf(endNanos), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Returns the attributes this call's duration was recorded under when they are also those of its
   * client request's count, which came to {@code result} and {@code errorCode} with this call as its
   * only one; else {@code null}.
   */
  @Nullable Attributes sameLabels(String requestMethod, @Nullable String requestTool, CallResult result, int errorCode) {
    Attributes all = ended;
    return all != null && endedResult == result && endedErrorCode == errorCode && method.equals(requestMethod)
        && Objects.equals(tool, requestTool) ? all : null;
  }

  String upstream() {
    return upstream;
  }
}
