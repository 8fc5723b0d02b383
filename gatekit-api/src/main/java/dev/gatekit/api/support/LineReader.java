package dev.gatekit.api.support;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into newline-terminated lines without ever holding more than the maximum
 * line length in memory.
 *
 * <p>Lines are handed over as slices of an internal buffer, valid only during the callback. A
 * trailing {@code '\r'} is removed; blank lines (only spaces, tabs or {@code '\r'}) are skipped. A
 * line longer than the maximum is read past in chunks and reported with its length, never buffered
 * whole. Bytes are not decoded here, so invalid UTF-8 reaches the handler as it came. Not
 * thread-safe: one reader thread owns an instance.
 *
 * <p>Memory: the buffer starts at {@value #INITIAL_BUFFER} bytes, doubles up to {@value
 * #READ_BUFFER} while reads keep filling it, and beyond that only for a line longer than it, up to
 * the maximum line length plus one.
 */
public final class LineReader {

  /** Receives what a {@link LineReader} reads. */
  public interface Handler {
    /** A complete line, without its line break, in {@code buffer[offset, offset + length)}. */
    void onLine(byte[] buffer, int offset, int length);

    /** A line of {@code length} bytes that exceeded the maximum and was discarded. */
    void onOversizeLine(long length);
  }

  /**
   * The buffer a reader starts with: what an idle connection's reader holds while it waits for a
   * line (its thread blocked in a read into it).
   */
  static final int INITIAL_BUFFER = 8 * 1024;

  /**
   * The buffer a busy reader grows to: once a read fills all the free space it was given, half the
   * buffer or more (more was waiting in the pipe), the buffer doubles up to this, so a burst is
   * taken in few system calls.
   */
  static final int READ_BUFFER = 64 * 1024;

  private final InputStream in;
  private final int maxLineLength;
  private byte[] buffer;
  private int start; // first byte of the current (incomplete) line
  private int end; // one past the last byte read
  private long discarding = -1; // bytes of an oversize line read so far, or -1

  public LineReader(InputStream in, int maxLineLength) {
    if (maxLineLength < 1) {
      throw new IllegalArgumentException("maxLineLength must be positive, was " + maxLineLength);
    }
    this.in = in;
    this.maxLineLength = maxLineLength;
    this.buffer = new byte[Math.min(INITIAL_BUFFER, maxLineLength + 1)];
  }

  /**
   * Reads until the end of the stream, calling the handler for each line in order. A final line
   * without a line break is delivered too.
   *
   * @throws IOException if reading fails
   */
  public void run(Handler handler) throws IOException {
    boolean filled = false; // whether the last read filled all the space it was given, a lot of it
    while (true) {
      makeRoom(filled);
      int asked = buffer.length - end;
      int n = in.read(buffer, end, asked);
      if (n < 0) {
        finish(handler);
        return;
      }
      // Filling a sliver at the end of the buffer proves nothing; filling half of it or more does.
      filled = n == asked && asked >= buffer.length / 2;
      int scanFrom = end;
      end += n;
      deliverLines(handler, scanFrom);
    }
  }

  /** Returns the buffer's size now; for tests. */
  int bufferSize() {
    return buffer.length;
  }

  private void deliverLines(Handler handler, int scanFrom) {
    byte[] b = buffer;
    for (int i = scanFrom; i < end; i++) {
      if (b[i] != '\n') {
        continue;
      }
      if (discarding >= 0) {
        handler.onOversizeLine(discarding + (i - start));
        discarding = -1;
      } else {
        deliver(handler, start, i - start);
      }
      start = i + 1;
    }
    if (discarding >= 0) {
      // Still inside an oversize line: count and drop what we have.
      discarding += end - start;
      start = end = 0;
    } else if (end - start > maxLineLength) {
      discarding = end - start;
      start = end = 0;
    }
  }

  private void deliver(Handler handler, int offset, int length) {
    int len = length;
    if (len > 0 && buffer[offset + len - 1] == '\r') {
      len--;
    }
    if (isBlank(buffer, offset, len)) {
      return;
    }
    handler.onLine(buffer, offset, len);
  }

  private void finish(Handler handler) {
    if (discarding >= 0) {
      handler.onOversizeLine(discarding);
    } else if (end > start) {
      deliver(handler, start, end - start);
    }
    start = end = 0;
  }

  /**
   * Ensures free space after {@code end}: grows towards {@link #READ_BUFFER} after a read that
   * filled its space, else compacts, or grows up to the maximum line length.
   */
  private void makeRoom(boolean filled) {
    if (start == end) {
      start = end = 0;
    }
    if (filled && buffer.length < READ_BUFFER && buffer.length <= maxLineLength) {
      byte[] grown = new byte[(int) Math.min(Math.min((long) buffer.length * 2, READ_BUFFER), (long) maxLineLength + 1)];
      System.arraycopy(buffer, start, grown, 0, end - start);
      end -= start;
      start = 0;
      buffer = grown;
      return;
    }
    if (end < buffer.length) {
      return;
    }
    if (start > 0) {
      System.arraycopy(buffer, start, buffer, 0, end - start);
      end -= start;
      start = 0;
      return;
    }
    // The partial line fills the buffer; maxLineLength + 1 bytes always suffice to decide.
    int grown = (int) Math.min((long) buffer.length * 2, (long) maxLineLength + 1);
    buffer = Arrays.copyOf(buffer, grown);
  }

  private static boolean isBlank(byte[] b, int offset, int length) {
    for (int i = offset; i < offset + length; i++) {
      byte c = b[i];
      if (c != ' ' && c != '\t' && c != '\r') {
        return false;
      }
    }
    return true;
  }
}
