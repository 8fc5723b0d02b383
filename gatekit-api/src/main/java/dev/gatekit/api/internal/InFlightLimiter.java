package dev.gatekit.api.internal;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Enforces a transport's in-flight limit and overflow policy without blocking any thread.
 *
 * <p>A caller {@linkplain #admit offers} an action that sends its request. With a slot free the
 * action runs at once on the caller's thread. Otherwise, under {@link OverflowPolicy#QUEUE}, it waits
 * in a bounded FIFO queue and runs later on the thread that {@linkplain #release releases} a slot
 * (the slot passes straight to it, so the count never exceeds the limit); under
 * {@link OverflowPolicy#REJECT}, or with the queue full, it is refused.
 *
 * <p>Every admitted action owes exactly one {@link #release()}; a queued action that is given up
 * (its request timed out or was cancelled while waiting) is taken back with {@link #withdraw} and
 * owes none. One small lock guards the counts; no user code runs under it.
 */
public final class InFlightLimiter {

  /** What {@link #admit} did with an action. */
  public enum Admission {
    /** The action ran; it holds a slot. */
    RAN,
    /** The action waits in the queue; it will run when a slot frees up. */
    QUEUED,
    /** The action was refused and will never run. */
    REJECTED
  }

  private final int limit;
  private final int maxQueued;
  private final boolean queueing;
  private final Object lock = new Object();
  private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
  private int inFlight;
  private int maxInFlight;

  public InFlightLimiter(TransportOptions options) {
    this.limit = options.maxInFlight();
    this.maxQueued = options.maxQueued();
    this.queueing = options.overflowPolicy() == OverflowPolicy.QUEUE;
  }

  /** Runs {@code send} now if a slot is free, else queues or refuses it as the policy says. */
  public Admission admit(Runnable send) {
    synchronized (lock) {
      if (inFlight >= limit) {
        if (!queueing || queue.size() >= maxQueued) {
          return Admission.REJECTED;
        }
        queue.addLast(send);
        return Admission.QUEUED;
      }
      inFlight++;
      if (inFlight > maxInFlight) {
        maxInFlight = inFlight;
      }
    }
    send.run();
    return Admission.RAN;
  }

  /**
   * Frees the slot of a finished request, handing it to the oldest queued action if there is one.
   * That action runs on the calling thread, so actions must never block.
   */
  public void release() {
    Runnable next;
    synchronized (lock) {
      next = queue.pollFirst();
      if (next == null) {
        if (inFlight <= 0) {
          throw new IllegalStateException("release() without a matching admission");
        }
        inFlight--;
        return;
      }
    }
    next.run();
  }

  /**
   * Takes a queued action back. Returns false when it is no longer queued: it was drained, or a
   * release has taken it off the queue to run it. In the second case the withdrawer must not release
   * anything; the action itself, when it runs for a request already given up, must give its slot
   * back with {@link #release()}. (The stdio transport's correlator does so with a per-request state.)
   */
  public boolean withdraw(Runnable send) {
    synchronized (lock) {
      return queue.removeFirstOccurrence(send);
    }
  }

  /** Removes and returns every queued action, for a transport that is closing. */
  public List<Runnable> drainQueue() {
    synchronized (lock) {
      List<Runnable> drained = new ArrayList<>(queue);
      queue.clear();
      return drained;
    }
  }

  /** Returns the number of admitted actions not yet released. */
  public int inFlight() {
    synchronized (lock) {
      return inFlight;
    }
  }

  /** Returns the most admitted actions that were unreleased at once. */
  public int maxInFlight() {
    synchronized (lock) {
      return maxInFlight;
    }
  }

  /** Returns the number of queued actions. */
  public int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }
}
