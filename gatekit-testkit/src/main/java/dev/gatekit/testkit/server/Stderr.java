package dev.gatekit.testkit.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The server's own diagnostics, on stderr (stdout carries the protocol). Lines are prefixed with
 * the server's name so that a client's "last stderr lines" tell where they came from. Write
 * failures are ignored: a closed stderr must not stop the server.
 */
final class Stderr {

  private static final String PREFIX = "[gatekit-test-server] ";
  private static final int FLOOD_LINE_LENGTH = 64;
  private static final int FLOOD_BLOCK_LINES = 1024;

  private final OutputStream err;

  Stderr(OutputStream err) {
    this.err = err;
  }

  /** Writes one line. */
  synchronized void line(String message) {
    try {
      err.write((PREFIX + message + "\n").getBytes(StandardCharsets.UTF_8));
      err.flush();
    } catch (IOException e) {
      // Nobody is listening; there is nowhere else to report it.
    }
  }

  /**
   * Writes exactly {@code bytes} bytes of flood lines, the last one ending with a line break.
   * Blocks while the reader of stderr does not drain it, which is the point of the flood.
   */
  synchronized void flood(long bytes) {
    byte[] block = floodBlock();
    try {
      long remaining = bytes;
      while (remaining > 0) {
        int chunk = (int) Math.min(block.length, remaining);
        remaining -= chunk;
        if (remaining == 0 && block[chunk - 1] != '\n') {
          // End on a line break so that the next diagnostic starts a line of its own.
          err.write(block, 0, chunk - 1);
          err.write('\n');
        } else {
          err.write(block, 0, chunk);
        }
      }
      err.flush();
    } catch (IOException e) {
      // As in line(String).
    }
  }

  private static byte[] floodBlock() {
    byte[] line = new byte[FLOOD_LINE_LENGTH];
    byte[] text = (PREFIX + "stderr flood ").getBytes(StandardCharsets.US_ASCII);
    Arrays.fill(line, (byte) '.');
    System.arraycopy(text, 0, line, 0, text.length);
    line[FLOOD_LINE_LENGTH - 1] = '\n';
    byte[] block = new byte[FLOOD_LINE_LENGTH * FLOOD_BLOCK_LINES];
    for (int i = 0; i < FLOOD_BLOCK_LINES; i++) {
      System.arraycopy(line, 0, block, i * FLOOD_LINE_LENGTH, FLOOD_LINE_LENGTH);
    }
    return block;
  }
}
