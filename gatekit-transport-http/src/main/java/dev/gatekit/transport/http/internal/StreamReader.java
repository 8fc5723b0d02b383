package dev.gatekit.transport.http.internal;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads one HTTP response body as its chunks arrive ({@link #onContent}, then {@link #end()} when the
 * body ended), without blocking a thread: an {@code application/json} body (one message, at most
 * {@code maxBytes}), a {@code text/event-stream} (each {@code message} event one message, each event
 * at most {@code maxBytes}), or the text of an error answer (its first few kilobytes, for the error
 * message). A {@link Call} feeds it, one chunk at a time.
 *
 * <p>Messages go to the listener on the HTTP client's thread, in stream order. Input that breaks the
 * bound or is not a JSON-RPC message ends the read with a {@link #problem()} — except on a stream
 * read with {@code tolerant}, where a bad event is reported through {@link
 * Listener#onBadEvent} and the stream goes on. A read that is stopped (by bad input or {@link
 * #abort()}) gives up its exchange.
 */
public final class StreamReader {

  /** Receives what a stream carries. */
  public interface Listener {
    /** One message, in stream order. */
    void onMessage(JsonRpcMessage message);

    /** An event of a tolerant stream that is not a valid message, or too large; dropped. */
    default void onBadEvent(String problem) {}
  }

  private enum Kind {
    JSON,
    SSE,
    TEXT
  }

  /** How much of an error answer's text is kept. */
  private static final int TEXT_LIMIT = 4096;

  private final Kind kind;
  private final int maxBytes;
  private final boolean tolerant;
  private final Listener listener;
  private final @Nullable SseParser parser;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private @Nullable ByteArrayOutputStream collected;
  private long seen;
  /** Gives up the exchange whose body this reads. */
  private volatile @Nullable Runnable stopper;
  private volatile boolean stopped;
  private volatile @Nullable String problem;

  private StreamReader(Kind kind, int maxBytes, boolean tolerant, Listener listener) {
    this.kind = kind;
    this.maxBytes = maxBytes;
    this.tolerant = tolerant;
    this.listener = listener;
    this.parser = kind == Kind.SSE ? new SseParser(maxBytes, this::onEvent) : null;
    this.collected = kind == Kind.SSE ? null : new ByteArrayOutputStream(kind == Kind.JSON ? 512 : 256);
  }

  /** Reads an {@code application/json} body of at most {@code maxBytes}. */
  public static StreamReader json(int maxBytes, Listener listener) {
    return new StreamReader(Kind.JSON, maxBytes, false, listener);
  }

  /** Reads an event stream; with {@code tolerant}, bad events are dropped rather than ending it. */
  public static StreamReader sse(int maxEventBytes, boolean tolerant, Listener listener) {
    return new StreamReader(Kind.SSE, maxEventBytes, tolerant, listener);
  }

  /** Keeps the first few kilobytes of an error answer's text. */
  public static StreamReader text(int maxBytes) {
    return new StreamReader(Kind.TEXT, maxBytes, true, message -> {});
  }

  /** Returns why the read was stopped (bad input, over the bound), or null. */
  public @Nullable String problem() {
    return problem;
  }

  /** Returns the kept text of an error answer (empty for other kinds). */
  public String text() {
    ByteArrayOutputStream bytes = collected;
    return kind != Kind.TEXT || bytes == null ? "" : bytes.toString(StandardCharsets.UTF_8);
  }

  /** Returns the last event id of an event stream, or null. */
  public @Nullable String lastEventId() {
    SseParser current = parser;
    return current == null ? null : current.lastEventId();
  }

  /** Returns the reconnection time an event stream asked for, or -1. */
  public long retryMillis() {
    SseParser current = parser;
    return current == null ? -1 : current.retryMillis();
  }

  /** Returns whether this reads an event stream. */
  public boolean isEventStream() {
    return kind == Kind.SSE;
  }

  /** Stops reading: the exchange is given up. Idempotent. */
  public void abort() {
    if (stopped) {
      return;
    }
    stopped = true;
    Runnable current = stopper;
    if (current != null) {
      current.run();
    }
  }

  /** Returns whether the read was stopped (by bad input or {@link #abort()}). */
  public boolean stopped() {
    return stopped;
  }

  /** Sets what gives up the exchange when the read stops; runs it at once if it stopped already. */
  void stopWith(Runnable value) {
    stopper = value;
    if (stopped) {
      value.run();
    }
  }

  /** Reads the next chunk of the body. */
  public void onContent(ByteBuffer chunk) {
    if (stopped) {
      return;
    }
    try {
      switch (kind) {
        case SSE -> feed(chunk);
        case JSON -> collect(chunk, maxBytes, true);
        case TEXT -> collect(chunk, TEXT_LIMIT, false);
      }
    } catch (MessageTooLargeException e) {
      stop(e.getMessage());
    }
  }

  /** The body ended: an {@code application/json} body is decoded now. */
  public void end() {
    if (!stopped && kind == Kind.JSON) {
      ByteArrayOutputStream bytes = collected;
      collected = null;
      if (bytes == null || bytes.size() == 0) {
        problem = "the response body is empty";
      } else {
        deliver(bytes.toByteArray(), "the response body");
      }
    }
  }

  private void feed(ByteBuffer chunk) {
    SseParser current = parser;
    if (current == null) {
      return;
    }
    if (tolerant) {
      while (chunk.hasRemaining()) {
        try {
          current.feed(chunk);
        } catch (MessageTooLargeException e) {
          listener.onBadEvent(String.valueOf(e.getMessage()));
          // The parser dropped the event so far; the rest of its bytes are read as new lines.
        }
      }
    } else {
      current.feed(chunk);
    }
  }

  private void collect(ByteBuffer chunk, int limit, boolean strict) {
    int length = chunk.remaining();
    seen += length;
    ByteArrayOutputStream bytes = collected;
    if (bytes == null) {
      return;
    }
    if (seen > limit) {
      if (strict) {
        throw new MessageTooLargeException("The response body", limit);
      }
      int room = (int) Math.max(0, limit - (seen - length));
      byte[] part = new byte[room];
      chunk.get(part);
      bytes.write(part, 0, room);
      if (seen > (long) maxBytes) {
        abort(); // an error answer that goes on and on: the start of it will do
      }
      return;
    }
    if (chunk.hasArray()) {
      bytes.write(chunk.array(), chunk.arrayOffset() + chunk.position(), length);
      chunk.position(chunk.limit());
    } else {
      byte[] part = new byte[length];
      chunk.get(part);
      bytes.write(part, 0, length);
    }
  }

  private void onEvent(SseEvent event) {
    if (stopped || !"message".equals(event.type()) || event.data().length == 0) {
      return; // MCP sends messages as "message" events; other types and empty (priming) events carry none
    }
    deliver(event.data(), "an SSE event");
  }

  private void deliver(byte[] json, String where) {
    JsonRpcMessage message;
    try {
      message = codec.decode(json);
    } catch (ProtocolException e) {
      String why = where + " is not a valid JSON-RPC message: " + e.getMessage();
      if (tolerant) {
        listener.onBadEvent(why);
      } else {
        stop(why);
      }
      return;
    }
    listener.onMessage(message);
  }

  private void stop(@Nullable String why) {
    problem = why;
    abort();
  }
}
