package dev.gatekit.proxy.internal;

import dev.gatekit.api.support.MessageWriter;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What waits to be written to a client, bounded in bytes. Sending never blocks (answers come from
 * threads that must not wait for a client); instead the client's reader calls {@link #awaitRoom}
 * before it takes the next message, and stops reading while more than {@code maxQueuedBytes} wait.
 * A client that does not read therefore holds back its own requests: the pipe fills, its writes
 * block, and what the gateway holds stays near the bound (plus the answers to the requests already
 * in flight). Thread-safe.
 */
public final class ClientOutbox {

  private static final Logger log = LoggerFactory.getLogger(ClientOutbox.class);

  private final MessageWriter writer;
  private final long maxQueuedBytes;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition drained = lock.newCondition();
  private volatile boolean waiting;
  private volatile boolean closed;

  /**
   * Starts writing to {@code out} on a thread of its own.
   *
   * @param onFailure told once, on the failing thread, when writing to the client failed for good
   *     (the client closed its end, or the writer thread died of an error): nothing more can reach
   *     the client
   */
  public ClientOutbox(OutputStream out, long maxQueuedBytes, Consumer<Throwable> onFailure) {
    if (maxQueuedBytes <= 0) {
      throw new IllegalArgumentException("maxQueuedBytes must be positive, was " + maxQueuedBytes);
    }
    this.maxQueuedBytes = maxQueuedBytes;
    this.writer = new MessageWriter(out, "gatekit-client-writer", e -> {
      log.warn("Writing to the client failed: {}", e.toString());
      release(); // what was queued is dropped: nothing will drain it
      onFailure.accept(e);
    });
  }

  /** Queues one encoded message; returns false when the writer has stopped. Never blocks. */
  public boolean send(byte[] message) {
    int size = message.length + 1;
    queuedBytes.addAndGet(size);
    boolean accepted = writer.send(new MessageWriter.Outgoing() {
      @Override
      public byte[] bytes() {
        return message;
      }

      @Override
      public void written(MessageWriter w, long endOffset) {
        released(size);
      }
    });
    if (!accepted) {
      released(size);
    }
    return accepted;
  }

  /**
   * Blocks while more than the bound waits to be written, unless the outbox is closed. Returns
   * whether the caller waited.
   */
  public boolean awaitRoom() throws InterruptedException {
    if (queuedBytes.get() <= maxQueuedBytes || closed) {
      return false;
    }
    lock.lock();
    try {
      waiting = true;
      while (queuedBytes.get() > maxQueuedBytes && !closed) {
        drained.await();
      }
      return true;
    } finally {
      waiting = false;
      lock.unlock();
    }
  }

  /** Returns the bytes queued and not yet written. */
  public long queuedBytes() {
    return queuedBytes.get();
  }

  /** Returns whether the reader is waiting for the client to read. */
  public boolean isReaderWaiting() {
    return waiting;
  }

  /**
   * Stops taking messages, writes what is queued, then closes the stream; a waiting reader is let go
   * for good. Returns without waiting; see {@link #awaitTermination}.
   */
  public void close() {
    release();
    writer.close();
  }

  /** Waits up to {@code millis} for what was queued to be written after {@link #close()}. */
  public void awaitTermination(long millis) throws InterruptedException {
    writer.awaitTermination(millis);
  }

  private void release() {
    closed = true;
    signal();
  }

  private void released(int size) {
    long now = queuedBytes.addAndGet(-size);
    if (waiting && now <= maxQueuedBytes) {
      signal();
    }
  }

  private void signal() {
    lock.lock();
    try {
      drained.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
