package dev.gatekit.testkit.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines at {@code '\n'}, reading in large chunks. A {@code '\r'} before
 * the line break is dropped, lines of nothing but spaces and tabs are skipped, and a last line
 * without a line break is delivered at end of stream. Lines may be of any size: the buffer grows to
 * hold the longest line and shrinks back afterwards.
 *
 * <p>Not thread-safe: one thread calls {@link #readAll}.
 */
final class LineReader {

  /** Receives each line; the bytes are only valid during the call. */
  @FunctionalInterface
  interface LineHandler {
    void onLine(byte[] buffer, int offset, int length);

    /** Called after the lines of one read are delivered, before reading again (which may block). */
    default void onChunkEnd() {}
  }

  static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

  private static final int MAX_BUFFER_SIZE = Integer.MAX_VALUE - 16;

  private final InputStream in;
  private final int chunkSize;

  LineReader(InputStream in) {
    this(in, DEFAULT_CHUNK_SIZE);
  }

  LineReader(InputStream in, int chunkSize) {
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunkSize must be at least 1, was " + chunkSize);
    }
    this.in = in;
    this.chunkSize = chunkSize;
  }

  /** Reads until end of stream, handing every line to {@code handler}. */
  void readAll(LineHandler handler) throws IOException {
    byte[] buffer = new byte[chunkSize];
    int start = 0; // first byte of the current, incomplete line
    int end = 0; // end of the bytes read so far
    while (true) {
      if (end == buffer.length) {
        buffer = grow(buffer);
      }
      int read = in.read(buffer, end, buffer.length - end);
      if (read < 0) {
        break;
      }
      int scan = end;
      end += read;
      for (int newline = indexOf(buffer, scan, end);
          newline >= 0;
          newline = indexOf(buffer, scan, end)) {
        deliver(handler, buffer, start, newline);
        start = newline + 1;
        scan = start;
      }
      if (start == end) {
        start = 0;
        end = 0;
        if (buffer.length > 4 * chunkSize) {
          buffer = new byte[chunkSize]; // a huge line has passed; give the memory back
        }
      } else if (start > 0) {
        System.arraycopy(buffer, start, buffer, 0, end - start);
        end -= start;
        start = 0;
      }
      handler.onChunkEnd();
    }
    if (start < end) {
      deliver(handler, buffer, start, end);
    }
  }

  private static int indexOf(byte[] buffer, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buffer[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static void deliver(LineHandler handler, byte[] buffer, int start, int end) {
    int last = end;
    if (last > start && buffer[last - 1] == '\r') {
      last--;
    }
    if (!isBlank(buffer, start, last)) {
      handler.onLine(buffer, start, last - start);
    }
  }

  private static boolean isBlank(byte[] buffer, int start, int end) {
    for (int i = start; i < end; i++) {
      if (buffer[i] != ' ' && buffer[i] != '\t') {
        return false;
      }
    }
    return true;
  }

  private static byte[] grow(byte[] buffer) throws IOException {
    if (buffer.length >= MAX_BUFFER_SIZE) {
      throw new IOException("a line is longer than " + MAX_BUFFER_SIZE + " bytes");
    }
    return Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, MAX_BUFFER_SIZE));
  }
}
