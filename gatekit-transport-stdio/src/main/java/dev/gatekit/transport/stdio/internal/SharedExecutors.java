package dev.gatekit.transport.stdio.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executors all stdio transports of a JVM share: one thread for every request timeout, a pool
 * that completes callers' futures, and one thread that logs upstreams' stderr. Their threads are
 * daemons, so they never keep a JVM alive.
 */
public final class SharedExecutors {

  private static final long HEARTBEAT_SECONDS = 1;

  private static final ScheduledThreadPoolExecutor TIMEOUTS = newTimeoutScheduler();
  private static final ForkJoinPool CALLBACKS = newCallbackPool();
  private static final ExecutorService STDERR_LOGGING = newSingleThread("gatekit-stderr-log");

  private SharedExecutors() {}

  /**
   * Returns the timeout scheduler. Cancelled tasks leave its queue at once, so a request that was
   * answered leaves no timer behind.
   */
  public static ScheduledExecutorService timeouts() {
    return TIMEOUTS;
  }

  /**
   * Returns the pool that completes callers' futures: at least two threads, FIFO. Stages that block
   * in {@code join()} or {@code get()} of another future are compensated with extra threads; stages
   * that block on I/O for long should run on an executor of their own.
   */
  public static ExecutorService callbacks() {
    return CALLBACKS;
  }

  /**
   * Returns the thread that logs upstreams' stderr lines (see {@link StderrLog}): a log that blocks
   * holds up this thread alone, never a drain, a reader or a caller.
   */
  public static ExecutorService stderrLogging() {
    return STDERR_LOGGING;
  }

  private static ExecutorService newSingleThread(String name) {
    return new ThreadPoolExecutor(
        1,
        1,
        0,
        TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(),
        task -> {
          Thread thread = new Thread(task, name);
          thread.setDaemon(true);
          return thread;
        });
  }

  private static ScheduledThreadPoolExecutor newTimeoutScheduler() {
    ScheduledThreadPoolExecutor scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "gatekit-timeouts");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    // The scheduler's thread sleeps until the earliest task is due, and is woken whenever a task
    // earlier than all others arrives. A request's timeout scheduled on an empty queue is such a
    // task: for one request at a time, that is a wake-up of this thread per request. A heartbeat
    // due every second stays ahead of every timeout longer than that, so those never wake it.
    scheduler.scheduleAtFixedRate(() -> {}, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS, TimeUnit.SECONDS);
    return scheduler;
  }

  private static ForkJoinPool newCallbackPool() {
    AtomicInteger count = new AtomicInteger();
    return new ForkJoinPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        pool -> {
          ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
          thread.setName("gatekit-callbacks-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        },
        null,
        true);
  }
}
