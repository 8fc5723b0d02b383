package dev.gatekit.proxy.internal.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.support.JsonRpcLineScanner;
import java.io.IOException;

/**
 * What an answer passed on as bytes came to, read from its encoded line: a result, or an error and
 * its code. A result is told by {@link JsonRpcLineScanner} alone, without building anything; only an
 * error (or a line the scanner is not sure of) is parsed, for its code.
 */
final class EncodedAnswer {

  /** The code recorded for an error whose code cannot be read (the line was not what it should be). */
  static final int UNREADABLE = dev.gatekit.api.ErrorCodes.INTERNAL_ERROR;

  private EncodedAnswer() {}

  /** Returns whether {@code line} is a response with {@code result} (not {@code error}). */
  static boolean isResult(byte[] line) {
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(line, 0, line.length);
    return members != null && members.hasResult() && !members.hasError();
  }

  /** Returns the {@code error.code} of {@code line}, an answer that is not a result; {@link #UNREADABLE} when it has none. */
  static int errorCode(byte[] line) {
    try {
      JsonNode code = JsonRpcCodec.get().mapper().readTree(line).path("error").path("code");
      return code.canConvertToInt() && code.isIntegralNumber() ? code.intValue() : UNREADABLE;
    } catch (IOException e) {
      return UNREADABLE;
    }
  }
}
