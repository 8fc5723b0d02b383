package dev.gatekit.transport.http.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executors all HTTP transports of a JVM share: one daemon thread for every request timeout and
 * delayed retry; a pool of daemon threads that completes callers' futures and runs inbound handlers,
 * so neither ever runs on the HTTP client's threads; and the HTTP client's executor, which runs the
 * client's own work (reading responses, running body subscribers) on the client's selector thread
 * and starts exchanges on a fixed pool of daemon threads, one per core and at least two.
 *
 * <p>That pool is fixed because the JDK's default, a cached pool, keeps starting and retiring
 * threads under a steady load, and a burst of 100 in flight grows it by a thread per connection.
 * Nothing on the client's threads blocks: body subscribers only parse, and callers' code runs on
 * the callback pool.
 */
public final class HttpExecutors {

  private static final ScheduledThreadPoolExecutor TIMERS = newTimers();
  private static final ForkJoinPool CALLBACKS = newCallbacks();
  private static final ClientExecutor CLIENT = new ClientExecutor(newClientPool());

  private HttpExecutors() {}

  /** Returns the timer; a cancelled task leaves its queue at once. */
  public static ScheduledExecutorService timers() {
    return TIMERS;
  }

  /** Returns the callback pool: FIFO, at least two threads. */
  public static ExecutorService callbacks() {
    return CALLBACKS;
  }

  /**
   * Returns the executor for the HTTP client of a transport that makes its own client: the client's
   * work runs in place, the starts of exchanges on a shared pool (see {@link ClientExecutor}).
   */
  public static ClientExecutor client() {
    return CLIENT;
  }

  private static ExecutorService newClientPool() {
    AtomicInteger count = new AtomicInteger();
    return Executors.newFixedThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors()),
        task -> {
          Thread thread = new Thread(task, "gatekit-http-client-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
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
