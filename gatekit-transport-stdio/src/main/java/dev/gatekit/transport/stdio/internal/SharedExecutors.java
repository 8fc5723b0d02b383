package dev.gatekit.transport.stdio.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executors all stdio transports of a JVM share: one thread for every request timeout, a pool
 * that completes callers' futures, a pool that writes upstreams' stdin, and one thread that logs
 * upstreams' stderr. Their threads are daemons, so they never keep a JVM alive.
 */
public final class SharedExecutors {

  private static final long HEARTBEAT_SECONDS = 1;

  private static final ScheduledThreadPoolExecutor TIMEOUTS = newTimeoutScheduler();
  private static final ForkJoinPool CALLBACKS = newCallbackPool();
  private static final ExecutorService STDERR_LOGGING = newSingleThread("gatekit-stderr-log");
  private static final ThreadPoolExecutor STDIN_WRITERS = newWriterPool();

  /** How long an idle thread of {@link #stdinWriters()} lives before it ends. */
  static final long WRITER_KEEP_ALIVE_SECONDS = 10;

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

  /**
   * Returns the pool on which every upstream's {@code MessageWriter} drains what is queued for its
   * stdin (a sender writes a lone small message itself). An idle upstream holds none of its threads.
   *
   * <p>Unbounded on purpose: a thread is started when a drain finds none idle, and ends after {@value
   * #WRITER_KEEP_ALIVE_SECONDS} s idle. A writer has at most one drain queued or running, so the pool
   * holds at most one thread per upstream with something to write: never more threads than the
   * dedicated writer threads it replaces (the HTTP front's session cap bounds it), and usually a
   * handful. An upstream that stops reading its stdin while more is queued (a full pipe) holds one
   * thread, blocked in a write, until it reads or its stdin is closed; its own senders keep queueing
   * without blocking. A bounded pool would instead let as many stuck upstreams as it has threads
   * hold up the stdin of every other upstream of the JVM, whose drains would wait in its queue.
   */
  public static ExecutorService stdinWriters() {
    return STDIN_WRITERS;
  }

  private static ThreadPoolExecutor newWriterPool() {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(
        0,
        Integer.MAX_VALUE,
        WRITER_KEEP_ALIVE_SECONDS,
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        task -> {
          Thread thread = new Thread(task, "gatekit-stdin-writer-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
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
