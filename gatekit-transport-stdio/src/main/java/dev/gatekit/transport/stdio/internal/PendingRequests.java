package dev.gatekit.transport.stdio.internal;

import dev.gatekit.api.support.MessageWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.support.InFlightLimiter;
import dev.gatekit.api.support.TransportCounters;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
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
 * limiter's queue is pending too (its timeout runs; once its deadline has passed it is never
 * written, even if a slot frees before its timer has run), and a small state machine per request
 * ({@link Exchange#state}) makes sure its slot is released exactly once however sending, queueing and
 * ending race.
 *
 * <p>Callers' futures are completed on the callback executor, never on the thread that reports the
 * outcome (the reader, the timeout scheduler), so callers' stages cannot stall the connection — except
 * those of requests sent as lines ({@link #sendLine}), whose callers promise quick stages that never
 * block, and which are completed on the thread that learns the outcome.
 */
public final class PendingRequests {

  /** Where requests and cancellations are written. */
  public interface Wire {
    /** Writes one encoded message; returns false if the connection can no longer write. */
    boolean write(byte[] message);

    /**
     * Writes a request that wants to learn where it was written, so that its response can tell the
     * writer the upstream has read it; by default, as any message.
     */
    default boolean write(MessageWriter.Outgoing request) {
      return write(request.bytes());
    }
  }

  private static final Logger log = LoggerFactory.getLogger(PendingRequests.class);

  /** How long a caller blocked on its answer spins before it parks. */
  private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  /** Callers allowed to spin at once: one per core but one, none on a single core. */
  private static final int MAX_SPINNERS = Runtime.getRuntime().availableProcessors() - 1;

  private static final AtomicInteger SPINNERS = new AtomicInteger();

  private static final int QUEUED = 0;
  private static final int SENT = 1;
  private static final int DONE = 2;

  private final String upstream;
  private final TransportOptions options;
  private final Wire wire;
  private final Supplier<@Nullable GatekitException> unavailable;
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
      Supplier<@Nullable GatekitException> unavailable,
      ScheduledExecutorService scheduler,
      Executor callbacks) {
    this.upstream = upstream;
    this.options = options;
    this.wire = wire;
    this.unavailable = unavailable;
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
    long timeoutNanos = saturatedNanos(timeout);
    long wireId = nextWireId.incrementAndGet();
    byte[] encoded = codec.encode(request.withId(RequestId.of(wireId)));
    @SuppressWarnings("unchecked")
    CompletableFuture<JsonRpcResponse> future = (CompletableFuture<JsonRpcResponse>)
        register(new Exchange(wireId, request, timeout, timeoutNanos, encoded, null), stillOpen);
    return future;
  }

  private CompletableFuture<?> register(Exchange exchange, Supplier<@Nullable GatekitException> stillOpen) {
    long wireId = exchange.wireId;
    long timeoutNanos = exchange.timeoutNanos;
    pending.put(wireId, exchange);
    exchange.timeoutTask =
        scheduler.schedule(() -> timeOut(wireId), timeoutNanos, TimeUnit.NANOSECONDS);
    if (exchange.state.get() == DONE) {
      exchange.cancelTimeout(); // ended (connection died) before its timer existed
    }
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
    } else if (admission == InFlightLimiter.Admission.QUEUED && exchange.state.get() == DONE) {
      limiter.withdraw(exchange); // ended between registration and queueing: free its place
    }
    return exchange.future;
  }

  /**
   * Registers and sends (or queues) a request given as its encoded line, its id replaced by the wire
   * id: the pass-through of a relay. Its answer is the response line with the caller's id bytes put
   * back, completed on the thread that learns the outcome (the reader, the timeout scheduler, the
   * thread that fails the connection), with no hand-off: its stages must be quick and never block.
   *
   * @param request the request's id and method (its params are not used)
   * @param line the line, {@code line[idStart, idEnd)} being the bytes of its id's value
   */
  public CompletableFuture<byte[]> sendLine(JsonRpcRequest request, byte[] line, int offset, int length,
      int idStart, int idEnd, Duration timeout, Supplier<@Nullable GatekitException> stillOpen) {
    long wireId = nextWireId.incrementAndGet();
    byte[] wireIdBytes = Long.toString(wireId).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] encoded = splice(line, offset, length, idStart, idEnd, wireIdBytes, 0, wireIdBytes.length);
    byte[] clientId = java.util.Arrays.copyOfRange(line, idStart, idEnd);
    Exchange exchange = new Exchange(wireId, request, timeout, saturatedNanos(timeout), encoded, clientId);
    @SuppressWarnings("unchecked")
    CompletableFuture<byte[]> future = (CompletableFuture<byte[]>) register(exchange, stillOpen);
    return future;
  }

  /**
   * Returns the caller's id of the {@code subscriptions/listen} pending under {@code wireId}, or
   * null when no listen is (for {@link dev.gatekit.api.support.ListenIds}).
   */
  public @Nullable RequestId callerOfListen(long wireId) {
    Exchange exchange = pending.get(wireId);
    return exchange != null && McpMethods.SUBSCRIPTIONS_LISTEN.equals(exchange.request.method())
        ? exchange.request.id()
        : null;
  }

  /** Ends the request the response answers; logs and drops a response to an unknown or ended request. */
  public void complete(JsonRpcResponse response) {
    Exchange exchange = answered(response.id());
    if (exchange != null) {
      counters.completed.increment();
      JsonRpcResponse answer = response.withId(exchange.request.id());
      exchange.future.deliver(exchange.clientId == null ? answer : codec.encode(answer));
    }
  }

  /**
   * Ends the request sent by {@link #sendLine} that a successful response line answers, with that
   * line under the caller's id, on this thread. Returns false, having done nothing, when no such
   * request is pending under {@code wireId} (the line is then to be decoded and given to {@link
   * #complete}, which also logs unknown ids).
   *
   * @param idStart where the bytes of the line's id begin; {@code idEnd} just past them
   */
  public boolean completeLine(long wireId, byte[] buffer, int offset, int length, int idStart, int idEnd) {
    Exchange known = pending.get(wireId);
    if (known == null || known.clientId == null) {
      return false;
    }
    Exchange exchange = answered(RequestId.of(wireId));
    if (exchange != null) { // null: ended meanwhile (timed out, cancelled), and logged
      counters.completed.increment();
      byte[] clientId = java.util.Objects.requireNonNull(exchange.clientId);
      exchange.future.deliver(splice(buffer, offset, length, idStart, idEnd, clientId, 0, clientId.length));
    }
    return true;
  }

  /** Returns {@code line[offset, offset + length)} with {@code [idStart, idEnd)} replaced by {@code id[from, to)}. */
  private static byte[] splice(byte[] line, int offset, int length, int idStart, int idEnd,
      byte[] id, int from, int to) {
    int idLength = to - from;
    byte[] out = new byte[length - (idEnd - idStart) + idLength];
    int head = idStart - offset;
    System.arraycopy(line, offset, out, 0, head);
    System.arraycopy(id, from, out, head, idLength);
    System.arraycopy(line, idEnd, out, head + idLength, offset + length - idEnd);
    return out;
  }

  /**
   * Fails the request that an invalid response names, at once, with a {@link ProtocolException} of
   * code {@link ErrorCodes#INTERNAL_ERROR} ("Upstream 'x' sent an invalid response: " and {@code
   * reason}, which must not quote the upstream); logs and drops it if no such request is pending.
   */
  public void failInvalidResponse(RequestId id, String reason) {
    Exchange exchange = answered(id);
    if (exchange != null) {
      counters.failed.increment();
      exchange.future.deliver(
          new ProtocolException(
              ErrorCodes.INTERNAL_ERROR,
              "Upstream '" + upstream + "' sent an invalid response: " + reason,
              exchange.request.id(),
              false,
              null));
    }
  }

  /**
   * Takes the request a response names off the books and frees its slot — before its caller hears
   * back, so that a caller sending again at once finds the slot; or logs and returns null when no
   * such request is pending.
   */
  private @Nullable Exchange answered(@Nullable RequestId responseId) {
    if (!(responseId instanceof RequestId.NumberId id)) {
      counters.dropped.increment();
      log.warn("Upstream '{}' sent a response with id {} that no request has; dropped", upstream, responseId);
      return null;
    }
    Exchange exchange = pending.remove(id.value());
    if (exchange == null) {
      counters.dropped.increment();
      log.warn(
          "Upstream '{}' sent a response to id {}, which is not pending (unknown, duplicate, or already"
              + " timed out or cancelled); dropped",
          upstream,
          id.value());
      return null;
    }
    exchange.acknowledge();
    end(exchange);
    return exchange;
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

  /** Returns the counters, for the owner to count what it does itself (restarts). */
  public TransportCounters counters() {
    return counters;
  }

  private void fail(long wireId, GatekitException cause) {
    Exchange exchange = pending.remove(wireId);
    if (exchange != null) {
      end(exchange);
      counters.failed.increment();
      exchange.future.deliver(cause);
    }
  }

  /**
   * Hands a completion to the callback executor; should the executor refuse (it was shut down), the
   * completion runs here rather than never. Should it fail with an {@link Error}, the completion
   * runs here too, and the error goes on up: on the reader, it ends the connection.
   */
  private void hand(Runnable completion) {
    try {
      callbacks.execute(completion);
    } catch (RuntimeException e) {
      log.warn("The callback executor refused a completion ({}); completing on this thread", e.toString());
      completion.run();
    } catch (Error e) {
      try {
        completion.run();
      } catch (RuntimeException | Error suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private static long saturatedNanos(Duration timeout) {
    try {
      return timeout.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE;
    }
  }

  private void timeOut(long wireId) {
    Exchange exchange = pending.remove(wireId);
    if (exchange == null) {
      return;
    }
    boolean wasSent = end(exchange);
    counters.timedOut.increment();
    RequestTimeoutException timeout = exchange.timeoutException();
    // MCP forbids cancelling initialize; every other request sent is cancelled upstream, before
    // the caller hears of the timeout.
    if (wasSent && !McpMethods.INITIALIZE.equals(exchange.request.method())) {
      sendCancelled(wireId, timeout.getMessage());
    }
    exchange.future.deliver(timeout);
  }

  private void cancelledByCaller(Exchange exchange) {
    if (!pending.remove(exchange.wireId, exchange)) {
      return;
    }
    exchange.cancelTimeout();
    boolean wasSent = end(exchange);
    counters.cancelled.increment();
    if (wasSent && !McpMethods.INITIALIZE.equals(exchange.request.method())) {
      sendCancelled(exchange.wireId, "Cancelled by the client");
    }
  }

  /**
   * Releases the slot (or the place in the queue) of an ended request. Called only by the thread
   * that removed the entry; its timer is cancelled by whoever completes the caller's future, off
   * the reader thread. Returns whether the request had been sent.
   */
  private boolean end(Exchange exchange) {
    int previous = exchange.state.getAndSet(DONE);
    if (previous == SENT) {
      limiter.release();
      return true;
    }
    // Still queued: take it back. If the limiter already handed it a slot, Exchange.start() sees
    // DONE and declines that slot.
    limiter.withdraw(exchange);
    return false;
  }

  private void sendCancelled(long wireId, @Nullable String reason) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("requestId", wireId);
    params.put("reason", reason);
    wire.write(codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params)));
  }

  /**
   * One request from registration to its end; the limiter starts it when it has a slot, and the
   * writer tells it where its bytes ended, so that its response can report them read.
   */
  private final class Exchange implements InFlightLimiter.Action, MessageWriter.Outgoing {
    final long wireId;
    final JsonRpcRequest request;
    final Duration timeout;
    final long registeredAt;
    final long timeoutNanos;
    final byte[] encoded;
    /** The bytes of the caller's id, for a request sent as a line ({@link #sendLine}); else null. */
    final byte @Nullable [] clientId;
    final AtomicInteger state = new AtomicInteger(QUEUED);
    final ResponseFuture<?> future;
    volatile @Nullable ScheduledFuture<?> timeoutTask;
    private long endOffset;
    private volatile @Nullable MessageWriter writtenBy;

    Exchange(long wireId, JsonRpcRequest request, Duration timeout, long timeoutNanos, byte[] encoded,
        byte @Nullable [] clientId) {
      this.wireId = wireId;
      this.request = request;
      this.timeout = timeout;
      this.registeredAt = System.nanoTime();
      this.timeoutNanos = timeoutNanos;
      this.encoded = encoded;
      this.clientId = clientId;
      this.future = new ResponseFuture<>(this, clientId != null);
    }

    /**
     * Sends the request once the limiter grants it a slot. Declines the slot if the request ended
     * while it waited, if its deadline passed while it waited (it then times out here, unsent,
     * whether or not its timer has run yet: the timer thread may be busy with the very timeouts
     * that freed this slot), or if it cannot be written (it then ends here, failed).
     */
    @Override
    public boolean start() {
      if (System.nanoTime() - registeredAt >= timeoutNanos) {
        if (state.compareAndSet(QUEUED, DONE) && pending.remove(wireId, this)) {
          cancelTimeout();
          counters.timedOut.increment();
          future.deliver(timeoutException());
        }
        return false;
      }
      if (!state.compareAndSet(QUEUED, SENT)) {
        return false;
      }
      counters.sent.increment();
      if (wire.write(this)) {
        return true;
      }
      if (!pending.remove(wireId, this)) {
        return true; // someone else ended it meanwhile and releases the slot
      }
      state.set(DONE);
      cancelTimeout();
      counters.failed.increment();
      GatekitException why = unavailable.get();
      GatekitException cause =
          why != null ? why : new TransportClosedException("Upstream '" + upstream + "' is not connected");
      future.deliver(cause);
      return false;
    }

    @Override
    public byte[] bytes() {
      return encoded;
    }

    @Override
    public void written(MessageWriter writer, long end) {
      endOffset = end;
      writtenBy = writer; // published after endOffset
    }

    /** Tells the writer the upstream has read this request (it answered), and all written before it. */
    void acknowledge() {
      MessageWriter writer = writtenBy;
      if (writer != null) {
        writer.consumedThrough(endOffset);
      }
    }

    RequestTimeoutException timeoutException() {
      return new RequestTimeoutException(request.method(), timeout);
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
   *
   * <p>The outcome reaches it through {@link #deliver}: normally on the callback executor, which
   * completes it and runs its stages. But when a caller is blocked in {@code join()} or {@code
   * get()}, the outcome is handed to that caller, which completes the future on its own thread — one
   * thread wake-up instead of two for a caller that simply waits; and that caller spins for a few
   * tens of microseconds before it parks, so that a quick answer finds it awake. Either way no stage ever runs on
   * the thread that learnt the outcome (the reader, the timeout scheduler). One blocked caller is
   * served so; others wait the ordinary way.
   */
  private final class ResponseFuture<T> extends CompletableFuture<T> {
    private final Exchange exchange;
    /** Whether outcomes complete it on the thread that learns them (a request sent as a line). */
    private final boolean inline;

    /** Null, the {@code Thread} blocked waiting, or the outcome handed to it. */
    private final AtomicReference<@Nullable Object> waiter = new AtomicReference<>();

    ResponseFuture(Exchange exchange, boolean inline) {
      this.exchange = exchange;
      this.inline = inline;
    }

    /**
     * Completes with {@code outcome} (an answer or a throwable): off the calling thread, or, for a
     * request sent as a line, on it.
     */
    void deliver(Object outcome) {
      Object current = waiter.get();
      if (current instanceof Thread thread && waiter.compareAndSet(thread, outcome)) {
        LockSupport.unpark(thread);
        return;
      }
      if (inline) {
        settle(outcome);
      } else {
        hand(() -> settle(outcome));
      }
    }

    @SuppressWarnings("unchecked")
    private void settle(Object outcome) {
      exchange.cancelTimeout();
      if (outcome instanceof Throwable error) {
        super.completeExceptionally(error);
      } else {
        super.complete((T) outcome);
      }
    }

    @Override
    public T join() {
      try {
        awaitAsDirectWaiter(0, false);
      } catch (InterruptedException notThrownWhenUninterruptible) {
        throw new AssertionError(notThrownWhenUninterruptible);
      }
      return super.join();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
      awaitAsDirectWaiter(0, true);
      return super.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      long nanos = unit.toNanos(timeout);
      if (nanos <= 0 || !awaitAsDirectWaiter(nanos, true)) {
        return super.get(timeout, unit);
      }
      return super.get(0, TimeUnit.NANOSECONDS); // done, or our wait ran out
    }

    /**
     * Blocks as the direct waiter until the future is done or {@code timeoutNanos} (0: none) pass;
     * settles an outcome handed over meanwhile, on this thread. Returns false at once, having waited
     * for nothing, if the future is done or another thread is the direct waiter. With {@code
     * interruptible}, an interrupt ends the wait with InterruptedException; otherwise it is kept for
     * later.
     */
    private boolean awaitAsDirectWaiter(long timeoutNanos, boolean interruptible)
        throws InterruptedException {
      Thread me = Thread.currentThread();
      if (isDone() || !waiter.compareAndSet(null, me)) {
        return false;
      }
      // Any other completion (timeout, cancellation, completion from outside) wakes us too.
      whenComplete((response, error) -> LockSupport.unpark(me));
      long deadline = timeoutNanos == 0 ? 0 : System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4);
      boolean interrupted = false;
      try {
        spinBriefly(me);
        while (waiter.get() == me && !isDone()) {
          if (deadline == 0) {
            LockSupport.park(this);
          } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              break;
            }
            LockSupport.parkNanos(this, left);
          }
          if (Thread.interrupted()) {
            interrupted = true;
            if (interruptible) {
              break;
            }
          }
        }
      } finally {
        // Leave; an outcome handed over meanwhile is settled here, so it is never lost.
        if (!waiter.compareAndSet(me, null)) {
          Object outcome = waiter.getAndSet(null);
          if (outcome != null && outcome != me) {
            settle(outcome);
          }
        }
        if (interrupted && !interruptible) {
          me.interrupt();
        }
      }
      if (interrupted && interruptible) {
        throw new InterruptedException();
      }
      return true;
    }

    /**
     * Spins for up to {@link #SPIN_NANOS} before the caller parks, when a core is free for it: an
     * answer that comes within a pipe round trip then reaches a caller that is still running, instead
     * of one whose core has gone idle (waking that costs tens of microseconds on a virtual machine).
     * At most one spinner per core but one, so the reader always has a core.
     */
    private void spinBriefly(Thread me) {
      int spinning = SPINNERS.get();
      if (spinning >= MAX_SPINNERS || !SPINNERS.compareAndSet(spinning, spinning + 1)) {
        return;
      }
      try {
        long until = System.nanoTime() + SPIN_NANOS;
        while (waiter.get() == me && !isDone() && System.nanoTime() - until < 0) {
          Thread.onSpinWait();
        }
      } finally {
        SPINNERS.decrementAndGet();
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        cancelledByCaller(exchange);
      }
      return cancelled;
    }

    /** Completing it from outside (as {@code orTimeout} does) abandons the request like a cancel. */
    @Override
    public boolean complete(T value) {
      boolean completed = super.complete(value);
      if (completed) {
        cancelledByCaller(exchange);
      }
      return completed;
    }

    /** Completing it from outside (as {@code orTimeout} does) abandons the request like a cancel. */
    @Override
    public boolean completeExceptionally(Throwable ex) {
      boolean completed = super.completeExceptionally(ex);
      if (completed) {
        cancelledByCaller(exchange);
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
