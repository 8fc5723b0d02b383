package dev.gatekit.transport.stdio.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes encoded messages to a stream, one per line, from a thread of its own.
 *
 * <p>Any thread may {@link #send} a message; it is queued and never blocks the sender, even when the
 * peer stops reading. The writer thread drains everything queued into a buffer and flushes once when
 * the queue is empty, so a burst of N messages costs a few system calls, not N. Messages never
 * interleave. When writing fails (the peer closed its end) the writer stops, reports the failure
 * once, and drops what is still queued.
 */
public final class MessageWriter {

  private static final Logger log = LoggerFactory.getLogger(MessageWriter.class);
  private static final byte[] POISON = new byte[0];

  private final OutputStream out;
  private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final Consumer<IOException> onFailure;
  private final Thread thread;
  private volatile boolean parked;

  /**
   * Starts a writer thread named {@code threadName} writing to {@code out}.
   *
   * @param onFailure called once, on the writer thread, if a write fails
   */
  public MessageWriter(OutputStream out, String threadName, Consumer<IOException> onFailure) {
    this.out = new BufferedOutputStream(out, 64 * 1024);
    this.onFailure = onFailure;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Queues one encoded message (without its line break). Returns false if the writer is closing or
   * has failed, in which case the message is not written.
   */
  public boolean send(byte[] message) {
    if (closing.get()) {
      return false;
    }
    queue.add(message);
    if (parked) {
      LockSupport.unpark(thread);
    }
    return true;
  }

  /**
   * Stops accepting messages, writes what is queued, and closes the stream (for a subprocess: its
   * stdin, which tells an MCP server to exit). Returns without waiting for the writer thread.
   */
  public void close() {
    if (closing.compareAndSet(false, true)) {
      queue.add(POISON);
      LockSupport.unpark(thread);
    }
  }

  /** Waits up to {@code millis} for the writer thread to finish after {@link #close()}. */
  public void awaitTermination(long millis) throws InterruptedException {
    thread.join(Math.max(1, millis));
  }

  private void run() {
    try {
      while (true) {
        byte[] message = queue.poll();
        if (message == null) {
          out.flush();
          park();
          continue;
        }
        if (message == POISON) {
          break;
        }
        out.write(message);
        out.write('\n');
      }
    } catch (IOException e) {
      closing.set(true);
      queue.clear();
      onFailure.accept(e);
    } finally {
      closeQuietly();
    }
  }

  private void park() {
    parked = true;
    // Re-check after announcing the park so a message queued in between is never missed.
    if (queue.isEmpty()) {
      LockSupport.park(this);
    }
    parked = false;
  }

  private void closeQuietly() {
    try {
      out.flush();
    } catch (IOException e) {
      log.debug("Flush on close failed", e);
    }
    try {
      out.close();
    } catch (IOException e) {
      log.debug("Close failed", e);
    }
  }
}
