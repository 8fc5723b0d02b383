package dev.gatekit.proxy.internal;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.ProxyStats;
import dev.gatekit.proxy.internal.chain.Outcome;
import dev.gatekit.proxy.internal.telemetry.CallResult;
import dev.gatekit.proxy.internal.telemetry.RequestTelemetry;
import dev.gatekit.proxy.internal.telemetry.Telemetry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * Per-call bookkeeping of one client session: which request ids are in flight (a client may not use
 * one twice at once), the answer to each going out exactly once under the client's id, and the
 * counters — kept so that the in-flight count returns to zero whatever happens. Thread-safe.
 */
final class ClientCalls {

  private final ClientConnection client;
  private final Telemetry telemetry;
  private final Map<RequestId, ClientCall> calls = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Answers counted out of {@link #inFlight} but not yet handed to the client. */
  private final AtomicInteger replying = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final LongAdder handled = new LongAdder();
  private final LongAdder blocked = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder notifications = new LongAdder();

  ClientCalls(ClientConnection client, Telemetry telemetry) {
    this.client = client;
    this.telemetry = telemetry;
  }

  /**
   * Starts a call, or answers at once and returns {@code null} when the client already has a request
   * in flight under the same id.
   */
  @Nullable ClientCall begin(JsonRpcRequest request) {
    ClientCall call = new ClientCall(request);
    if (calls.putIfAbsent(request.id(), call) != null) {
      reply(Outcome.failed(ErrorCodes.INVALID_REQUEST,
          "Invalid request: id " + request.id() + " is already in use by a request in flight"), request.id());
      return null;
    }
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    call.telemetry = telemetry.begin(request, call.startNanos);
    return call;
  }

  /** Ends a call: its answer goes to the client, unless the client cancelled it. Call once per call. */
  void finish(ClientCall call, Outcome outcome) {
    end(call, outcome, () -> reply(outcome, call.request.id()));
  }

  /**
   * Ends a call with an upstream's response passed on as it is: {@code line}, encoded, already under
   * the client's id (counted as handled, like any upstream answer). Call once per call, instead of
   * {@link #finish}.
   */
  void finishEncoded(ClientCall call, byte[] line) {
    end(call, null, () -> {
      handled.increment();
      client.sendEncoded(line);
    });
  }

  /**
   * Ends a call: {@code reply} runs unless the client cancelled it. {@code outcome} is null for a
   * response passed on as bytes: a successful upstream answer.
   */
  private void end(ClientCall call, @Nullable Outcome outcome, Runnable reply) {
    // Free the id and the in-flight count before the client can see the answer: a client may reuse
    // the id at once, and counters read after an answer must already include it.
    calls.remove(call.request.id(), call);
    replying.incrementAndGet();
    inFlight.decrementAndGet();
    try {
      RequestTelemetry observed = call.telemetry;
      if (observed != null) {
        boolean cancelledByClient = call.cancelled();
        observed.end(cancelledByClient ? CallResult.CANCELLED : outcome == null ? CallResult.OK : outcome.callResult(),
            cancelledByClient || outcome == null ? 0 : outcome.receivedErrorCode());
      }
      if (call.cancelled()) {
        cancelled.increment();
      } else {
        reply.run();
      }
    } finally {
      replying.decrementAndGet();
    }
  }

  /** Cancels the call in flight under {@code id}; returns false when there is none. */
  boolean cancel(RequestId id) {
    ClientCall call = calls.get(id);
    if (call == null) {
      return false;
    }
    call.cancel();
    return true;
  }

  /** Answers input that was not a valid message. */
  void replyMalformed(ProtocolException problem) {
    handled.increment();
    failed.increment();
    client.send(problem.toResponse());
  }

  /** Counts a notification passed in either direction. */
  void countNotification() {
    notifications.increment();
  }

  /** Returns whether every request taken so far has been answered and its answer handed over. */
  boolean isIdle() {
    return inFlight.get() == 0 && replying.get() == 0;
  }

  ProxyStats stats() {
    return new ProxyStats(inFlight.get(), maxInFlight.get(), handled.sum(), blocked.sum(), failed.sum(),
        cancelled.sum(), notifications.sum());
  }

  /**
   * Sends an answer and counts it: an error counts as blocked or failed only when the gateway made
   * it, not when it is an upstream's own error answer passed on.
   */
  private void reply(Outcome outcome, RequestId id) {
    handled.increment();
    AuditEvent.Outcome verdict = outcome.verdict();
    if (verdict == AuditEvent.Outcome.BLOCKED && outcome.errorCode() == ErrorCodes.SECURITY_VIOLATION) {
      blocked.increment();
    } else if (verdict == AuditEvent.Outcome.BLOCKED || verdict == AuditEvent.Outcome.FAILED
        || verdict == AuditEvent.Outcome.TIMED_OUT) {
      failed.increment();
    }
    JsonRpcResponse response = outcome.toResponse(id);
    client.send(response);
  }
}
