package dev.gatekit.testkit;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of one {@link MockTransport}, all daemon threads:
 *
 * <ul>
 *   <li>one scheduler for latencies and timeouts, which only hands work on and never completes a
 *       future;
 *   <li>a cached pool of workers that run handlers and complete futures, one task per outcome, so a
 *       slow dependent stage never holds up another caller;
 *   <li>one thread that delivers unasked messages to the inbound handler, in order.
 * </ul>
 *
 * Thread-safe.
 */
final class MockThreads {

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ScheduledThreadPoolExecutor scheduler;
  private final ThreadFactory workerFactory;
  private final ExecutorService workers;
  private final ExecutorService inbound;

  MockThreads() {
    String prefix = "gatekit-mock-" + INSTANCES.incrementAndGet();
    scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads(prefix + "-scheduler"));
    scheduler.setRemoveOnCancelPolicy(true);
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    workerFactory = daemonThreads(prefix + "-worker");
    workers = Executors.newCachedThreadPool(workerFactory);
    inbound = Executors.newSingleThreadExecutor(daemonThreads(prefix + "-inbound"));
  }

  /**
   * Runs {@code task} on a worker, never on the calling thread; after {@link #shutdown()} on a thread
   * of its own, so that a failure decided during shutdown still reaches its caller.
   */
  void execute(Runnable task) {
    try {
      workers.execute(task);
    } catch (RejectedExecutionException shutDown) {
      workerFactory.newThread(task).start();
    }
  }

  /** Runs {@code task} on a worker after {@code delay}; does nothing after {@link #shutdown()}. */
  void executeAfter(Duration delay, Runnable task) {
    if (delay.isZero()) {
      execute(task);
      return;
    }
    try {
      scheduler.schedule(() -> execute(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException shutDown) {
      // Closing: everything pending has been or is being failed, so there is nobody to answer.
    }
  }

  /**
   * Runs {@code task} on the scheduler after {@code delay}; it must be short and must not complete
   * futures.
   *
   * @throws RejectedExecutionException after {@link #shutdown()}
   */
  ScheduledFuture<?> schedule(Duration delay, Runnable task) {
    return scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Runs {@code task} on the inbound thread, after every task handed in before it.
   *
   * @throws RejectedExecutionException after {@link #shutdown()}
   */
  void deliverInbound(Runnable task) {
    inbound.execute(task);
  }

  /**
   * Stops accepting work and drops pending delays and timeouts; tasks already handed to a worker or
   * the inbound thread still run. Never interrupts a running task.
   */
  void shutdown() {
    scheduler.shutdown();
    workers.shutdown();
    inbound.shutdown();
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
