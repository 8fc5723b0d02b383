package dev.gatekit.api.support;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Enforces a transport's in-flight limit and overflow policy without blocking any thread.
 *
 * <p>A caller {@linkplain #admit offers} an {@link Action} that sends its request. With a slot free
 * the action runs at once on the caller's thread. Otherwise, under {@link OverflowPolicy#QUEUE}, it
 * waits in a bounded FIFO queue and runs later on the thread that {@linkplain #release releases} a
 * slot (the slot passes straight to it, so the count never exceeds the limit); under
 * {@link OverflowPolicy#REJECT}, or with the queue full, it is refused.
 *
 * <p>An action that runs either keeps its slot (returns true) and then owes exactly one
 * {@link #release()}, or declines it (returns false: its request ended while it waited, or could not
 * be sent) and owes nothing; a declined slot passes on to the next queued action. Hand-overs happen
 * in a loop, never by recursion, so thousands of declining actions cannot overflow the stack. A queued
 * action that is given up is taken back with {@link #withdraw} and owes nothing. One small lock guards
 * the counts; no action runs under it.
 */
public final class InFlightLimiter {

  /** Sends a request once it holds a slot. */
  @FunctionalInterface
  public interface Action {
    /**
     * Runs with a slot held. Returns true to keep the slot (one {@link #release()} is then owed), or
     * false to decline it. Must not block and must not throw. An action that waited in the queue
     * past its request's deadline declines the slot without sending anything (and ends its request
     * as timed out itself): the limiter knows nothing of deadlines, and the thread that frees a slot
     * may be the very timer thread that is late in expiring the queued requests.
     */
    boolean start();
  }

  /** What {@link #admit} did with an action. */
  public enum Admission {
    /** The action ran (and kept or declined its slot). */
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
  private final ArrayDeque<Action> queue = new ArrayDeque<>();
  private int inFlight;
  private int maxInFlight;

  public InFlightLimiter(TransportOptions options) {
    this.limit = options.maxInFlight();
    this.maxQueued = options.maxQueued();
    this.queueing = options.overflowPolicy() == OverflowPolicy.QUEUE;
  }

  /** Runs {@code send} now if a slot is free, else queues or refuses it as the policy says. */
  public Admission admit(Action send) {
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
    if (!send.start()) {
      release();
    }
    return Admission.RAN;
  }

  /**
   * Frees the slot of a finished request, handing it to the oldest queued action if there is one
   * (and on to the next while actions decline it). Actions run on the calling thread.
   */
  public void release() {
    while (true) {
      Action next;
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
      if (next.start()) {
        return;
      }
    }
  }

  /**
   * Takes a queued action back. Returns false when it is no longer queued: it was drained, or a
   * release has taken it off the queue to run it. In the second case the withdrawer must not release
   * anything; the action itself, when it runs for a request already given up, must give its slot
   * back by declining it (returning false).
   */
  public boolean withdraw(Action send) {
    synchronized (lock) {
      return queue.removeFirstOccurrence(send);
    }
  }

  /** Removes and returns every queued action, for a transport that is closing. */
  public List<Action> drainQueue() {
    synchronized (lock) {
      List<Action> drained = new ArrayList<>(queue);
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
