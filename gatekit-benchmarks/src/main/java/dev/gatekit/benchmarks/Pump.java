package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * Keeps a fixed number of requests in flight for as long as it runs: every completion sends the
 * next request at once, from the thread that completed it, so the window never drains between
 * benchmark invocations. The benchmark thread only waits, in {@link #awaitCompletions}, for a
 * number of further completions. Both clients under test are driven by this same class, so the
 * driving costs the same for each.
 */
abstract class Pump {

  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final int window;
  private final AtomicLong completed = new AtomicLong();
  private final AtomicInteger outstanding = new AtomicInteger();
  private volatile @Nullable Thread waiter;
  private volatile long target = Long.MAX_VALUE;
  private volatile boolean running;
  private volatile @Nullable Throwable failure;

  /** A pump that keeps {@code window} requests in flight. */
  Pump(int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be positive, was " + window);
    }
    this.window = window;
  }

  /**
   * A pump of {@code request} through {@code caller}. A failed request, or an answer that is a
   * JSON-RPC error, fails the pump.
   */
  static Pump of(Caller caller, JsonRpcRequest request, int window) {
    return new Pump(window) {
      @Override
      protected void send() {
        caller
            .call(request)
            .whenComplete(
                (response, error) ->
                    completed(
                        error != null
                            ? error
                            : response.isError()
                                ? new IllegalStateException("error response: " + response)
                                : null));
      }
    };
  }

  /**
   * Sends one request. The implementation calls {@link #completed} exactly once when it ends, from
   * any thread; it must not block.
   */
  protected abstract void send();

  /** Fills the window. */
  final void start() {
    running = true;
    for (int i = 0; i < window; i++) {
      outstanding.incrementAndGet();
      sendSafely();
    }
  }

  /** Reports the end of one request: {@code error} is null when it succeeded. */
  protected final void completed(@Nullable Throwable error) {
    if (error != null && failure == null) {
      failure = error;
    }
    long count = completed.incrementAndGet();
    if (count == target || error != null) {
      wake();
    }
    if (running && failure == null) {
      sendSafely();
    } else if (outstanding.decrementAndGet() == 0) {
      wake();
    }
  }

  /** Waits until {@code count} more requests have completed; throws if any failed. */
  final void awaitCompletions(long count) {
    waiter = Thread.currentThread();
    long goal = completed.get() + count;
    target = goal;
    while (completed.get() < goal) {
      checkFailure();
      LockSupport.parkNanos(this, POLL_NANOS);
    }
    checkFailure();
  }

  /** Returns how many requests have completed so far. */
  final long completedCount() {
    return completed.get();
  }

  /** Stops sending and waits until nothing is in flight. */
  final void stop() {
    waiter = Thread.currentThread();
    running = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (outstanding.get() > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(outstanding.get() + " requests still in flight after 60 s");
      }
      LockSupport.parkNanos(this, POLL_NANOS);
    }
    checkFailure();
  }

  private void sendSafely() {
    try {
      send();
    } catch (RuntimeException e) {
      completed(e);
    }
  }

  private void wake() {
    Thread thread = waiter;
    if (thread != null) {
      LockSupport.unpark(thread);
    }
  }

  private void checkFailure() {
    Throwable error = failure;
    if (error != null) {
      throw new IllegalStateException("A request failed: " + error, error);
    }
  }
}
