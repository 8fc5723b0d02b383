package dev.gatekit.testkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  @Test
  void splitsOnLineFeedsDropsCarriageReturnsAndSkipsBlankLines() throws IOException {
    assertThat(read("a\r\nbb\n\n  \t\r\n\rc\nlast", 64)).containsExactly("a", "bb", "\rc", "last");
  }

  @Test
  void readsLinesSplitAcrossManySmallReads() throws IOException {
    String input = "first line\nsecond\r\nthird\n";

    assertThat(read(new TrickleInputStream(bytes(input), 3), 4))
        .containsExactly("first line", "second", "third");
  }

  @Test
  void readsLinesMuchLongerThanTheChunkSize() throws IOException {
    String longLine = "y".repeat(100_000);

    assertThat(read("short\n" + longLine + "\nafter\n" + longLine, 16))
        .containsExactly("short", longLine, "after", longLine);
  }

  @Test
  void anEmptyStreamHasNoLines() throws IOException {
    assertThat(read("", 16)).isEmpty();
  }

  private static List<String> read(String input, int chunkSize) throws IOException {
    return read(new ByteArrayInputStream(bytes(input)), chunkSize);
  }

  private static List<String> read(InputStream in, int chunkSize) throws IOException {
    List<String> lines = new ArrayList<>();
    new LineReader(in, chunkSize)
        .readAll(
            (buffer, offset, length) ->
                lines.add(new String(buffer, offset, length, StandardCharsets.UTF_8)));
    return lines;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Returns at most a few bytes per read, as a slow pipe does. */
  private static final class TrickleInputStream extends InputStream {
    private final byte[] data;
    private final int maxPerRead;
    private int position;

    TrickleInputStream(byte[] data, int maxPerRead) {
      this.data = data;
      this.maxPerRead = maxPerRead;
    }

    @Override
    public int read() {
      return position < data.length ? data[position++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) {
      if (position == data.length) {
        return -1;
      }
      int count = Math.min(Math.min(length, maxPerRead), data.length - position);
      System.arraycopy(data, position, buffer, offset, count);
      position += count;
      return count;
    }
  }
}
