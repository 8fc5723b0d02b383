package dev.gatekit.transport.stdio.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.internal.InFlightLimiter;
import dev.gatekit.api.internal.TransportCounters;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The correlator: gives every outgoing request a wire id of its own, keeps it pending until exactly
 * one of five things ends it — its response, its timeout, its caller's cancellation, the death of the
 * connection, or a refusal by the in-flight limit — and completes the caller's future with the
 * caller's own id restored.
 *
 * <p>Exactly-once is decided in one place: whoever removes the entry from {@link #pending} ends the
 * request; everyone else finds nothing and does nothing. An entry is registered before its request is
 * written, so a response can never arrive for an id that is not yet known. A request waiting in the
 * limiter's queue is pending too (its timeout runs), and a small state machine per request
 * ({@link Exchange#state}) makes sure its slot is released exactly once however sending, queueing and
 * ending race.
 *
 * <p>Callers' futures are completed on the callback executor, never on the thread that reports the
 * outcome (the reader, the timeout scheduler), so callers' stages cannot stall the connection.
 */
public final class PendingRequests {

  /** Where requests and cancellations are written. */
  public interface Wire {
    /** Writes one encoded message; returns false if the connection can no longer write. */
    boolean write(byte[] message);
  }

  private static final Logger log = LoggerFactory.getLogger(PendingRequests.class);

  private static final int QUEUED = 0;
  private static final int SENT = 1;
  private static final int DONE = 2;

  private final String upstream;
  private final TransportOptions options;
  private final Wire wire;
  private final ScheduledExecutorService scheduler;
  private final Executor callbacks;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final ConcurrentHashMap<Long, Exchange> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextWireId = new AtomicLong();
  private final InFlightLimiter limiter;
  private final TransportCounters counters = new TransportCounters();

  public PendingRequests(
      String upstream,
      TransportOptions options,
      Wire wire,
      ScheduledExecutorService scheduler,
      Executor callbacks) {
    this.upstream = upstream;
    this.options = options;
    this.wire = wire;
    this.scheduler = scheduler;
    this.callbacks = callbacks;
    this.limiter = new InFlightLimiter(options);
  }

  /**
   * Registers and sends (or queues) a request.
   *
   * @param stillOpen checked after registration; if it then returns a failure, the request ends with
   *     it — this closes the race with a connection that dies while the request is being registered
   */
  public CompletableFuture<JsonRpcResponse> send(
      JsonRpcRequest request, Duration timeout, Supplier<@Nullable GatekitException> stillOpen) {
    long wireId = nextWireId.incrementAndGet();
    byte[] encoded = codec.encode(request.withId(RequestId.of(wireId)));
    Exchange exchange = new Exchange(wireId, request, timeout, encoded);
    pending.put(wireId, exchange);
    exchange.timeoutTask =
        scheduler.schedule(() -> timeOut(wireId), timeout.toNanos(), TimeUnit.NANOSECONDS);
    GatekitException closed = stillOpen.get();
    if (closed != null) {
      fail(wireId, closed);
      return exchange.future;
    }
    InFlightLimiter.Admission admission = limiter.admit(exchange);
    if (admission == InFlightLimiter.Admission.REJECTED) {
      Exchange self = pending.remove(wireId);
      if (self != null) {
        self.state.set(DONE);
        self.cancelTimeout();
        counters.rejected.increment();
        self.future.completeExceptionallyDirect(new OverloadedException(options.overloadedMessage()));
      }
    }
    return exchange.future;
  }

  /** Ends the request the response answers; logs and drops a response to an unknown or ended request. */
  public void complete(JsonRpcResponse response) {
    if (!(response.id() instanceof RequestId.NumberId id)) {
      log.warn("Upstream '{}' sent a response with id {} that no request has; dropped", upstream, response.id());
      return;
    }
    Exchange exchange = pending.remove(id.value());
    if (exchange == null) {
      log.warn(
          "Upstream '{}' sent a response to id {}, which is not pending (unknown, duplicate, or already"
              + " timed out or cancelled); dropped",
          upstream,
          id.value());
      return;
    }
    end(exchange);
    counters.completed.increment();
    JsonRpcResponse answer = response.withId(exchange.request.id());
    callbacks.execute(() -> exchange.future.completeDirect(answer));
  }

  /** Fails every pending and queued request with {@code cause}, at once. */
  public void failAll(GatekitException cause) {
    for (Long wireId : pending.keySet()) {
      fail(wireId, cause);
    }
  }

  /** Returns the number of requests pending (sent or queued). */
  public int size() {
    return pending.size();
  }

  /** Returns a snapshot of the counters. */
  public TransportStats stats() {
    return counters.snapshot(limiter);
  }

  /** Returns the counters, for the owner to count what it does itself (restarts). */
  public TransportCounters counters() {
    return counters;
  }

  private void fail(long wireId, GatekitException cause) {
    Exchange exchange = pending.remove(wireId);
    if (exchange != null) {
      end(exchange);
      counters.failed.increment();
      callbacks.execute(() -> exchange.future.completeExceptionallyDirect(cause));
    }
  }

  private void timeOut(long wireId) {
    Exchange exchange = pending.remove(wireId);
    if (exchange == null) {
      return;
    }
    boolean wasSent = end(exchange);
    counters.timedOut.increment();
    RequestTimeoutException timeout =
        new RequestTimeoutException(exchange.request.method(), exchange.timeout);
    if (wasSent) {
      sendCancelled(wireId, timeout.getMessage());
    }
    callbacks.execute(() -> exchange.future.completeExceptionallyDirect(timeout));
  }

  private void cancelledByCaller(Exchange exchange) {
    if (!pending.remove(exchange.wireId, exchange)) {
      return;
    }
    boolean wasSent = end(exchange);
    counters.cancelled.increment();
    if (wasSent) {
      sendCancelled(exchange.wireId, "Cancelled by the client");
    }
  }

  /**
   * Releases what an ended request holds: its timeout and its slot (or its place in the queue).
   * Called only by the thread that removed the entry. Returns whether the request had been sent.
   */
  private boolean end(Exchange exchange) {
    exchange.cancelTimeout();
    int previous = exchange.state.getAndSet(DONE);
    if (previous == SENT) {
      limiter.release();
      return true;
    }
    // Still queued: take it back. If the limiter already handed it a slot, Exchange.run() sees DONE
    // and releases that slot itself.
    limiter.withdraw(exchange);
    return false;
  }

  private void sendCancelled(long wireId, @Nullable String reason) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("requestId", wireId);
    params.put("reason", reason);
    wire.write(codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params)));
  }

  /** One request from registration to its end; runs as the limiter's send action. */
  private final class Exchange implements Runnable {
    final long wireId;
    final JsonRpcRequest request;
    final Duration timeout;
    final byte[] encoded;
    final AtomicInteger state = new AtomicInteger(QUEUED);
    final ResponseFuture future = new ResponseFuture(this);
    volatile @Nullable ScheduledFuture<?> timeoutTask;

    Exchange(long wireId, JsonRpcRequest request, Duration timeout, byte[] encoded) {
      this.wireId = wireId;
      this.request = request;
      this.timeout = timeout;
      this.encoded = encoded;
    }

    /** Sends the request once the limiter grants it a slot. */
    @Override
    public void run() {
      if (!state.compareAndSet(QUEUED, SENT)) {
        limiter.release(); // ended while queued; give the slot back
        return;
      }
      counters.sent.increment();
      if (!wire.write(encoded)) {
        fail(wireId, new TransportClosedException("Upstream '" + upstream + "' is not connected"));
      }
    }

    void cancelTimeout() {
      ScheduledFuture<?> task = timeoutTask;
      if (task != null) {
        task.cancel(false);
      }
    }
  }

  /**
   * The future handed to a caller: cancelling it ends the request and tells the upstream. Stages
   * derived from it are plain futures, so cancelling those affects only them.
   */
  private final class ResponseFuture extends CompletableFuture<JsonRpcResponse> {
    private final Exchange exchange;

    ResponseFuture(Exchange exchange) {
      this.exchange = exchange;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        cancelledByCaller(exchange);
      }
      return cancelled;
    }

    void completeDirect(JsonRpcResponse value) {
      super.complete(value);
    }

    void completeExceptionallyDirect(Throwable ex) {
      super.completeExceptionally(ex);
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new CompletableFuture<>();
    }
  }
}
