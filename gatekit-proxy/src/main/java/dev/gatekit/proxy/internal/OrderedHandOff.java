package dev.gatekit.proxy.internal;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Without plugins: hands the client's requests to their upstream in the client's order. A request
 * is handed over at once, on the thread that took it, when nothing the client sent before it still
 * waits; otherwise it joins a queue and is handed over once the notifications the client sent before
 * it have gone upstream and every request ahead of it has been handed over.
 *
 * <p>The queue is drained by one thread at a time, in a loop (never by completions nested in each
 * other, so a long queue cannot overflow a stack): by the thread that queued a request, or by the one
 * that completed the notification the head of the queue waits for. Every queued request is counted
 * in the {@link Backlog} until it has been handed over. Thread-safe; never blocks.
 */
final class OrderedHandOff {

  private final Consumer<ClientCall> handOver;
  private final Backlog backlog;
  /** Guarded by this. */
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  /** Whether a thread is draining the queue now; guarded by this. */
  private boolean draining;
  /** No request queued and none being handed over from the queue; written under this. */
  private volatile boolean idle = true;

  /**
   * @param handOver hands one request to its upstream (or answers it); must not block or throw
   * @param backlog where queued requests are counted
   */
  OrderedHandOff(Consumer<ClientCall> handOver, Backlog backlog) {
    this.handOver = handOver;
    this.backlog = backlog;
  }

  /**
   * Hands {@code call} over now or after what it must follow.
   *
   * @param notificationsBefore completes once the notifications the client sent before it have gone
   *     upstream
   */
  void submit(ClientCall call, CompletableFuture<?> notificationsBefore) {
    if (idle && notificationsBefore.isDone()) {
      handOver.accept(call);
      return;
    }
    backlog.add();
    synchronized (this) {
      waiting.add(new Waiting(call, notificationsBefore));
      idle = false;
    }
    drain();
  }

  /**
   * Returns whether nothing the client sent waits to be handed over, so a request taken now may go
   * upstream at once (such as a line passed on as bytes) without passing one sent before it.
   */
  boolean isIdle() {
    return idle;
  }

  private void drain() {
    while (true) {
      ClientCall next;
      CompletableFuture<?> wakeUp = null;
      synchronized (this) {
        if (draining) {
          return; // the thread draining now will find what was queued
        }
        Waiting head = waiting.peek();
        if (head == null) {
          idle = true;
          return;
        }
        if (head.notificationsBefore.isDone()) {
          waiting.poll();
          draining = true;
          next = head.call;
        } else if (head.wakeUpSet) {
          return;
        } else {
          head.wakeUpSet = true;
          wakeUp = head.notificationsBefore;
          next = null;
        }
      }
      if (wakeUp != null) {
        wakeUp.whenComplete((ignored, failure) -> drain()); // at once, here, if it completed meanwhile
        return;
      }
      try {
        handOver.accept(next);
      } finally {
        backlog.remove();
        synchronized (this) {
          draining = false;
        }
      }
    }
  }

  /** A queued request and what it waits for. */
  private static final class Waiting {
    final ClientCall call;
    final CompletableFuture<?> notificationsBefore;
    /** Whether a drain is set to run when {@link #notificationsBefore} completes; guarded by the hand-off. */
    boolean wakeUpSet;

    Waiting(ClientCall call, CompletableFuture<?> notificationsBefore) {
      this.call = call;
      this.notificationsBefore = notificationsBefore;
    }
  }
}
