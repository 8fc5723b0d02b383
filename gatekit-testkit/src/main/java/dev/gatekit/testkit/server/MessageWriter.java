package dev.gatekit.testkit.server;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcResponse;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The one writer of stdout. Any thread may {@link #send} a message; messages never interleave, and
 * the messages of one thread are written in the order it sent them.
 *
 * <p>The reader thread (named by {@link #writeInlineFrom}) writes its own answers into the output
 * buffer as it serves the lines of one read, and {@link #flushInline()} sends them with one system
 * call before it reads again: a cheap request costs no thread hand-off, and a burst of them one
 * flush. Other threads (delayed answers, notifications from timers) queue their messages for a
 * writer thread, which writes every message waiting and then flushes once. Nobody else waits for a
 * client that stops reading but the reader thread, which then stops reading too — as an MCP server
 * writing its answers in order would.
 *
 * <p>{@link #exitAfterPending} ends the process once everything sent before it has been written and
 * flushed; messages sent after it are never written.
 */
final class MessageWriter {

  /** Ends the process; given the reason to report on stderr, or {@code null} for a normal exit. */
  @FunctionalInterface
  interface ProcessExit {
    void exit(int code, @Nullable String reason);
  }

  private record Exit(int code, @Nullable String reason) {}

  /** A line written exactly as given (a fault mode's deliberately invalid message). */
  private record RawLine(byte[] bytes) {}

  private static final int BATCH_SIZE = 4096;
  private static final int BUFFER_SIZE = 64 * 1024;

  private final BufferedOutputStream out;
  private final OutputStream unflushable;
  private final JsonRpcCodec codec;
  private final ResponseFaults faults;
  private final ProcessExit processExit;
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final ReentrantLock writing = new ReentrantLock();
  private final Thread thread;
  private volatile @Nullable Thread inlineThread;
  private volatile boolean exiting;
  private boolean inlineUnflushed; // guarded by writing

  /** Writes to {@code stdout} through a buffer of its own; starts nothing yet. */
  MessageWriter(
      OutputStream stdout, JsonRpcCodec codec, ResponseFaults faults, ProcessExit processExit) {
    this.out = new BufferedOutputStream(stdout, BUFFER_SIZE);
    this.unflushable = new Unflushable(out);
    this.codec = codec;
    this.faults = faults;
    this.processExit = processExit;
    this.thread = new Thread(this::run, "gatekit-test-server-writer");
    this.thread.setDaemon(true);
  }

  /** Starts the writer thread. */
  void start() {
    thread.start();
  }

  /** Makes {@code reader} write its own messages itself; it calls {@link #flushInline()} before reading. */
  void writeInlineFrom(Thread reader) {
    this.inlineThread = reader;
  }

  /**
   * Sends a message: from the inline thread, into the buffer at once; from any other thread, through
   * the writer thread's queue (never blocking).
   */
  void send(JsonRpcMessage message) {
    sendItem(message);
  }

  /** Sends {@code line} (without its line break) as it is, as {@link #send} sends a message. */
  void sendRaw(byte[] line) {
    sendItem(new RawLine(line.clone()));
  }

  private void sendItem(Object message) {
    if (Thread.currentThread() != inlineThread) {
      queue.add(message);
      return;
    }
    writing.lock();
    try {
      if (!exiting) {
        write(message);
        inlineUnflushed = true;
      }
    } catch (IOException | RuntimeException e) {
      processExit.exit(1, "cannot write to stdout, exiting: " + e);
    } finally {
      writing.unlock();
    }
  }

  /** Flushes what the inline thread has written since its last flush. */
  void flushInline() {
    writing.lock();
    try {
      if (inlineUnflushed) {
        inlineUnflushed = false;
        out.flush();
      }
    } catch (IOException e) {
      processExit.exit(1, "cannot write to stdout, exiting: " + e);
    } finally {
      writing.unlock();
    }
  }

  /** Queues the end of the process, after every message sent so far. */
  void exitAfterPending(int code, @Nullable String reason) {
    exiting = true;
    queue.add(new Exit(code, reason));
  }

  /** Waits until the writer thread ends, which it does only by ending the process. */
  void awaitExit() throws InterruptedException {
    thread.join();
  }

  private void run() {
    List<Object> batch = new ArrayList<>(BATCH_SIZE);
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch, BATCH_SIZE - 1);
        writing.lock();
        try {
          for (Object item : batch) {
            if (item instanceof Exit exit) {
              out.flush();
              processExit.exit(exit.code(), exit.reason());
              return;
            }
            write(item);
          }
          if (queue.isEmpty()) {
            out.flush();
            inlineUnflushed = false;
          }
        } finally {
          writing.unlock();
        }
        batch.clear();
      }
    } catch (IOException | RuntimeException e) {
      // stdout is gone (or a message cannot be written): end loudly rather than hang silently.
      processExit.exit(1, "cannot write to stdout, exiting: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void write(Object item) throws IOException {
    if (item instanceof RawLine raw) {
      out.write(raw.bytes());
      out.write('\n');
      return;
    }
    JsonRpcMessage message = (JsonRpcMessage) item;
    boolean response = faults.active() && message instanceof JsonRpcResponse;
    if (response) {
      faults.writeBeforeResponse(out);
    }
    codec.writeTo(message, unflushable);
    out.write('\n');
    if (response && faults.duplicate()) {
      codec.writeTo(message, unflushable);
      out.write('\n');
    }
  }

  /**
   * The buffer without its flush: Jackson flushes the stream it wrote to when it is done with a
   * message ({@code JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM}), which would cost a system call
   * per message. The writer flushes once per batch instead.
   */
  private static final class Unflushable extends FilterOutputStream {
    Unflushable(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      out.write(bytes, offset, length);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
