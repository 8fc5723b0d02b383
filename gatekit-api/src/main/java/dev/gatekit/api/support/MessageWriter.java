package dev.gatekit.api.support;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes encoded messages to a pipe, one per line, without ever blocking the sender.
 *
 * <p>Any thread may {@link #send} a message. Normally it is queued, and a drain task — at most one
 * per writer at a time, run by the writer's executor — writes everything queued into a buffer and
 * flushes once when the queue is empty, so a burst of N messages costs a few system calls, not N.
 * The executor is either a thread of the writer's own ({@link #MessageWriter(OutputStream, String,
 * Consumer)}) or one shared by many writers ({@link #MessageWriter(OutputStream, String, Executor,
 * Consumer)}): then an idle writer holds no thread at all, and a writer whose peer stopped reading
 * holds one of the executor's threads, blocked in a write, until the peer reads or the stream is
 * closed. When the writer is idle and the write provably cannot block, the sender writes and flushes
 * the message itself instead, which saves a thread hand-off on the round trip of a lone request.
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
 * sent them: a sender writes directly only when nothing is queued and no drain is writing. When
 * writing fails (the peer closed its end) the writer stops, reports the failure once, and drops what
 * is still queued; so it does when its executor refuses a drain task (the failure is the executor's
 * exception).
 *
 * <p>Memory: an idle writer holds its queue and a {@value #DIRECT_WRITE_LIMIT}-byte buffer for direct
 * writes (made on the first); the {@value #BATCH_BUFFER}-byte batch buffer belongs to the thread that
 * drains, one per thread, not one per writer.
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

  /** The size of a draining thread's batch buffer: what one write of a batch holds at most. */
  static final int BATCH_BUFFER = 64 * 1024;

  /**
   * Batches a drain writes before it gives its thread back to the executor and queues itself again
   * behind other writers' drains: a writer under steady load does not hold a shared thread forever.
   */
  static final int BATCHES_PER_TURN = 16;

  private static final Logger log = LoggerFactory.getLogger(MessageWriter.class);
  private static final Object POISON = new Object();
  private static final ThreadLocal<byte[]> BATCH = ThreadLocal.withInitial(() -> new byte[BATCH_BUFFER]);

  private final OutputStream out;
  private final String name;
  private final Executor drainer;
  private final @Nullable ExecutorService ownThread;
  private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
  private final ReentrantLock writing = new ReentrantLock();
  /** A drain task is queued on the executor or running; stays set for good once the writer ended. */
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean failed = new AtomicBoolean();
  private final AtomicLong consumed = new AtomicLong();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Consumer<Throwable> onFailure;
  private byte @Nullable [] direct; // guarded by 'writing'
  private volatile long written; // bytes written so far; changed only while holding 'writing'

  /**
   * Starts a writer with a thread of its own, named {@code threadName}, writing to {@code out}. The
   * thread ends when the writer does.
   *
   * @param onFailure called once, on the thread whose write failed, if a write fails: with an
   *     {@link IOException} when the peer closed its end, with anything else (an {@code
   *     OutOfMemoryError}, a bug) when the writer died of it
   */
  public MessageWriter(OutputStream out, String threadName, Consumer<Throwable> onFailure) {
    this(out, threadName, ownThread(threadName), onFailure, true);
  }

  /**
   * Makes a writer to {@code out} whose drain tasks run on {@code drainer}, shared with other
   * writers; it starts no thread. At most one drain task of this writer is queued or running at a
   * time.
   *
   * @param name names the writer in logs and {@link #toString()}
   * @param drainer runs drain tasks; it must never run one on the calling thread (a sender would then
   *     block on a full pipe), and it should not queue a task behind others' blocked writes for long:
   *     a task waiting there holds up this writer's messages (see the README of the transport that
   *     shares it for the pool it uses)
   * @param onFailure as for {@link #MessageWriter(OutputStream, String, Consumer)}; also called, with
   *     its exception, if {@code drainer} refuses a task
   */
  public MessageWriter(OutputStream out, String name, Executor drainer, Consumer<Throwable> onFailure) {
    this(out, name, drainer, onFailure, false);
  }

  private MessageWriter(
      OutputStream out, String name, Executor drainer, Consumer<Throwable> onFailure, boolean owned) {
    this.out = out;
    this.name = name;
    this.drainer = drainer;
    this.ownThread = owned ? (ExecutorService) drainer : null;
    this.onFailure = onFailure;
  }

  private static ExecutorService ownThread(String threadName) {
    return new ThreadPoolExecutor(
        1,
        1,
        0,
        TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(),
        task -> {
          Thread thread = new Thread(task, threadName);
          thread.setDaemon(true);
          return thread;
        });
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
   * stdin, which tells an MCP server to exit). Returns without waiting for the writing to finish.
   */
  public void close() {
    if (closing.compareAndSet(false, true)) {
      queue.add(POISON);
      schedule();
    }
  }

  /**
   * Waits up to {@code millis} for the writer to finish after {@link #close()} (or a failure): what
   * was queued written and the stream closed.
   */
  public void awaitTermination(long millis) throws InterruptedException {
    terminated.await(Math.max(1, millis), TimeUnit.MILLISECONDS);
  }

  /** Returns whether nothing is queued and no drain task is queued or running (a snapshot). */
  boolean isIdle() {
    return !scheduled.get() && queue.isEmpty();
  }

  private boolean enqueueOrWrite(Object message, byte[] bytes) {
    if (closing.get()) {
      return false;
    }
    if (queue.isEmpty() && fitsInPipe(bytes.length) && writing.tryLock()) {
      try {
        // Re-checked under the lock: a drain polls only while holding it, so an empty queue here
        // means every message sent earlier by this thread has been written.
        if (queue.isEmpty() && fitsInPipe(bytes.length)) {
          if (closing.get()) {
            return false;
          }
          writeDirectly(message, bytes);
          return true;
        }
      } catch (IOException | RuntimeException | Error e) {
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
      // drain stops: taken back, the message is refused rather than accepted and dropped. If the
      // drain took it first, it was ahead of the poison and is written.
      return false;
    }
    schedule();
    return true;
  }

  private boolean fitsInPipe(int length) {
    return written - consumed.get() + length + 1 <= DIRECT_WRITE_LIMIT;
  }

  /** Writes and flushes one message, line break included, in one write; holding {@link #writing}. */
  private void writeDirectly(Object message, byte[] bytes) throws IOException {
    byte[] buffer = direct;
    if (buffer == null) {
      buffer = new byte[DIRECT_WRITE_LIMIT];
      direct = buffer;
    }
    System.arraycopy(bytes, 0, buffer, 0, bytes.length);
    buffer[bytes.length] = '\n';
    out.write(buffer, 0, bytes.length + 1);
    advance(message, bytes.length);
    out.flush();
  }

  /** Counts a message as written and tells its sender where it ended; holding {@link #writing}. */
  private void advance(Object message, int length) {
    long end = written + length + 1;
    written = end;
    if (message instanceof Outgoing outgoing) {
      outgoing.written(this, end);
    }
  }

  /** Queues a drain task unless one is queued or running already. */
  private void schedule() {
    if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
      submitDrain();
    }
  }

  private void submitDrain() {
    try {
      drainer.execute(this::drain);
    } catch (RuntimeException | Error e) {
      // Refused (the executor was shut down, or is full): nothing would ever write what is queued.
      // The flag stays set, so no other drain is tried. The lock keeps a direct write whole.
      writing.lock();
      try {
        fail(e);
      } finally {
        writing.unlock();
      }
    }
  }

  /** The drain task: writes batches until the queue is empty, then gives the thread back. */
  private void drain() {
    int batches = 0;
    while (true) {
      writing.lock();
      try {
        if (!writeBatch()) {
          return; // ended: the flag stays set, no drain runs again
        }
      } finally {
        writing.unlock();
      }
      scheduled.set(false);
      // A message queued after the last poll but before the flag was cleared would be stranded;
      // re-check, and carry on unless another drain took over.
      if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
        return;
      }
      if (++batches == BATCHES_PER_TURN) {
        submitDrain(); // behind other writers' drains
        return;
      }
    }
  }

  /**
   * Writes everything queued as one batch with one flush; holding {@link #writing}. Returns false
   * once the writer has ended (closed or failed).
   */
  private boolean writeBatch() {
    if (failed.get()) {
      return false;
    }
    byte[] buffer = BATCH.get();
    int filled = 0;
    try {
      Object message;
      while ((message = queue.poll()) != null) {
        if (message == POISON) {
          if (filled > 0) {
            out.write(buffer, 0, filled);
          }
          closeQuietly();
          return false;
        }
        byte[] bytes = message instanceof Outgoing outgoing ? outgoing.bytes() : (byte[]) message;
        if (filled + bytes.length + 1 > buffer.length) {
          if (filled > 0) {
            out.write(buffer, 0, filled);
            filled = 0;
          }
          if (bytes.length + 1 > buffer.length) {
            out.write(bytes); // too big to copy; its line break starts the next buffer
            buffer[filled++] = '\n';
            advance(message, bytes.length);
            continue;
          }
        }
        System.arraycopy(bytes, 0, buffer, filled, bytes.length);
        filled += bytes.length;
        buffer[filled++] = '\n';
        advance(message, bytes.length);
      }
      if (filled > 0) {
        out.write(buffer, 0, filled);
      }
      out.flush();
      return true;
    } catch (IOException | RuntimeException | Error e) {
      // Whatever ends a drain ends the writer, and is reported: a writer that died silently would
      // leave every later message queued for nobody.
      fail(e);
      return false;
    }
  }

  /** Stops the writer for good after a failed write; reports the failure once. */
  private void fail(Throwable e) {
    if (failed.compareAndSet(false, true)) {
      closing.set(true);
      scheduled.set(true);
      queue.clear();
      // Reported before the stream is closed: closing it makes the peer exit, and the failure,
      // not that exit, is what ended the connection.
      try {
        onFailure.accept(e);
      } finally {
        closeQuietly();
      }
    }
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
    terminated.countDown();
    if (ownThread != null) {
      ownThread.shutdown(); // the running drain, if any, finishes; the thread then ends
    }
  }

  @Override
  public String toString() {
    return "MessageWriter{" + name + ", written " + written + ", read " + consumed.get() + '}';
  }
}
