package dev.gatekit.transport.stdio.internal;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs an upstream's stderr lines without ever making the thread that drains stderr wait for the
 * log.
 *
 * <p>{@link #offer} puts a line in a bounded queue and returns at once; a logging thread (shared by
 * all upstreams, see {@link SharedExecutors#stderrLogging()}) takes the lines out and logs them, in
 * order. When the queue is full — the log cannot keep up, say because whoever reads the gateway's
 * own stderr stopped reading — the line is dropped and counted, and once the logging thread has
 * caught up it logs a warning with the count ("Dropped 1234 stderr lines of upstream 'files'").
 *
 * <p>At most one drain task per instance is scheduled at a time (a flag, re-checked after it is
 * cleared, so that no line is stranded), so the shared thread's task queue holds at most one task
 * per upstream. Thread-safe; {@link #offer} is meant for one draining thread.
 */
public final class StderrLog {

  /** Lines waiting for the log, at most, per upstream. */
  static final int CAPACITY = 1024;

  private static final Logger log = LoggerFactory.getLogger(StderrLog.class);

  private final String upstream;
  private final Consumer<String> sink;
  private final LongConsumer dropReport;
  private final Executor loggingThread;
  private final ArrayBlockingQueue<String> lines = new ArrayBlockingQueue<>(CAPACITY);
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicLong dropped = new AtomicLong();

  /**
   * @param upstream the upstream's name, for the warning about dropped lines
   * @param sink logs one line; may block, and then lines are dropped meanwhile
   * @param loggingThread runs the sink; must never run a task on the calling thread
   */
  public StderrLog(String upstream, Consumer<String> sink, Executor loggingThread) {
    this(upstream, sink, loggingThread, null);
  }

  /** As the public constructor, with the report of dropped lines going to {@code dropReport}. */
  StderrLog(String upstream, Consumer<String> sink, Executor loggingThread, @Nullable LongConsumer dropReport) {
    this.upstream = upstream;
    this.sink = sink;
    this.loggingThread = loggingThread;
    this.dropReport =
        dropReport != null
            ? dropReport
            : count ->
                log.warn(
                    "Dropped {} stderr lines of upstream '{}': the log could not keep up with them",
                    count,
                    upstream);
  }

  /** Hands a line to the log, or drops and counts it if the log is behind; never blocks. */
  public void offer(String line) {
    if (!lines.offer(line)) {
      dropped.incrementAndGet();
    }
    if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
      loggingThread.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      String line;
      while ((line = lines.poll()) != null) {
        try {
          sink.accept(line);
        } catch (RuntimeException e) {
          log.debug("Logging a stderr line of upstream '{}' failed: {}", upstream, e.toString());
        }
      }
      long count = dropped.getAndSet(0);
      if (count > 0) {
        dropReport.accept(count);
      }
      scheduled.set(false);
      // A line offered after the last poll but before the flag was cleared would wait for the next
      // line; re-check and carry on if so (and if no new task took over).
      if ((lines.isEmpty() && dropped.get() == 0) || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }
}
