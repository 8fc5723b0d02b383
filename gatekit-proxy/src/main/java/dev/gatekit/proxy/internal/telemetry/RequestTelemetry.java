package dev.gatekit.proxy.internal.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.util.LinkedHashMap;
import java.util.Map;
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
  /** The last upstream call started, whose duration's attributes the count may reuse. */
  private volatile @Nullable UpstreamCall lastCall;
  /** The call {@link #relay} started, which {@link #end} ends; else null. */
  private volatile @Nullable UpstreamCall relayedCall;
  /** Whether the request went upstream as bytes ({@link #passedThrough}). */
  private volatile boolean passedThrough;
  /** The error code of the answer passed on as bytes; meaningful when {@link #passedError}. */
  private volatile int passedErrorCode;
  private volatile boolean passedError;

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
    return start(upstream, request, null);
  }

  /**
   * Starts the call of this request to {@code upstream} as bytes (the byte pass-through, where no
   * plugin runs), and returns the line to send: {@code relayed}'s, with the call's trace context in
   * its {@code _meta} when spans are made ({@link RelayedRequest#carrying}); as the client sent it
   * when not. With a span, {@link #end} ends the call too; call {@link #passedThrough} when the
   * answer comes. Call at most once, before {@link #end}.
   */
  public RelayedRequest.Line relay(String upstream, RelayedRequest relayed) {
    if (span == null) {
      return relayed.unchanged();
    }
    Map<String, String> fields = new LinkedHashMap<>(4);
    relayedCall = start(upstream, relayed.request(), fields);
    return relayed.carrying(fields);
  }

  /**
   * Starts a call: its span, a child of this request's, and the request it sends, which carries the
   * call's context — in a copy of {@code request} when {@code fields} is null, else put in {@code
   * fields} for the caller to send (and {@code request} left as it is).
   */
  private UpstreamCall start(String upstream, JsonRpcRequest request, @Nullable Map<String, String> fields) {
    String previous = this.upstream;
    this.upstream = previous == null || previous.equals(upstream) ? upstream : SEVERAL;
    String toolName = toolOf(request);
    if (toolName != null) {
      tool = toolName;
    }
    Span child = null;
    JsonRpcRequest leaving = request;
    long startNanos = System.nanoTime();
    if (span != null) {
      var builder = telemetry.tracer.spanBuilder(telemetry.labels.spanName(request.method(), toolName))
          .setSpanKind(SpanKind.CLIENT)
          .setParent(context)
          .setStartTimestamp(Telemetry.Clock.epochNanosOf(startNanos), TimeUnit.NANOSECONDS)
          .setAttribute(Telemetry.METHOD, request.method())
          .setAttribute(Telemetry.UPSTREAM, upstream);
      if (toolName != null) {
        builder.setAttribute(Telemetry.TOOL, toolName);
      }
      child = builder.startSpan();
      if (fields == null) {
        leaving = MetaCarrier.inject(telemetry.propagator, context.with(child), request);
      } else {
        MetaCarrier.fields(telemetry.propagator, context.with(child), fields);
      }
    }
    UpstreamCall call = new UpstreamCall(telemetry, upstream, request.method(), toolName, child, leaving, startNanos);
    lastCall = call;
    return call;
  }

  /**
   * Notes that this request went to {@code upstream} as bytes (the byte pass-through; with spans, its
   * call started by {@link #relay}) and came back as {@code line}, or failed ({@code null}). The answer's outcome
   * is read from the line, so that {@link #end} with {@link CallResult#OK} (all a byte pass-through
   * knows) records an upstream's error answer as {@code error} with its code; {@link #end} also records
   * the round trip to the upstream, which is the whole request's here. Call before {@link #end}.
   */
  public void passedThrough(String upstream, byte @Nullable [] line) {
    this.upstream = upstream;
    long code = line == null ? EncodedAnswer.RESULT : EncodedAnswer.errorCode(line);
    if (code != EncodedAnswer.RESULT) {
      passedErrorCode = (int) code;
      passedError = true;
    }
    passedThrough = true;
  }

  /**
   * Returns {@code request}, an upstream's request to the client this telemetry was begun for ({@link
   * Telemetry#beginFromUpstream}), as it goes to the client: a copy whose {@code _meta} carries this
   * request's trace context ({@code traceparent}, {@code tracestate}) in place of the upstream's, so
   * the client's work joins the gateway's trace; {@code request} itself when no span is made.
   */
  public JsonRpcRequest towardsClient(JsonRpcRequest request) {
    return span == null ? request : MetaCarrier.inject(telemetry.propagator, context, request);
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
   * @param given what the request came to ({@link CallResult#OK} for any answer passed on as bytes)
   * @param givenErrorCode the JSON-RPC error code the client got, or 0 for a result
   */
  public void end(CallResult given, int givenErrorCode) {
    long nanos = System.nanoTime() - startNanos;
    String toolName = tool;
    String upstreamName = upstream;
    boolean bytes = passedThrough;
    boolean answeredError = bytes && given == CallResult.OK && passedError;
    CallResult result = answeredError ? CallResult.ERROR : given;
    int errorCode = answeredError ? passedErrorCode : givenErrorCode;
    UpstreamCall relayed = relayedCall;
    if (relayed != null) { // the request itself was the call: same outcome (and its labels for the count)
      relayed.end(result, errorCode);
    }
    Attributes all = null;
    if (telemetry.metrics) {
      UpstreamCall last = lastCall;
      all = last != null && upstreamName != null && upstreamName.equals(last.upstream())
          && Telemetry.CLIENT_TO_UPSTREAM.equals(direction)
          ? last.sameLabels(method, toolName, result, errorCode) : null;
      if (all == null) {
        all = telemetry.labels.attributes(method, direction, upstreamName, toolName, result, errorCode);
      }
      // Context.root(): the measurements are not in a span's scope; spares the SDK a lookup of the current one.
      telemetry.requests.add(1, all, Context.root());
      double seconds = nanos / 1e9;
      telemetry.requestDuration.record(seconds, all, Context.root());
      if (bytes && relayed == null) { // the upstream call was the request itself: no UpstreamCall recorded it
        telemetry.upstreamDuration.record(seconds, all, Context.root());
      }
    }
    if (span != null) {
      if (span.isRecording()) { // else not sampled: nothing of this would be kept
        if (toolName != null) {
          span.updateName(telemetry.labels.spanName(method, toolName));
        }
        if (all == null && toolName != null) {
          span.setAttribute(Telemetry.TOOL, toolName);
        }
        if (all == null && upstreamName != null) {
          span.setAttribute(Telemetry.UPSTREAM, upstreamName);
        }
        outcome(span, all, result, errorCode);
      }
      span.end(Telemetry.Clock.epochNanosOf(startNanos + nanos), TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Sets a span's outcome, status and error attributes from what its request came to: from {@code
   * all}, the attributes of its metrics (the same, with tool and upstream: one call) when there are
   * some, else one by one.
   */
  static void outcome(Span span, @Nullable Attributes all, CallResult result, int errorCode) {
    if (all != null) {
      span.setAllAttributes(all);
      if (result != CallResult.OK) {
        span.setStatus(StatusCode.ERROR, result.value());
      }
      return;
    }
    span.setAttribute(Telemetry.OUTCOME, result.value());
    status(span, result, errorCode);
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
