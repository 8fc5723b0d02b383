package dev.gatekit.proxy.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client requests a session has taken but not yet handed to their upstream: requests waiting
 * behind a notification or an earlier such request, and requests whose plugins have yet to run or are
 * running. A request handed over at once, on the thread that received it, is never counted.
 *
 * <p>{@link Session#receive} never blocks, so the gateway could otherwise take a fast client's
 * requests faster than it hands them on; the client's reader calls {@link #awaitAtMost} before it
 * takes the next message and so stops reading while too many wait — the same backpressure {@code
 * ClientOutbox} applies to answers. Thread-safe; {@link #add} and {@link #remove} never block.
 */
final class Backlog {

  private final AtomicInteger count = new AtomicInteger();
  /** The highest limit a waiting reader waits to get down to, or -1 when none waits. */
  private volatile int awaitedLimit = -1;
  /** Readers waiting now; guarded by this. */
  private int waiters;

  /** Counts a request that could not be handed over at once. */
  void add() {
    count.incrementAndGet();
  }

  /** Uncounts a request that has been handed over (or answered), and wakes a reader it lets go on. */
  void remove() {
    if (count.decrementAndGet() <= awaitedLimit) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** Returns how many requests are waiting to be handed over now. */
  int size() {
    return count.get();
  }

  /**
   * Waits while more than {@code limit} requests wait to be handed over. Returns whether it waited.
   * Meant for one reader per session; several waiters are safe, and each leaves once the count is at
   * or under its own limit. (The waiter publishes its limit before it looks at the count, and {@link
   * #remove} changes the count before it looks at the limit, so one of the two always sees the other.)
   */
  boolean awaitAtMost(int limit) throws InterruptedException {
    if (count.get() <= limit) {
      return false;
    }
    synchronized (this) {
      waiters++;
      awaitedLimit = Math.max(awaitedLimit, limit);
      try {
        while (count.get() > limit) {
          wait();
        }
      } finally {
        if (--waiters == 0) {
          awaitedLimit = -1;
        }
      }
    }
    return true;
  }
}
