package dev.gatekit.transport.http.internal;

import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.support.InFlightLimiter;
import dev.gatekit.api.support.TransportCounters;
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
 * The correlator of the HTTP transport: gives every request a wire id of its own, keeps it pending
 * until exactly one thing ends it — its answer, a failure of its HTTP exchange or of the session, its
 * timeout, its caller's cancellation, or a refusal by the in-flight limit — and completes the
 * caller's future with the caller's id restored.
 *
 * <p>Exactly-once is decided in one place: whoever removes the entry from {@link #pending} ends the
 * request; everyone else finds nothing and does nothing. An entry is registered before its POST
 * starts, so an answer can never arrive for an id that is not yet known. A request that ends while
 * its HTTP exchange runs has the exchange aborted. A request waiting in the limiter's queue is
 * pending too (its timeout runs); a small state machine per request makes sure its slot is released
 * exactly once however sending, queueing and ending race.
 *
 * <p>Callers' futures are completed on the callback executor, never on the thread that learnt the
 * outcome (the HTTP client's, the timer's).
 */
public final class PendingRequests {

  /** Starts HTTP exchanges and sends cancellations. */
  public interface Wire {
    /**
     * Starts the POST of a request that holds a slot. Never blocks and never throws; a failure
     * reaches the request through {@link PendingRequests#fail}.
     */
    void post(Pending request);

    /** Tells the upstream that it need not answer {@code wireId} any more. */
    void sendCancelled(long wireId, String reason);

    /**
     * Returns whether aborting the exchange of {@code request} is its cancellation, so that nothing
     * more is sent (as for a request of the stateless 2026 generation over HTTP).
     */
    default boolean cancelledByClosing(JsonRpcRequest request) {
      return false;
    }
  }

  private static final Logger log = LoggerFactory.getLogger(PendingRequests.class);

  private static final int QUEUED = 0;
  private static final int SENT = 1;
  private static final int DONE = 2;

  private final String upstream;
  private final TransportOptions options;
  private final Wire wire;
  private final ScheduledExecutorService timers;
  private final Executor callbacks;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final ConcurrentHashMap<Long, Pending> pending = new ConcurrentHashMap<>();
  private final AtomicLong nextWireId = new AtomicLong();
  private final InFlightLimiter limiter;
  private final TransportCounters counters = new TransportCounters();

  public PendingRequests(
      String upstream,
      TransportOptions options,
      Wire wire,
      ScheduledExecutorService timers,
      Executor callbacks) {
    this.upstream = upstream;
    this.options = options;
    this.wire = wire;
    this.timers = timers;
    this.callbacks = callbacks;
    this.limiter = new InFlightLimiter(options);
  }

  /**
   * Registers and sends (or queues) a request.
   *
   * @param stillOpen checked after registration; if it then returns a failure, the request ends with
   *     it — this closes the race with a session that ends while the request is being registered
   */
  public CompletableFuture<JsonRpcResponse> send(
      JsonRpcRequest request, Duration timeout, Supplier<@Nullable GatekitException> stillOpen) {
    long wireId = nextWireId.incrementAndGet();
    byte[] body = codec.encode(request.withId(RequestId.of(wireId)));
    Pending entry = new Pending(wireId, request, timeout, body);
    pending.put(wireId, entry);
    entry.timeoutTask = timers.schedule(() -> timeOut(wireId), saturatedNanos(timeout), TimeUnit.NANOSECONDS);
    if (entry.state.get() == DONE) {
      entry.cancelTimeout(); // ended before its timer existed
    }
    GatekitException closed = stillOpen.get();
    if (closed != null) {
      fail(wireId, closed);
      return entry.future;
    }
    InFlightLimiter.Admission admission = limiter.admit(entry);
    if (admission == InFlightLimiter.Admission.REJECTED) {
      Pending self = pending.remove(wireId);
      if (self != null) {
        self.state.set(DONE);
        self.cancelTimeout();
        counters.rejected.increment();
        self.future.completeExceptionallyDirect(new OverloadedException(options.overloadedMessage()));
      }
    } else if (admission == InFlightLimiter.Admission.QUEUED && entry.state.get() == DONE) {
      limiter.withdraw(entry); // ended between registration and queueing: free its place
    }
    return entry.future;
  }

  /** Returns the pending request with this wire id, or null when there is none (any more). */
  public @Nullable Pending get(long wireId) {
    return pending.get(wireId);
  }

  /**
   * Ends the request the response answers (the response carries the wire id); returns false, having
   * logged it, for a response to an unknown or ended request.
   */
  public boolean complete(JsonRpcResponse response) {
    if (!(response.id() instanceof RequestId.NumberId id)) {
      log.warn("Upstream '{}' sent a response with id {} that no request has; dropped", upstream, response.id());
      return false;
    }
    Pending entry = pending.remove(id.value());
    if (entry == null) {
      log.warn(
          "Upstream '{}' sent a response to id {}, which is not pending (unknown, duplicate, or already"
              + " timed out or cancelled); dropped",
          upstream,
          id.value());
      return false;
    }
    end(entry);
    counters.completed.increment();
    entry.future.deliver(response.withId(entry.request.id()));
    return true;
  }

  /** Fails one request, aborting its HTTP exchange; returns false if it was no longer pending. */
  public boolean fail(long wireId, GatekitException cause) {
    Pending entry = pending.remove(wireId);
    if (entry == null) {
      return false;
    }
    end(entry);
    entry.abortExchange();
    counters.failed.increment();
    entry.future.deliver(cause);
    return true;
  }

  /** Fails every pending and queued request with {@code cause}, at once. */
  public void failAll(GatekitException cause) {
    // Queued requests first: otherwise the slots that failing sent requests free would send them.
    limiter.drainQueue();
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

  /** Returns the counters, for the owner to count what it does itself (new sessions). */
  public TransportCounters counters() {
    return counters;
  }

  private void timeOut(long wireId) {
    Pending entry = pending.remove(wireId);
    if (entry == null) {
      return;
    }
    boolean wasSent = end(entry);
    entry.abortExchange();
    counters.timedOut.increment();
    RequestTimeoutException timeout = new RequestTimeoutException(entry.request.method(), entry.timeout);
    // MCP forbids cancelling initialize; every other request sent is cancelled upstream, before the
    // caller hears of the timeout.
    if (wasSent && !McpMethods.INITIALIZE.equals(entry.request.method()) && !wire.cancelledByClosing(entry.request)) {
      wire.sendCancelled(wireId, String.valueOf(timeout.getMessage()));
    }
    entry.future.deliver(timeout);
  }

  private void cancelledByCaller(Pending entry) {
    if (!pending.remove(entry.wireId, entry)) {
      return;
    }
    entry.cancelTimeout();
    boolean wasSent = end(entry);
    entry.abortExchange();
    counters.cancelled.increment();
    if (wasSent && !McpMethods.INITIALIZE.equals(entry.request.method()) && !wire.cancelledByClosing(entry.request)) {
      wire.sendCancelled(entry.wireId, "Cancelled by the client");
    }
  }

  /**
   * Releases the slot (or the place in the queue) of an ended request; called only by the thread
   * that removed the entry. Returns whether the request had been sent.
   */
  private boolean end(Pending entry) {
    int previous = entry.state.getAndSet(DONE);
    if (previous == SENT) {
      limiter.release();
      return true;
    }
    // Still queued: take it back. If the limiter already handed it a slot, start() sees DONE and
    // declines that slot.
    limiter.withdraw(entry);
    return false;
  }

  private void hand(Runnable completion) {
    try {
      callbacks.execute(completion);
    } catch (RuntimeException e) {
      log.warn("The callback executor refused a completion ({}); completing on this thread", e.toString());
      completion.run();
    }
  }

  private static long saturatedNanos(Duration timeout) {
    try {
      return timeout.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  /** One request from registration to its end. */
  public final class Pending implements InFlightLimiter.Action {
    final long wireId;
    final JsonRpcRequest request;
    final Duration timeout;
    final byte[] body;
    final AtomicInteger state = new AtomicInteger(QUEUED);
    final ResponseFuture future = new ResponseFuture(this);
    volatile @Nullable ScheduledFuture<?> timeoutTask;
    private volatile @Nullable Runnable abort;
    private volatile boolean answered;

    Pending(long wireId, JsonRpcRequest request, Duration timeout, byte[] body) {
      this.wireId = wireId;
      this.request = request;
      this.timeout = timeout;
      this.body = body;
    }

    /** The id this request has on the wire. */
    public long wireId() {
      return wireId;
    }

    /** The caller's request, with the caller's id. */
    public JsonRpcRequest request() {
      return request;
    }

    /** The request as sent: JSON with the wire id. */
    public byte[] body() {
      return body;
    }

    /** Returns whether the request has not ended yet. */
    public boolean isPending() {
      return state.get() != DONE;
    }

    /** Notes that its answer was read, so that the end of its stream does not fail it. */
    public void markAnswered() {
      answered = true;
    }

    /** Returns whether its answer was read (it may still wait for delivery). */
    public boolean isAnswered() {
      return answered;
    }

    /**
     * Sets what aborts the current HTTP exchange of this request; if the request has already ended,
     * runs it at once.
     */
    public void onAbort(Runnable value) {
      abort = value;
      if (state.get() == DONE) {
        abortExchange();
      }
    }

    void abortExchange() {
      Runnable current = abort;
      if (current != null) {
        abort = null;
        try {
          current.run();
        } catch (RuntimeException e) {
          log.debug("Aborting the exchange of request {} failed: {}", wireId, e.toString());
        }
      }
    }

    /** Starts the POST once the limiter grants a slot; declines it if the request ended meanwhile. */
    @Override
    public boolean start() {
      if (!state.compareAndSet(QUEUED, SENT)) {
        return false;
      }
      counters.sent.increment();
      wire.post(this);
      return true;
    }

    void cancelTimeout() {
      ScheduledFuture<?> task = timeoutTask;
      if (task != null) {
        task.cancel(false);
      }
    }
  }

  /**
   * The future handed to a caller: cancelling it (or completing it from outside, as {@code
   * orTimeout} does) ends the request, aborts its exchange and tells the upstream. Stages derived
   * from it are plain futures, so cancelling those affects only them.
   */
  private final class ResponseFuture extends CompletableFuture<JsonRpcResponse> {
    private final Pending entry;

    ResponseFuture(Pending entry) {
      this.entry = entry;
    }

    /** Completes with {@code outcome} (a response or a throwable) on the callback executor. */
    void deliver(Object outcome) {
      hand(
          () -> {
            entry.cancelTimeout();
            if (outcome instanceof Throwable error) {
              super.completeExceptionally(error);
            } else {
              super.complete((JsonRpcResponse) outcome);
            }
          });
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        cancelledByCaller(entry);
      }
      return cancelled;
    }

    @Override
    public boolean complete(JsonRpcResponse value) {
      boolean completed = super.complete(value);
      if (completed) {
        cancelledByCaller(entry);
      }
      return completed;
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
      boolean completed = super.completeExceptionally(ex);
      if (completed) {
        cancelledByCaller(entry);
      }
      return completed;
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
