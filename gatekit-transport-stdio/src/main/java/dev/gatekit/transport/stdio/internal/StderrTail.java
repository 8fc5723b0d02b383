package dev.gatekit.transport.stdio.internal;

import dev.gatekit.api.support.LineReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Drains a subprocess's stderr on a thread of its own, keeps the last few lines for error messages
 * and hands each line to a {@link StderrLog}. Draining never stops while the process lives and never
 * waits for the log, so a server that floods stderr never blocks on a full pipe, however slow the
 * log is. Lines longer than 4 KiB are dropped with a note.
 */
public final class StderrTail {

  private static final int MAX_LINE = 4 * 1024;

  private final int keep;
  private final ArrayDeque<String> lines;
  private final Thread thread;

  /**
   * Starts draining {@code stderr}, logging each line through {@code log} and keeping the last
   * {@code keep}. Should the drain die of anything but the stream's end or an I/O error (an {@code
   * OutOfMemoryError}, a bug), {@code onDeath} is told, on the dying thread: stderr is no longer
   * drained then.
   */
  public StderrTail(
      InputStream stderr, StderrLog log, int keep, String threadName, Consumer<Throwable> onDeath) {
    this.keep = keep;
    this.lines = new ArrayDeque<>(keep);
    this.thread = new Thread(() -> drain(stderr, log, onDeath), threadName);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Returns the last lines read, oldest first. */
  public List<String> lastLines() {
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }

  /** Waits up to {@code millis} for the stream to end, so that the last lines are in. */
  public void awaitEnd(long millis) throws InterruptedException {
    thread.join(Math.max(1, millis));
  }

  private void drain(InputStream stderr, StderrLog log, Consumer<Throwable> onDeath) {
    LineReader reader = new LineReader(stderr, MAX_LINE);
    try (stderr) {
      reader.run(
          new LineReader.Handler() {
            @Override
            public void onLine(byte[] buffer, int offset, int length) {
              String line = new String(buffer, offset, length, StandardCharsets.UTF_8);
              remember(line);
              log.offer(line);
            }

            @Override
            public void onOversizeLine(long length) {
              remember("(a stderr line of " + length + " bytes, not shown)");
            }
          });
    } catch (IOException e) {
      // The stream was closed under us: the process is gone, nothing more to read.
    } catch (RuntimeException | Error e) {
      onDeath.accept(e);
    }
  }

  private void remember(String line) {
    synchronized (lines) {
      if (lines.size() == keep) {
        lines.removeFirst();
      }
      lines.addLast(line);
    }
  }
}
