package dev.gatekit.api.support;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes encoded messages to a pipe, one per line, without ever blocking the sender.
 *
 * <p>Any thread may {@link #send} a message. Normally it is queued for a writer thread of its own,
 * which drains everything queued into a buffer and flushes once when the queue is empty, so a burst
 * of N messages costs a few system calls, not N. When the writer is idle and the write provably
 * cannot block, the sender writes and flushes the message itself instead, which saves waking the
 * writer thread: the round trip of a lone request is shorter by one thread hand-off.
 *
 * <p>A write cannot block when the pipe has room for it. The writer counts the bytes it has written;
 * the sender of an {@link Outgoing} message learns where its bytes ended, and when the peer shows it
 * has read them (an MCP server answering a request has read it, and everything written before it),
 * reports that with {@link #consumedThrough}. Bytes written but not yet known read, plus the new
 * message, must fit in {@value #DIRECT_WRITE_LIMIT} bytes — the smallest pipe capacity the
 * supported systems give (Linux gives 64 KiB, and one page when a user is over their pipe quota).
 * Without such reports (plain {@link #send(byte[])} only), at most the first
 * {@value #DIRECT_WRITE_LIMIT} bytes are written directly.
 *
 * <p>Messages never interleave, and the messages of one sending thread are written in the order it
 * sent them: a sender writes directly only when nothing is queued and the writer thread is not
 * writing. When writing fails (the peer closed its end) the writer stops, reports the failure once,
 * and drops what is still queued.
 */
public final class MessageWriter {

  /**
   * A message whose sender wants to know where its bytes end in the stream, to report later that
   * the peer has read them.
   */
  public interface Outgoing {
    /** The encoded message, without its line break. */
    byte[] bytes();

    /**
     * Called once the message is written (before it is flushed), on the writing thread, with the
     * stream offset just past its line break.
     */
    void written(MessageWriter writer, long endOffset);
  }

  /** Bytes that may be unread in the pipe, the new message included, for a sender to write directly. */
  static final int DIRECT_WRITE_LIMIT = 4096;

  private static final Logger log = LoggerFactory.getLogger(MessageWriter.class);
  private static final Object POISON = new Object();

  private final OutputStream out;
  private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writing = new ReentrantLock();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean failed = new AtomicBoolean();
  private final AtomicLong consumed = new AtomicLong();
  private final Consumer<Throwable> onFailure;
  private final Thread thread;
  private volatile long written; // bytes written so far; changed only while holding 'writing'
  private volatile boolean parked;

  /**
   * Starts a writer thread named {@code threadName} writing to {@code out}.
   *
   * @param onFailure called once, on the thread whose write failed, if a write fails: with an
   *     {@link IOException} when the peer closed its end, with anything else (an {@code
   *     OutOfMemoryError}, a bug) when the writer died of it
   */
  public MessageWriter(OutputStream out, String threadName, Consumer<Throwable> onFailure) {
    this.out = new BufferedOutputStream(out, 64 * 1024);
    this.onFailure = onFailure;
    this.thread = new Thread(this::run, threadName);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Sends one encoded message (without its line break). Returns false if the writer is closing or
   * has failed, in which case the message is not written; once it returns true, the message is
   * written before the stream is closed, unless writing fails first.
   */
  public boolean send(byte[] message) {
    return enqueueOrWrite(message, message);
  }

  /** Sends a message and tells it where its bytes ended; see {@link #send(byte[])}. */
  public boolean send(Outgoing message) {
    return enqueueOrWrite(message, message.bytes());
  }

  /**
   * Reports that the peer has read everything up to {@code endOffset}, as given to {@link
   * Outgoing#written}. Reports may come in any order; the furthest counts.
   */
  public void consumedThrough(long endOffset) {
    long known = consumed.get();
    while (endOffset > known && !consumed.compareAndSet(known, endOffset)) {
      known = consumed.get();
    }
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

  private boolean enqueueOrWrite(Object message, byte[] bytes) {
    if (closing.get()) {
      return false;
    }
    if (queue.isEmpty() && fitsInPipe(bytes.length) && writing.tryLock()) {
      try {
        // Re-checked under the lock: the writer thread polls only while holding it, so an empty
        // queue here means every message sent earlier by this thread has been written.
        if (queue.isEmpty() && fitsInPipe(bytes.length)) {
          if (closing.get()) {
            return false;
          }
          write(message, bytes);
          out.flush();
          return true;
        }
      } catch (IOException e) {
        fail(e);
        return false;
      } catch (RuntimeException | Error e) {
        // The stream may hold half a message now: nothing more can be written after it. Reported
        // like any failure rather than thrown at a sender that may hold a slot it must give back.
        fail(e);
        return false;
      } finally {
        writing.unlock();
      }
    }
    queue.add(message);
    if (closing.get() && queue.remove(message)) {
      // close() ran since the check above, and its poison may be ahead of this message, where the
      // writer thread stops: taken back, the message is refused rather than accepted and dropped.
      // If the writer thread took it first, it was ahead of the poison and is written.
      return false;
    }
    if (parked) {
      LockSupport.unpark(thread);
    }
    return true;
  }

  private boolean fitsInPipe(int length) {
    return written - consumed.get() + length + 1 <= DIRECT_WRITE_LIMIT;
  }

  /** Writes one message into the buffer; the caller holds {@link #writing}. */
  private void write(Object message, byte[] bytes) throws IOException {
    out.write(bytes);
    out.write('\n');
    long end = written + bytes.length + 1;
    written = end;
    if (message instanceof Outgoing outgoing) {
      outgoing.written(this, end);
    }
  }

  private void run() {
    while (!failed.get()) {
      writing.lock();
      try {
        Object message;
        while ((message = queue.poll()) != null) {
          if (message == POISON) {
            closeQuietly();
            return;
          }
          write(message, message instanceof Outgoing outgoing ? outgoing.bytes() : (byte[]) message);
        }
        out.flush();
      } catch (IOException | RuntimeException | Error e) {
        // Whatever ends this thread ends the writer, and is reported: a writer that died silently
        // would leave every later message queued for nobody.
        fail(e);
        return;
      } finally {
        writing.unlock();
      }
      park();
    }
  }

  /** Stops the writer for good after a failed write; reports the failure once. */
  private void fail(Throwable e) {
    if (failed.compareAndSet(false, true)) {
      closing.set(true);
      queue.clear();
      LockSupport.unpark(thread);
      // Reported before the stream is closed: closing it makes the peer exit, and the failure,
      // not that exit, is what ended the connection.
      try {
        onFailure.accept(e);
      } finally {
        closeQuietly();
      }
    }
  }

  private void park() {
    parked = true;
    // Re-check after announcing the park so a message queued in between is never missed.
    if (queue.isEmpty() && !failed.get()) {
      LockSupport.park(this);
    }
    parked = false;
  }

  private void closeQuietly() {
    // Best effort, also after the stream failed with an Error: that one is reported already.
    try {
      out.flush();
    } catch (IOException | RuntimeException | Error e) {
      log.debug("Flush on close failed", e);
    }
    try {
      out.close();
    } catch (IOException | RuntimeException | Error e) {
      log.debug("Close failed", e);
    }
  }

  @Override
  public String toString() {
    return "MessageWriter{" + thread.getName() + ", written " + written + ", read " + consumed.get() + '}';
  }
}
