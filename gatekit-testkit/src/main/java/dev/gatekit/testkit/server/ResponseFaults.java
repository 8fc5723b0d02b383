package dev.gatekit.testkit.server;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The wire faults written around each response: junk lines before it ({@code --garbage}, {@code
 * --invalid-utf8}, {@code --oversize-line}, {@code --unknown-id}) and a second copy after it
 * ({@code --duplicate-id}). Runs on the writer thread only.
 */
final class ResponseFaults {

  /** Ids no client uses, answered under {@code --unknown-id}. */
  static final RequestId UNKNOWN_NUMBER_ID = RequestId.of(999_999_999L);

  static final RequestId UNKNOWN_STRING_ID = RequestId.of("nobody");

  private static final byte[] GARBAGE =
      "this line is not JSON\n{\"foo\":1}\n\n".getBytes(StandardCharsets.UTF_8);

  /** Bytes that are never valid UTF-8: a lone continuation byte, an overlong form, 0xFE, 0xFF. */
  private static final byte[] INVALID_UTF8 = {
    (byte) 0x80, (byte) 0xC0, (byte) 0xAF, (byte) 0xFE, (byte) 0xFF, 'x', (byte) 0xC3, '\n'
  };

  private static final int FILL_BLOCK_SIZE = 64 * 1024;

  private final boolean garbage;
  private final boolean invalidUtf8;
  private final long oversizeLineBytes;
  private final byte[] unknownIdLines;
  private final boolean duplicate;
  private final byte[] fill;

  ResponseFaults(ServerOptions options, JsonRpcCodec codec) {
    this.garbage = options.garbage();
    this.invalidUtf8 = options.invalidUtf8();
    this.oversizeLineBytes = options.oversizeLineBytes().orElse(0);
    this.unknownIdLines = options.unknownId() ? unknownIdLines(codec) : new byte[0];
    this.duplicate = options.duplicateId();
    this.fill =
        new byte[oversizeLineBytes > 0 ? (int) Math.min(FILL_BLOCK_SIZE, oversizeLineBytes) : 0];
    Arrays.fill(fill, (byte) 'x');
  }

  /** Returns whether any fault applies; when none does, responses are written as they are. */
  boolean active() {
    return garbage
        || invalidUtf8
        || oversizeLineBytes > 0
        || unknownIdLines.length > 0
        || duplicate;
  }

  /** Returns whether every response is written twice. */
  boolean duplicate() {
    return duplicate;
  }

  /** Writes the junk lines that precede a response. */
  void writeBeforeResponse(OutputStream out) throws IOException {
    if (garbage) {
      out.write(GARBAGE);
    }
    if (invalidUtf8) {
      out.write(INVALID_UTF8);
    }
    if (oversizeLineBytes > 0) {
      writeOversizeLine(out);
    }
    out.write(unknownIdLines);
  }

  /**
   * Streams a line of exactly {@code oversizeLineBytes} bytes before its line break: a JSON string
   * of {@code x}s, so that only its size is wrong. Never held in memory whole.
   */
  private void writeOversizeLine(OutputStream out) throws IOException {
    long remaining = oversizeLineBytes;
    boolean quoted = remaining >= 2;
    if (quoted) {
      out.write('"');
      remaining -= 2;
    }
    while (remaining > 0) {
      int chunk = (int) Math.min(fill.length, remaining);
      out.write(fill, 0, chunk);
      remaining -= chunk;
    }
    if (quoted) {
      out.write('"');
    }
    out.write('\n');
  }

  private static byte[] unknownIdLines(JsonRpcCodec codec) {
    String lines =
        codec.encodeToString(
                JsonRpcResponse.success(UNKNOWN_NUMBER_ID, codec.mapper().createObjectNode()))
            + "\n"
            + codec.encodeToString(
                JsonRpcResponse.success(UNKNOWN_STRING_ID, codec.mapper().createObjectNode()))
            + "\n";
    return lines.getBytes(StandardCharsets.UTF_8);
  }
}
