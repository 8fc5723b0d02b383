package dev.gatekit.transport.stdio.internal;

import dev.gatekit.api.support.LineReader;
import dev.gatekit.api.support.MessageWriter;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of an upstream server as a subprocess: the process, the thread reading its stdout, the
 * {@link MessageWriter} for its stdin (draining on {@link SharedExecutors#stdinWriters()}, so an idle
 * upstream holds no writer thread) and the {@link StderrTail} draining its stderr.
 *
 * <p>Its end is reported exactly once to the {@link Listener}: when stdout closes (the usual sign of
 * an exit), when the process exits while something else still holds stdout open (after a short
 * grace for the reader to catch up), when writing fails, or at once when the reader, a drain of the writer
 * or the stderr drain dies of anything else (an {@code OutOfMemoryError}, a {@code StackOverflowError},
 * a bug) — a connection without one of them would look alive while every call timed out.
 * {@link #shutDown} follows the MCP stdio shutdown sequence and also ends every other process of the
 * run's {@link ProcessTree}, so launchers such as {@code npx}, and servers that orphan children,
 * leave none behind.
 */
public final class UpstreamProcess {

  /** Receives what the process sends and when it ends. */
  public interface Listener {
    /** A line from stdout; runs on the reader thread and must not block. */
    void onLine(UpstreamProcess source, byte[] buffer, int offset, int length);

    /** A line on stdout longer than the maximum was discarded. */
    void onOversizeLine(UpstreamProcess source, long length);

    /** The process ended or can no longer be written to; {@code ending} says how. */
    void onEnd(UpstreamProcess source, Ending ending);
  }

  /**
   * How a run ended.
   *
   * @param how what happened, in words of our own ("exited with code 1", "closed its stdout")
   * @param exitCode the exit code, if the process had exited
   * @param stderrTail the last lines it wrote to stderr, oldest first
   */
  public record Ending(String how, @Nullable Integer exitCode, List<String> stderrTail) {}

  private static final Logger log = LoggerFactory.getLogger(UpstreamProcess.class);
  private static final long EXIT_GRACE_MILLIS = 1_000;
  private static final long DESCENDANTS_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final String name;
  private final Process process;
  private final Listener listener;
  private final MessageWriter writer;
  private final StderrTail stderr;
  private final AtomicBoolean ended = new AtomicBoolean();
  private final ProcessTree tree;
  private final boolean markFindsTree;
  private boolean snapshotting = true; // the reader thread's alone
  private volatile long descendantsSeenAt;
  private volatile boolean shuttingDown;

  private UpstreamProcess(
      String name,
      Process process,
      ProcessTree tree,
      int maxLineLength,
      int stderrLines,
      Listener listener) {
    this.name = name;
    this.process = process;
    this.tree = tree;
    this.markFindsTree = tree.foundByMark();
    this.listener = listener;
    this.descendantsSeenAt = System.nanoTime() - DESCENDANTS_REFRESH_NANOS - 1;
    String prefix = "gatekit-" + name + "-" + process.pid();
    Logger stderrLog = LoggerFactory.getLogger("dev.gatekit.upstream." + name);
    this.stderr =
        new StderrTail(
            process.getErrorStream(),
            new StderrLog(name, line -> stderrLog.info("{}", line), SharedExecutors.stderrLogging()),
            stderrLines,
            prefix + "-stderr",
            e -> died("stderr", e));
    this.writer =
        new MessageWriter(
            process.getOutputStream(),
            prefix + "-stdin",
            SharedExecutors.stdinWriters(),
            e -> {
              if (e instanceof IOException) {
                log.debug("Writing to upstream '{}' failed: {}", name, e.toString());
                endSoon();
              } else {
                died("writer", e);
              }
            });
    Thread reader = new Thread(() -> read(maxLineLength), prefix + "-reader");
    reader.setDaemon(true);
    reader.start();
    // If the process exits but a child keeps stdout open, the reader never sees the end of it.
    process.onExit().thenRun(this::endSoon);
  }

  /**
   * Starts the process and its threads.
   *
   * @throws IOException if the process cannot be started (for example, the command does not exist)
   */
  public static UpstreamProcess start(
      String name,
      ProcessBuilder builder,
      int maxLineLength,
      int stderrLines,
      Listener listener)
      throws IOException {
    ProcessTree tree = ProcessTree.marking(builder);
    Process process = builder.start();
    return new UpstreamProcess(name, process, tree, maxLineLength, stderrLines, listener);
  }

  /** Runs an already started process; for tests that need to wrap its streams. */
  static UpstreamProcess adopt(
      String name, Process process, int maxLineLength, int stderrLines, Listener listener) {
    return new UpstreamProcess(name, process, ProcessTree.unmarked(), maxLineLength, stderrLines, listener);
  }

  /** Queues one encoded message for stdin; returns false if the process can no longer be written to. */
  public boolean write(byte[] message) {
    return writer.send(message);
  }

  /** Queues one message that wants to learn where it was written; see {@link MessageWriter#send(MessageWriter.Outgoing)}. */
  public boolean write(MessageWriter.Outgoing message) {
    return writer.send(message);
  }

  /** Returns the process id. */
  public long pid() {
    return process.pid();
  }

  /** Returns whether the process is alive. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Returns the last lines the process wrote to stderr, oldest first. */
  public List<String> lastStderrLines() {
    return stderr.lastLines();
  }

  /**
   * Ends the process the way MCP prescribes for stdio: close its stdin and wait up to
   * {@code stdinGrace} for it to exit, then terminate it and the rest of its {@link ProcessTree}
   * and wait up to {@code terminateGrace}, then kill whatever is left. The rest of the tree — a
   * launcher's children, grandchildren it orphaned, children that outlived an upstream that exited
   * by itself — is ended the same way even when the process exits at once. Blocks until done; the
   * listener is not told.
   */
  public void shutDown(Duration stdinGrace, Duration terminateGrace) {
    shuttingDown = true;
    ended.set(true);
    rememberDescendants();
    writer.close();
    if (!awaitExit(List.of(process.toHandle()), stdinGrace)) {
      log.debug("Upstream '{}' did not exit after stdin closed; terminating", name);
      process.destroy();
      tree.members().forEach(ProcessHandle::destroy);
      if (!awaitExit(List.of(process.toHandle()), terminateGrace)) {
        log.warn("Upstream '{}' did not exit after SIGTERM; killing it", name);
        process.destroyForcibly();
      }
    }
    // Signal all that is left, wait for all against one deadline, then kill what is left, found
    // again: a process may have started another meanwhile.
    List<ProcessHandle> rest = tree.members();
    rest.forEach(ProcessHandle::destroy);
    if (!awaitExit(rest, terminateGrace)) {
      tree.members().forEach(ProcessHandle::destroyForcibly);
    }
    awaitExit(List.of(process.toHandle()), terminateGrace);
  }

  /** Notes the process's descendants while it lives; see {@link ProcessTree#remember}. */
  private void rememberDescendants() {
    descendantsSeenAt = System.nanoTime();
    tree.remember(process);
  }

  private void read(int maxLineLength) {
    LineReader reader = new LineReader(process.getInputStream(), maxLineLength);
    try {
      reader.run(
          new LineReader.Handler() {
            @Override
            public void onLine(byte[] buffer, int offset, int length) {
              if (snapshotting && System.nanoTime() - descendantsSeenAt > DESCENDANTS_REFRESH_NANOS) {
                // The first line, then every few seconds of traffic only where the mark cannot find
                // the processes (no /proc): a snapshot reads all of /proc, too dear to repeat on the
                // reader of each of a hundred upstreams when the mark finds them anyway.
                rememberDescendants();
                snapshotting = !markFindsTree;
              }
              listener.onLine(UpstreamProcess.this, buffer, offset, length);
            }

            @Override
            public void onOversizeLine(long length) {
              listener.onOversizeLine(UpstreamProcess.this, length);
            }
          });
    } catch (IOException e) {
      if (!shuttingDown) {
        log.debug("Reading from upstream '{}' failed: {}", name, e.toString());
      }
    } catch (RuntimeException | Error e) {
      died("reader", e);
      return;
    }
    if (ended.get()) {
      return;
    }
    // stdout closed: normally the process is exiting; give it a moment to report its exit code.
    try {
      process.onExit().get(EXIT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("Upstream '{}' closed its stdout but is still running; stopping it", name);
      process.destroy();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
    end(describeExit());
  }

  private Ending describeExit() {
    Integer exitCode = process.isAlive() ? null : process.exitValue();
    String how = exitCode == null ? "closed its stdout" : "exited with code " + exitCode;
    try {
      stderr.awaitEnd(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Ending(how, exitCode, stderr.lastLines());
  }

  /**
   * Ends this run at once because one of its threads died of {@code cause} (an {@code
   * OutOfMemoryError}, a {@code StackOverflowError}, a bug): a connection missing its reader, writer
   * or stderr drain would look alive while every call timed out. The owner then fails what is
   * pending and stops the process, as for any end.
   */
  private void died(String thread, Throwable cause) {
    if (ended.get()) {
      return;
    }
    log.error("The {} thread of upstream '{}' died; ending the connection", thread, name, cause);
    StderrTail tail = stderr; // null while the constructor runs
    end(
        new Ending(
            "failed: its " + thread + " thread died of " + cause.getClass().getName(),
            null,
            tail == null ? List.of() : tail.lastLines()));
  }

  /**
   * Ends this run after a grace period unless the reader ends it first: the reader, which sees the
   * end of stdout after every response still in the pipe, gives the better account.
   */
  private void endSoon() {
    if (!ended.get()) {
      CompletableFuture.delayedExecutor(EXIT_GRACE_MILLIS, TimeUnit.MILLISECONDS)
          .execute(() -> {
            if (!ended.get()) {
              end(describeExit());
            }
          });
    }
  }

  private void end(Ending ending) {
    if (ended.compareAndSet(false, true)) {
      MessageWriter current = writer; // null if the stderr drain died while the constructor ran
      if (current != null) {
        current.close();
      }
      listener.onEnd(this, ending);
    }
  }

  /**
   * Waits up to {@code grace} for all of {@code handles} to exit; returns whether they did. An
   * interrupt does not cut the wait short (shutdown must stay orderly); it is restored afterwards.
   */
  private static boolean awaitExit(List<ProcessHandle> handles, Duration grace) {
    long deadline = System.nanoTime() + Math.max(1, grace.toNanos());
    boolean interrupted = false;
    try {
      for (ProcessHandle handle : handles) {
        while (true) {
          long left = deadline - System.nanoTime();
          if (!handle.isAlive()) {
            break;
          }
          if (left <= 0) {
            return false;
          }
          try {
            handle.onExit().get(left, TimeUnit.NANOSECONDS);
            break;
          } catch (InterruptedException e) {
            interrupted = true;
          } catch (TimeoutException e) {
            return false;
          } catch (Exception e) {
            if (!handle.isAlive()) {
              break;
            }
            return false;
          }
        }
      }
      return true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
