package dev.gatekit.transport.http.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executors all HTTP transports of a JVM share: one daemon thread for every request timeout and
 * delayed retry, and a pool of daemon threads that completes callers' futures and runs inbound
 * handlers, so neither ever runs on the HTTP client's threads (see {@link HttpClients}). Nothing on
 * the client's threads blocks: body readers only parse, and callers' code runs on the callback pool.
 */
public final class HttpExecutors {

  private static final ScheduledThreadPoolExecutor TIMERS = newTimers();
  private static final ForkJoinPool CALLBACKS = newCallbacks();

  private HttpExecutors() {}

  /** Returns the timer; a cancelled task leaves its queue at once. */
  public static ScheduledExecutorService timers() {
    return TIMERS;
  }

  /** Returns the callback pool: FIFO, at least two threads. */
  public static ExecutorService callbacks() {
    return CALLBACKS;
  }

  private static ScheduledThreadPoolExecutor newTimers() {
    ScheduledThreadPoolExecutor timers =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "gatekit-http-timers");
              thread.setDaemon(true);
              return thread;
            });
    timers.setRemoveOnCancelPolicy(true);
    return timers;
  }

  private static ForkJoinPool newCallbacks() {
    AtomicInteger count = new AtomicInteger();
    return new ForkJoinPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        pool -> {
          ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
          thread.setName("gatekit-http-callbacks-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        },
        null,
        true);
  }
}
