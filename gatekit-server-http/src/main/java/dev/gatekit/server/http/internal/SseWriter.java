package dev.gatekit.server.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * One HTTP response that carries a {@code text/event-stream}: frames are queued by any thread and
 * written one write at a time (what queued during a write goes out together in the next), never
 * blocking the caller. {@link #end()} finishes the response after what is queued; a failed write, or
 * {@link #abort}, ends it too. Either way the handler's callback completes exactly once and the
 * completion listener hears whether everything queued was written.
 */
final class SseWriter extends IteratingCallback {

  /** A comment line: ignored by clients, it shows a dead connection up as a failed write. */
  static final byte[] KEEP_ALIVE = ":\n\n".getBytes(StandardCharsets.US_ASCII);

  private final Response response;
  private final Callback callback;
  private final BiConsumer<SseWriter, Boolean> onDone;
  private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
  private boolean committed;
  private boolean ending;
  private boolean lastWritten;
  private boolean finished;
  private long lastWriteNanos = System.nanoTime();

  /**
   * Sets the response's status and headers for an event stream; the first write sends them.
   *
   * @param onDone told once, when the response is over, whether it ended cleanly
   */
  SseWriter(Response response, Callback callback, BiConsumer<SseWriter, Boolean> onDone) {
    this.response = response;
    this.callback = callback;
    this.onDone = onDone;
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, no-store");
    response.getHeaders().put("X-Accel-Buffering", "no");
  }

  /** Sends the headers now, before any event (the GET stream). */
  void commit() {
    iterate();
  }

  /** Queues a frame; returns false when the stream is already ending or over. */
  boolean write(byte[] frame) {
    synchronized (this) {
      if (ending || finished) {
        return false;
      }
      queue.add(frame);
    }
    iterate();
    return true;
  }

  /** Ends the response after what is queued. */
  void end() {
    synchronized (this) {
      if (ending || finished) {
        return;
      }
      ending = true;
    }
    iterate();
  }

  /** Whether the response is still open for frames. */
  synchronized boolean isOpen() {
    return !ending && !finished;
  }

  /** Nanos of the last write started (for keep-alives). */
  synchronized long lastWriteNanos() {
    return lastWriteNanos;
  }

  @Override
  protected Action process() {
    ByteBuffer buffer;
    boolean last;
    synchronized (this) {
      if (lastWritten) {
        return Action.SUCCEEDED;
      }
      if (queue.isEmpty()) {
        if (ending) {
          buffer = ByteBuffer.allocate(0);
          last = true;
          lastWritten = true;
        } else if (!committed) {
          buffer = ByteBuffer.allocate(0);
          last = false;
        } else {
          return Action.IDLE;
        }
      } else {
        int size = 0;
        for (byte[] frame : queue) {
          size += frame.length;
        }
        buffer = ByteBuffer.allocate(size);
        for (byte[] frame; (frame = queue.poll()) != null; ) {
          buffer.put(frame);
        }
        buffer.flip();
        last = false;
      }
      committed = true;
      lastWriteNanos = System.nanoTime();
    }
    response.write(last, buffer, this);
    return Action.SCHEDULED;
  }

  @Override
  protected void onCompleteSuccess() {
    synchronized (this) {
      finished = true;
    }
    callback.succeeded();
    onDone.accept(this, true);
  }

  @Override
  protected void onCompleteFailure(Throwable cause) {
    synchronized (this) {
      finished = true;
      queue.clear();
    }
    callback.failed(cause);
    onDone.accept(this, false);
  }
}
