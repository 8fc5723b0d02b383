package dev.gatekit.transport.http.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor, never on the submitting
 * thread: the order in which a transport hands unasked messages to its inbound handler. A task that
 * throws is logged and the next one runs.
 */
public final class InboundLane implements Executor {

  private static final Logger log = LoggerFactory.getLogger(InboundLane.class);

  private final Executor delegate;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  public InboundLane(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      delegate.execute(this::drain);
    }
  }

  /** Returns whether nothing is queued or running (a snapshot). */
  public boolean isIdle() {
    return !scheduled.get() && tasks.isEmpty();
  }

  private void drain() {
    while (true) {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException e) {
          log.error("Inbound task failed", e);
        }
      }
      scheduled.set(false);
      // A task added after the last poll but before the flag was cleared would be stranded.
      if (tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }
}
