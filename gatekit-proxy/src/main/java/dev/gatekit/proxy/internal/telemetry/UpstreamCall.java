package dev.gatekit.proxy.internal.telemetry;

import dev.gatekit.api.JsonRpcRequest;
import io.opentelemetry.api.trace.Span;
import org.jspecify.annotations.Nullable;

/**
 * One round trip of a client request to an upstream: its span (kind CLIENT) and, when it ends, the
 * duration of upstream round trips. {@link #request()} is the request to send: a copy whose
 * {@code _meta} carries this call's trace context, so the upstream's work joins the trace. End it
 * once.
 */
public final class UpstreamCall {

  private final Telemetry telemetry;
  private final String upstream;
  private final String method;
  private final @Nullable String tool;
  private final @Nullable Span span;
  private final JsonRpcRequest request;
  private final long startNanos = System.nanoTime();

  UpstreamCall(Telemetry telemetry, String upstream, String method, @Nullable String tool, @Nullable Span span,
      JsonRpcRequest request) {
    this.telemetry = telemetry;
    this.upstream = upstream;
    this.method = method;
    this.tool = tool;
    this.span = span;
    this.request = request;
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
    if (telemetry.metrics) {
      telemetry.upstreamDuration.record((System.nanoTime() - startNanos) / 1e9,
          telemetry.labels.attributes(method, Telemetry.CLIENT_TO_UPSTREAM, upstream, tool, result, errorCode));
    }
    if (span != null) {
      if (span.isRecording()) {
        span.setAttribute(Telemetry.OUTCOME, result.value());
        RequestTelemetry.status(span, result, errorCode);
      }
      span.end();
    }
  }
}
