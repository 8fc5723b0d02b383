package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LineReaderTest {

  private final List<String> lines = new ArrayList<>();
  private final List<Long> oversize = new ArrayList<>();

  private final LineReader.Handler handler =
      new LineReader.Handler() {
        @Override
        public void onLine(byte[] buffer, int offset, int length) {
          lines.add(new String(buffer, offset, length, StandardCharsets.ISO_8859_1));
        }

        @Override
        public void onOversizeLine(long length) {
          oversize.add(length);
        }
      };

  @Test
  void splitsLinesAndStripsCarriageReturns() throws IOException {
    read("a\nbb\r\nccc\n", 1024, Integer.MAX_VALUE);
    assertThat(lines).containsExactly("a", "bb", "ccc");
  }

  @Test
  void skipsBlankLines() throws IOException {
    read("\n\n  \t\r\nx\n\r\n", 1024, Integer.MAX_VALUE);
    assertThat(lines).containsExactly("x");
  }

  @Test
  void deliversAFinalLineWithoutLineBreak() throws IOException {
    read("a\nlast", 1024, Integer.MAX_VALUE);
    assertThat(lines).containsExactly("a", "last");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 7, 64, 4096})
  void lineBoundariesDoNotDependOnHowTheStreamIsChunked(int chunk) throws IOException {
    String input = "first\n" + "x".repeat(5000) + "\nthird\n";
    read(input, 10_000, chunk);
    assertThat(lines).containsExactly("first", "x".repeat(5000), "third");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 100, 100_000})
  void discardsOversizeLinesAndKeepsGoing(int chunk) throws IOException {
    String input = "ok1\n" + "y".repeat(300_000) + "\nok2\n" + "z".repeat(1001) + "\nok3\n";
    read(input, 1000, chunk);
    assertThat(lines).containsExactly("ok1", "ok2", "ok3");
    assertThat(oversize).containsExactly(300_000L, 1001L);
  }

  @Test
  void aLineOfExactlyTheMaximumIsKept() throws IOException {
    read("a".repeat(1000) + "\n", 1000, Integer.MAX_VALUE);
    assertThat(lines).containsExactly("a".repeat(1000));
  }

  @Test
  void anOversizeLineAtTheEndOfTheStreamIsReported() throws IOException {
    read("ok\n" + "q".repeat(5000), 1000, 333);
    assertThat(lines).containsExactly("ok");
    assertThat(oversize).containsExactly(5000L);
  }

  @Test
  void invalidUtf8IsPassedThroughUntouched() throws IOException {
    byte[] input = {(byte) 0xC3, (byte) 0x28, '\n', 'o', 'k', '\n'};
    new LineReader(new ByteArrayInputStream(input), 100).run(handler);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).getBytes(StandardCharsets.ISO_8859_1))
        .containsExactly((byte) 0xC3, (byte) 0x28);
  }

  @Test
  void anOversizeLineIsNeverHeldInMemory() throws IOException {
    // 256 MiB of one line, produced on the fly: the reader must stream past it with a small buffer.
    long size = 256L * 1024 * 1024;
    InputStream huge = new RepeatingStream(size);
    new LineReader(huge, 1024 * 1024).run(handler);
    assertThat(oversize).containsExactly(size);
  }

  @Test
  void theBufferStartsSmallAndGrowsOnlyWhileReadsFillIt() throws IOException {
    StringBuilder input = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      input.append("{\"id\":").append(i).append("}\n");
    }
    byte[] bytes = input.toString().getBytes(StandardCharsets.ISO_8859_1);

    // A trickle (reads of 100 bytes, never filling the space given): the buffer stays small.
    LineReader trickle = new LineReader(new ChunkedStream(bytes, 100), 1024 * 1024);
    assertThat(trickle.bufferSize()).isEqualTo(LineReader.INITIAL_BUFFER);
    trickle.run(handler);
    assertThat(trickle.bufferSize()).isEqualTo(LineReader.INITIAL_BUFFER);
    assertThat(lines).hasSize(20_000);

    // A burst (every read fills the space given): it doubles up to the read buffer, no further.
    lines.clear();
    LineReader burst = new LineReader(new ChunkedStream(bytes, Integer.MAX_VALUE), 1024 * 1024);
    burst.run(handler);
    assertThat(burst.bufferSize()).isEqualTo(LineReader.READ_BUFFER);
    assertThat(lines).hasSize(20_000);
    for (int i = 0; i < 20_000; i++) {
      assertThat(lines.get(i)).isEqualTo("{\"id\":" + i + "}");
    }

    // Never past the maximum line length plus one.
    LineReader small = new LineReader(new ChunkedStream(bytes, Integer.MAX_VALUE), 10_000);
    small.run(handler);
    assertThat(small.bufferSize()).isEqualTo(10_001);
  }

  private void read(String input, int max, int chunk) throws IOException {
    byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
    new LineReader(new ChunkedStream(bytes, chunk), max).run(handler);
  }

  /** Returns at most {@code chunk} bytes per read, as a pipe may. */
  private static final class ChunkedStream extends InputStream {
    private final byte[] data;
    private final int chunk;
    private int position;

    ChunkedStream(byte[] data, int chunk) {
      this.data = data;
      this.chunk = chunk;
    }

    @Override
    public int read() {
      return position < data.length ? data[position++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= data.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, chunk), data.length - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }
  }

  /** {@code size} bytes of 'a' without a line break, generated on demand. */
  private static final class RepeatingStream extends InputStream {
    private long remaining;

    RepeatingStream(long size) {
      this.remaining = size;
    }

    @Override
    public int read() {
      if (remaining == 0) {
        return -1;
      }
      remaining--;
      return 'a';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (remaining == 0) {
        return -1;
      }
      int n = (int) Math.min(len, remaining);
      Arrays.fill(b, off, off + n, (byte) 'a');
      remaining -= n;
      return n;
    }
  }
}
