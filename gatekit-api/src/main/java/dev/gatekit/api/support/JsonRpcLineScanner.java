package dev.gatekit.api.support;

import dev.gatekit.api.RequestId;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Reads what a line holds at the top level — its {@code id} (and where its bytes are), {@code
 * method}, and which of {@code params}, {@code result} and {@code error} it has — without building
 * anything, so that a relay can pass a message on as bytes with only its id replaced.
 *
 * <p>{@link #scan} validates the whole line as strict JSON (RFC 8259, UTF-8): one object and
 * nothing but whitespace after it, every string valid UTF-8 with valid escapes and no control
 * characters, numbers in JSON's grammar, no member name twice in one object. It answers only when it
 * is sure, and returns {@code null} for anything it is not sure of, valid or not, for the caller to
 * take the ordinary way (a full decode, which then gives the exact error): invalid JSON, a top-level
 * value that is not an object, a top-level member other than {@code jsonrpc}, {@code id}, {@code
 * method}, {@code params}, {@code result} and {@code error}, {@code jsonrpc} other than {@code
 * "2.0"}, an {@code id} that is not a string without escapes or an integer that fits in a {@code
 * long} ({@code -0} included), a {@code method} that is not a string without escapes, {@code params}
 * that is not an object or an array, a member name with an escape, an object of more than {@value
 * #MAX_MEMBERS} members, nesting deeper than {@value #MAX_DEPTH}, a number longer than {@value
 * #MAX_NUMBER_LENGTH} characters, a string longer than {@value #MAX_STRING_BYTES} bytes, an escaped
 * surrogate. It is therefore never more lenient than a strict JSON parser: what it accepts, such a
 * parser reads the same way.
 *
 * <p>Stateless and thread-safe.
 */
public final class JsonRpcLineScanner {

  /** Members in one object beyond which the scanner gives up (names are checked pairwise for duplicates). */
  public static final int MAX_MEMBERS = 32;

  /** Nesting beyond which the scanner gives up. */
  public static final int MAX_DEPTH = 64;

  /** Characters in a number beyond which the scanner gives up. */
  public static final int MAX_NUMBER_LENGTH = 100;

  /** Bytes in one string beyond which the scanner gives up. */
  public static final int MAX_STRING_BYTES = 1 << 20;

  private static final byte[] JSONRPC = ascii("jsonrpc");
  private static final byte[] ID = ascii("id");
  private static final byte[] METHOD = ascii("method");
  private static final byte[] PARAMS = ascii("params");
  private static final byte[] RESULT = ascii("result");
  private static final byte[] ERROR = ascii("error");
  private static final byte[] VERSION = ascii("\"2.0\"");

  /**
   * What a line holds at the top level. Offsets are into the scanned buffer.
   *
   * @param id the id, or {@code null} when the line has none
   * @param idStart where the id's value begins (its opening quote, for a string), or -1
   * @param idEnd just past the id's value, or -1
   * @param method the method, or {@code null} when the line has none
   * @param hasParams whether the line has {@code params} (an object or an array)
   * @param hasResult whether the line has {@code result}
   * @param hasError whether the line has {@code error}
   * @param paramsStart where the value of {@code params} begins (its opening brace or bracket), or -1
   * @param paramsEnd just past the value of {@code params}, or -1
   */
  public record Members(
      @Nullable RequestId id,
      int idStart,
      int idEnd,
      @Nullable String method,
      boolean hasParams,
      boolean hasResult,
      boolean hasError,
      int paramsStart,
      int paramsEnd) {

    /** Members whose {@code params}' bytes are not known (-1). */
    public Members(@Nullable RequestId id, int idStart, int idEnd, @Nullable String method, boolean hasParams,
        boolean hasResult, boolean hasError) {
      this(id, idStart, idEnd, method, hasParams, hasResult, hasError, -1, -1);
    }

    /** Whether this is a request: an id and a method, and neither {@code result} nor {@code error}. */
    public boolean isRequest() {
      return id != null && method != null && !hasResult && !hasError;
    }

    /**
     * Whether this is a successful response to a numeric id: an integer id and {@code result},
     * nothing else.
     */
    public boolean isResultForNumberId() {
      return id instanceof RequestId.NumberId && method == null && hasResult && !hasError && !hasParams;
    }
  }

  private JsonRpcLineScanner() {}

  /**
   * Scans {@code buffer[offset, offset + length)}; returns its top-level members, or {@code null}
   * when it is not sure of them (see the class documentation). Every message must carry {@code
   * "jsonrpc": "2.0"}.
   */
  public static @Nullable Members scan(byte[] buffer, int offset, int length) {
    if (offset < 0 || length < 0 || offset + length > buffer.length) {
      throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + ", buffer " + buffer.length);
    }
    return new Cursor(buffer, offset, offset + length).line();
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Thrown inside the scan when the scanner is not sure; never leaves this class. */
  private static final class Unsure extends RuntimeException {
    static final Unsure INSTANCE = new Unsure();

    private Unsure() {
      super(null, null, false, false);
    }
  }

  /** One scan's position; a recursive-descent reader that validates and skips. */
  private static final class Cursor {
    private final byte[] b;
    private final int end;
    private int pos;
    /** Name ranges (start, end) of the objects being read, innermost last. */
    private int[] names = new int[32];
    private int nameCount;

    Cursor(byte[] b, int start, int end) {
      this.b = b;
      this.pos = start;
      this.end = end;
    }

    @Nullable Members line() {
      try {
        Members members = topLevel();
        skipWhitespace();
        return pos == end ? members : null;
      } catch (Unsure e) {
        return null;
      }
    }

    private Members topLevel() {
      skipWhitespace();
      expect('{');
      int namesBase = nameCount;
      boolean version = false;
      RequestId id = null;
      int idStart = -1;
      int idEnd = -1;
      String method = null;
      boolean params = false;
      int paramsStart = -1;
      int paramsEnd = -1;
      boolean result = false;
      boolean error = false;
      skipWhitespace();
      if (peek() != '}') {
        while (true) {
          int nameStart = pos + 1;
          memberName(namesBase);
          int nameEnd = pos - 1;
          skipWhitespace();
          expect(':');
          skipWhitespace();
          int valueStart = pos;
          if (is(nameStart, nameEnd, JSONRPC)) {
            value(1);
            version = is(valueStart, pos, VERSION);
          } else if (is(nameStart, nameEnd, ID)) {
            id = id();
            idStart = valueStart;
            idEnd = pos;
          } else if (is(nameStart, nameEnd, METHOD)) {
            method = plainString();
          } else if (is(nameStart, nameEnd, PARAMS)) {
            byte first = peek();
            if (first != '{' && first != '[') {
              throw Unsure.INSTANCE;
            }
            value(1);
            params = true;
            paramsStart = valueStart;
            paramsEnd = pos;
          } else if (is(nameStart, nameEnd, RESULT)) {
            value(1);
            result = true;
          } else if (is(nameStart, nameEnd, ERROR)) {
            value(1);
            error = true;
          } else {
            throw Unsure.INSTANCE;
          }
          skipWhitespace();
          if (!moreMembers()) {
            break;
          }
        }
      }
      pos++; // '}'
      nameCount = namesBase;
      if (!version) {
        throw Unsure.INSTANCE;
      }
      return new Members(id, idStart, idEnd, method, params, result, error, paramsStart, paramsEnd);
    }

    /** Reads a comma (true, more follow) or the closing brace (false, not consumed). */
    private boolean moreMembers() {
      byte c = peek();
      if (c == ',') {
        pos++;
        skipWhitespace();
        return true;
      }
      if (c == '}') {
        return false;
      }
      throw Unsure.INSTANCE;
    }

    private RequestId id() {
      byte c = peek();
      if (c == '"') {
        return RequestId.of(plainString());
      }
      int start = pos;
      number();
      int length = pos - start;
      boolean negative = b[start] == '-';
      int digits = negative ? length - 1 : length;
      // Integers only, of at most 18 digits (always within a long), and never -0.
      if (digits > 18 || (negative && b[start + 1] == '0')) {
        throw Unsure.INSTANCE;
      }
      long value = 0;
      for (int i = negative ? start + 1 : start; i < pos; i++) {
        byte d = b[i];
        if (d < '0' || d > '9') {
          throw Unsure.INSTANCE;
        }
        value = value * 10 + (d - '0');
      }
      return RequestId.of(negative ? -value : value);
    }

    /** Reads a string without escapes and returns its text. */
    private String plainString() {
      if (peek() != '"') {
        throw Unsure.INSTANCE;
      }
      int start = pos + 1;
      if (string()) {
        throw Unsure.INSTANCE;
      }
      return new String(b, start, pos - 1 - start, StandardCharsets.UTF_8);
    }

    /** Reads a member name (no escapes) and checks it against the object's names so far. */
    private void memberName(int namesBase) {
      if (peek() != '"') {
        throw Unsure.INSTANCE;
      }
      int start = pos + 1;
      if (string()) {
        throw Unsure.INSTANCE;
      }
      int stop = pos - 1;
      int length = stop - start;
      for (int i = namesBase; i < nameCount; i += 2) {
        int other = names[i];
        if (names[i + 1] - other == length && (length == 0 || b[other] == b[start])
            && java.util.Arrays.equals(b, other, other + length, b, start, stop)) {
          throw Unsure.INSTANCE; // a duplicate: a strict parser refuses it
        }
      }
      if (nameCount - namesBase >= 2 * MAX_MEMBERS) {
        throw Unsure.INSTANCE;
      }
      if (nameCount + 2 > names.length) {
        names = java.util.Arrays.copyOf(names, names.length * 2);
      }
      names[nameCount++] = start;
      names[nameCount++] = stop;
    }

    private void value(int depth) {
      if (depth > MAX_DEPTH) {
        throw Unsure.INSTANCE;
      }
      byte c = peek();
      switch (c) {
        case '{' -> object(depth);
        case '[' -> array(depth);
        case '"' -> string();
        case 't' -> literal("true");
        case 'f' -> literal("false");
        case 'n' -> literal("null");
        default -> number();
      }
    }

    private void object(int depth) {
      pos++;
      int namesBase = nameCount;
      skipWhitespace();
      if (peek() != '}') {
        do {
          memberName(namesBase);
          skipWhitespace();
          expect(':');
          skipWhitespace();
          value(depth + 1);
          skipWhitespace();
        } while (moreMembers());
      }
      pos++;
      nameCount = namesBase;
    }

    private void array(int depth) {
      pos++;
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return;
      }
      while (true) {
        value(depth + 1);
        skipWhitespace();
        byte c = peek();
        pos++;
        if (c == ']') {
          return;
        }
        if (c != ',') {
          throw Unsure.INSTANCE;
        }
        skipWhitespace();
      }
    }

    /** Reads a string from its opening quote through its closing one; returns whether it had escapes. */
    private boolean string() {
      int start = ++pos;
      boolean escaped = false;
      int limit = (int) Math.min(end, (long) start + MAX_STRING_BYTES);
      while (true) {
        // the common case first: printable ASCII other than '"' and '\\' (bytes >= 0x80 are negative)
        while (pos < limit) {
          byte plain = b[pos];
          if (plain < 0x20 || plain == '"' || plain == '\\') {
            break;
          }
          pos++;
        }
        if (pos >= limit) {
          throw Unsure.INSTANCE;
        }
        int c = b[pos] & 0xFF;
        if (c == '"') {
          pos++;
          return escaped;
        }
        if (c == '\\') {
          escape();
          escaped = true;
        } else if (c < 0x20) {
          throw Unsure.INSTANCE;
        } else if (c < 0x80) {
          pos++;
        } else {
          utf8(c);
        }
      }
    }

    private void escape() {
      pos++;
      byte c = at(pos);
      switch (c) {
        case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> pos++;
        case 'u' -> {
          int value = 0;
          for (int i = 1; i <= 4; i++) {
            value = value << 4 | hex(at(pos + i));
          }
          if (value >= 0xD800 && value <= 0xDFFF) {
            throw Unsure.INSTANCE; // surrogates: whether a parser pairs them is not ours to guess
          }
          pos += 5;
        }
        default -> throw Unsure.INSTANCE;
      }
    }

    private static int hex(byte c) {
      if (c >= '0' && c <= '9') {
        return c - '0';
      }
      if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
      }
      if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
      }
      throw Unsure.INSTANCE;
    }

    /** Validates one multi-byte UTF-8 sequence starting with {@code lead} (RFC 3629: no overlongs, surrogates). */
    private void utf8(int lead) {
      int continuation;
      int min2 = 0x80;
      int max2 = 0xBF;
      if (lead >= 0xC2 && lead <= 0xDF) {
        continuation = 1;
      } else if (lead >= 0xE0 && lead <= 0xEF) {
        continuation = 2;
        if (lead == 0xE0) {
          min2 = 0xA0;
        } else if (lead == 0xED) {
          max2 = 0x9F;
        }
      } else if (lead >= 0xF0 && lead <= 0xF4) {
        continuation = 3;
        if (lead == 0xF0) {
          min2 = 0x90;
        } else if (lead == 0xF4) {
          max2 = 0x8F;
        }
      } else {
        throw Unsure.INSTANCE;
      }
      int second = at(pos + 1) & 0xFF;
      if (second < min2 || second > max2) {
        throw Unsure.INSTANCE;
      }
      for (int i = 2; i <= continuation; i++) {
        if ((at(pos + i) & 0xC0) != 0x80) {
          throw Unsure.INSTANCE;
        }
      }
      pos += continuation + 1;
    }

    /** Reads a number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    private void number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      byte c = peek();
      if (c == '0') {
        pos++;
      } else if (c >= '1' && c <= '9') {
        digits();
      } else {
        throw Unsure.INSTANCE;
      }
      if (pos < end && b[pos] == '.') {
        pos++;
        requireDigit();
        digits();
      }
      if (pos < end && (b[pos] == 'e' || b[pos] == 'E')) {
        pos++;
        if (pos < end && (b[pos] == '+' || b[pos] == '-')) {
          pos++;
        }
        requireDigit();
        digits();
      }
      if (pos - start > MAX_NUMBER_LENGTH) {
        throw Unsure.INSTANCE;
      }
    }

    private void requireDigit() {
      byte c = peek();
      if (c < '0' || c > '9') {
        throw Unsure.INSTANCE;
      }
    }

    private void digits() {
      while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
        pos++;
      }
    }

    private void literal(String word) {
      for (int i = 0; i < word.length(); i++) {
        if (at(pos + i) != word.charAt(i)) {
          throw Unsure.INSTANCE;
        }
      }
      pos += word.length();
    }

    private void skipWhitespace() {
      while (pos < end) {
        byte c = b[pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    private void expect(char c) {
      if (peek() != c) {
        throw Unsure.INSTANCE;
      }
      pos++;
    }

    private byte peek() {
      return at(pos);
    }

    private byte at(int i) {
      if (i >= end) {
        throw Unsure.INSTANCE;
      }
      return b[i];
    }

    private boolean is(int start, int stop, byte[] expected) {
      return stop - start == expected.length && b[start] == expected[0]
          && java.util.Arrays.equals(b, start, stop, expected, 0, expected.length);
    }
  }
}
