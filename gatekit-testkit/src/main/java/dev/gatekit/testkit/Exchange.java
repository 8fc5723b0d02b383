package dev.gatekit.testkit;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.support.InFlightLimiter;
import dev.gatekit.api.JsonRpcResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * One request from {@code sendAndReceive} to its end, and the future its caller holds.
 *
 * <p>Its {@link Phase} is the single gate of its life: whoever moves it to {@link Phase#ENDED} first
 * (the answer, the timeout, the caller's cancellation, a disconnect or close) owns the outcome and
 * does the bookkeeping; everyone else backs off. Thread-safe.
 */
final class Exchange extends CompletableFuture<JsonRpcResponse> {

  /** Where a request is in its life. */
  enum Phase {
    /** Accepted, not yet sent upstream (waiting for a slot, or about to take one). */
    WAITING,
    /** Sent upstream; holds an in-flight slot. */
    SENT,
    /** Over; its outcome belongs to whoever ended it. */
    ENDED
  }

  private final JsonRpcRequest request;
  private final Duration latency;
  private final Duration timeout;
  private final InFlightLimiter.Action send;
  private final Predicate<Exchange> cancellation;
  private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.WAITING);
  private volatile @Nullable Future<?> timer;

  /**
   * @param sender sends the exchange upstream once it has a slot
   * @param cancellation ends the exchange for its caller; returns false if it had already ended
   */
  Exchange(
      JsonRpcRequest request,
      Duration latency,
      Duration timeout,
      Predicate<Exchange> sender,
      Predicate<Exchange> cancellation) {
    this.request = request;
    this.latency = latency;
    this.timeout = timeout;
    this.send = () -> sender.test(this);
    this.cancellation = cancellation;
  }

  JsonRpcRequest request() {
    return request;
  }

  Duration latency() {
    return latency;
  }

  Duration timeout() {
    return timeout;
  }

  /** The action given to the in-flight limiter; the same instance every time, so it can be withdrawn. */
  InFlightLimiter.Action send() {
    return send;
  }

  /** Moves WAITING to SENT; returns false if the exchange ended before it got its slot. */
  boolean markSent() {
    return phase.compareAndSet(Phase.WAITING, Phase.SENT);
  }

  /**
   * Ends the exchange and cancels its timer. Returns the phase it was in: {@link Phase#ENDED} means
   * someone else ended it first and the caller must leave it alone.
   */
  Phase end() {
    Phase before = phase.getAndSet(Phase.ENDED);
    if (before != Phase.ENDED) {
      cancelTimer();
    }
    return before;
  }

  /** Attaches the timeout's timer; cancels it at once if the exchange has already ended. */
  void setTimer(Future<?> newTimer) {
    timer = newTimer;
    if (phase.get() == Phase.ENDED) {
      cancelTimer();
    }
  }

  private void cancelTimer() {
    Future<?> current = timer;
    if (current != null) {
      current.cancel(false);
    }
  }

  /**
   * Cancels the request if it has not ended yet. Returns false without cancelling when its outcome is
   * already decided (the answer is on its way), as {@link java.util.concurrent.Future#cancel} allows.
   */
  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    if (cancellation.test(this)) {
      return super.cancel(mayInterruptIfRunning);
    }
    return isCancelled();
  }
}
