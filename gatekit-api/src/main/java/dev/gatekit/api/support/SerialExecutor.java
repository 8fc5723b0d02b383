package dev.gatekit.api.support;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time, in submission order, on a delegate executor; the submitting thread never
 * runs them. A task that throws — even an {@link Error} such as a handler's {@code
 * StackOverflowError} — is logged and the next one runs: the lane never stalls. If the delegate
 * refuses to run the lane, {@link #execute} throws its exception and the task is not kept.
 */
public final class SerialExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final Executor delegate;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  public SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      try {
        delegate.execute(this::drain);
      } catch (RuntimeException | Error e) {
        // Refused (the executor was shut down): take the task back and tell the caller, rather than
        // leave it stranded with the lane marked busy.
        tasks.remove(task);
        scheduled.set(false);
        throw e;
      }
    }
  }

  /** Returns whether nothing is queued or running (a snapshot; it may change at once). */
  public boolean isIdle() {
    return !scheduled.get() && tasks.isEmpty();
  }

  private void drain() {
    while (true) {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException | Error e) {
          log.error("Task failed", e);
        }
      }
      scheduled.set(false);
      // A task added after the last poll but before the flag was cleared would be stranded; re-check.
      if (tasks.isEmpty() || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }
}
