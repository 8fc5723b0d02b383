package dev.gatekit.proxy.internal.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What an answer passed on as bytes ({@code StdioTransport.relay}) came to, read from its line
 * without decoding it: a result, or an error and its code. The relay passes an upstream's line on
 * as it is only when it is a result; every other answer (an error) it decodes and encodes again with
 * {@link JsonRpcCodec}, which writes {@code {"jsonrpc":"2.0","id":ID,"error":{"code":CODE,...}}} in
 * that order. So a line is an error exactly when it begins that way, and telling the two apart reads
 * only its first few dozen bytes, whatever the size of a result. Stateless.
 */
final class EncodedAnswer {

  /** What {@link #errorCode} returns for a result. */
  static final long RESULT = Long.MIN_VALUE;

  /** The code recorded for an error whose code cannot be read (the line was not what it should be). */
  static final int UNREADABLE = ErrorCodes.INTERNAL_ERROR;

  private static final byte[] HEAD = ascii("{\"jsonrpc\":\"2.0\",\"id\":");
  private static final byte[] ERROR_CODE = ascii(",\"error\":{\"code\":");

  private EncodedAnswer() {}

  /** Returns the {@code error.code} of {@code line}, or {@link #RESULT} when it answers with a result. */
  static long errorCode(byte[] line) {
    if (!startsWith(line, 0, HEAD)) {
      return RESULT;
    }
    int i = HEAD.length;
    if (i < line.length && line[i] == '"') {
      for (i++; i < line.length && line[i] != '"'; i++) {
        if (line[i] == '\\') {
          return parsed(line); // not an id the relay takes; read it the long way
        }
      }
      i++;
    } else {
      while (i < line.length && (line[i] == '-' || (line[i] >= '0' && line[i] <= '9'))) {
        i++;
      }
    }
    if (!startsWith(line, i, ERROR_CODE)) {
      return RESULT;
    }
    return number(line, i + ERROR_CODE.length);
  }

  /** Reads the integer at {@code from}, or {@link #UNREADABLE}. */
  private static long number(byte[] line, int from) {
    int i = from;
    boolean negative = i < line.length && line[i] == '-';
    if (negative) {
      i++;
    }
    long value = 0;
    int digits = 0;
    for (; i < line.length && line[i] >= '0' && line[i] <= '9' && digits < 10; i++, digits++) {
      value = value * 10 + (line[i] - '0');
    }
    boolean integral = digits > 0 && (i == line.length || line[i] == ',' || line[i] == '}');
    long code = negative ? -value : value;
    return integral && code >= Integer.MIN_VALUE && code <= Integer.MAX_VALUE ? code : UNREADABLE;
  }

  /** Decodes {@code line} for what {@link #errorCode} could not read from its head. */
  private static long parsed(byte[] line) {
    try {
      JsonNode tree = JsonRpcCodec.get().mapper().readTree(line);
      if (tree.has("result")) {
        return RESULT;
      }
      JsonNode code = tree.path("error").path("code");
      return code.isIntegralNumber() && code.canConvertToInt() ? code.intValue() : UNREADABLE;
    } catch (IOException e) {
      return UNREADABLE;
    }
  }

  private static boolean startsWith(byte[] line, int at, byte[] prefix) {
    if (at < 0 || line.length - at < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (line[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }
}
