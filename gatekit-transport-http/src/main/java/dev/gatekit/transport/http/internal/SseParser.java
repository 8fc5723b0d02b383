package dev.gatekit.transport.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An incremental parser of a {@code text/event-stream}, as the WHATWG HTML standard ("Server-sent
 * events", interpreting an event stream) specifies: lines end with CRLF, LF or CR (a CRLF split
 * across two chunks counts once); a leading BOM is skipped; {@code :} starts a comment; one space
 * after the field's colon is dropped; {@code data} lines are joined with LF; an empty line dispatches
 * the event unless its data is empty; {@code id} sets the last event id (unless it contains NUL) and
 * that id persists across events; {@code retry} with only ASCII digits sets the reconnection time;
 * unknown fields are ignored; an event not ended by an empty line when the stream ends is dropped.
 *
 * <p>Bytes are kept as bytes (UTF-8 is decoded only for field names, ids and types): LF and CR never
 * occur inside a multi-byte UTF-8 sequence, so splitting lines on bytes is safe. An event whose
 * pending lines and data exceed {@code maxEventBytes} makes {@link #feed} throw {@link
 * MessageTooLargeException} without buffering more. Not thread-safe: feed one stream from one
 * thread at a time.
 */
public final class SseParser {

  private static final byte LF = '\n';
  private static final byte CR = '\r';

  private final int maxEventBytes;
  private final Consumer<SseEvent> sink;

  private byte[] line = new byte[256];
  private int lineLength;
  private byte[] data = new byte[256];
  private int dataLength;
  private boolean hasData;
  private @Nullable String eventType;
  private @Nullable String lastEventId;
  private long retryMillis = -1;
  private boolean afterCr;
  private boolean started;

  public SseParser(int maxEventBytes, Consumer<SseEvent> sink) {
    if (maxEventBytes < 1) {
      throw new IllegalArgumentException("maxEventBytes must be positive, was " + maxEventBytes);
    }
    this.maxEventBytes = maxEventBytes;
    this.sink = sink;
  }

  /** Parses the remaining bytes of {@code chunk}, dispatching each complete event to the sink. */
  public void feed(ByteBuffer chunk) {
    while (chunk.hasRemaining()) {
      byte b = chunk.get();
      if (!started) {
        started = true;
        if (b == (byte) 0xEF) {
          // A UTF-8 BOM is EF BB BF; the standard skips one at the very start.
          if (skipBom(chunk)) {
            continue;
          }
        }
      }
      if (afterCr) {
        afterCr = false;
        if (b == LF) {
          continue; // the LF of a CRLF whose CR ended the line already
        }
      }
      if (b == LF || b == CR) {
        afterCr = b == CR;
        processLine();
        lineLength = 0;
      } else {
        append(b);
      }
    }
  }

  /** Parses a whole string, as {@link #feed(ByteBuffer)} would its UTF-8 bytes. */
  public void feed(String text) {
    feed(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Returns the last event id the stream set, or {@code null} if it never set one. */
  public @Nullable String lastEventId() {
    return lastEventId;
  }

  /** Returns the reconnection time the stream asked for, in milliseconds, or -1 if it asked none. */
  public long retryMillis() {
    return retryMillis;
  }

  private boolean skipBom(ByteBuffer chunk) {
    // Only a BOM wholly inside the first chunk is recognised; streams from servers rarely have one.
    if (chunk.remaining() >= 2
        && chunk.get(chunk.position()) == (byte) 0xBB
        && chunk.get(chunk.position() + 1) == (byte) 0xBF) {
      chunk.position(chunk.position() + 2);
      return true;
    }
    append((byte) 0xEF);
    return true;
  }

  private void append(byte b) {
    if (lineLength == line.length) {
      if (lineLength + dataLength >= maxEventBytes) {
        throw tooLarge();
      }
      line = Arrays.copyOf(line, Math.min(line.length * 2, maxEventBytes + 1));
    }
    line[lineLength++] = b;
    if (lineLength + dataLength > maxEventBytes) {
      throw tooLarge();
    }
  }

  private MessageTooLargeException tooLarge() {
    lineLength = 0;
    dataLength = 0;
    hasData = false;
    return new MessageTooLargeException("A server-sent event", maxEventBytes);
  }

  private void processLine() {
    if (lineLength == 0) {
      dispatch();
      return;
    }
    if (line[0] == ':') {
      return; // a comment
    }
    int colon = indexOf((byte) ':');
    int nameEnd = colon < 0 ? lineLength : colon;
    int valueStart = colon < 0 ? lineLength : colon + 1;
    if (valueStart < lineLength && line[valueStart] == ' ') {
      valueStart++;
    }
    if (is("data", nameEnd)) {
      appendData(valueStart);
    } else if (is("event", nameEnd)) {
      eventType = text(valueStart);
    } else if (is("id", nameEnd)) {
      String id = text(valueStart);
      if (id.indexOf('\0') < 0) {
        lastEventId = id;
      }
    } else if (is("retry", nameEnd)) {
      setRetry(valueStart);
    }
  }

  private void appendData(int from) {
    int length = lineLength - from;
    int needed = dataLength + length + 1;
    if (needed > maxEventBytes) {
      throw tooLarge();
    }
    if (needed > data.length) {
      data = Arrays.copyOf(data, Math.min(Math.max(needed, data.length * 2), maxEventBytes + 1));
    }
    System.arraycopy(line, from, data, dataLength, length);
    dataLength += length;
    data[dataLength++] = LF;
    hasData = true;
  }

  private void setRetry(int from) {
    if (from == lineLength || lineLength - from > 18) {
      return;
    }
    long value = 0;
    for (int i = from; i < lineLength; i++) {
      byte b = line[i];
      if (b < '0' || b > '9') {
        return;
      }
      value = value * 10 + (b - '0');
    }
    retryMillis = value;
  }

  private void dispatch() {
    if (!hasData) {
      eventType = null; // the standard resets the type even when nothing is dispatched
      return;
    }
    byte[] payload = Arrays.copyOf(data, dataLength - 1); // without the last LF
    String type = eventType == null || eventType.isEmpty() ? "message" : eventType;
    dataLength = 0;
    hasData = false;
    eventType = null;
    sink.accept(new SseEvent(type, payload, lastEventId));
  }

  private int indexOf(byte b) {
    for (int i = 0; i < lineLength; i++) {
      if (line[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private boolean is(String field, int nameEnd) {
    if (nameEnd != field.length()) {
      return false;
    }
    for (int i = 0; i < nameEnd; i++) {
      if (line[i] != field.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private String text(int from) {
    return new String(line, from, lineLength - from, StandardCharsets.UTF_8);
  }
}
