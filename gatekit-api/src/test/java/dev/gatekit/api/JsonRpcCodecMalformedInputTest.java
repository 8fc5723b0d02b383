package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.MissingNode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a line can fail to be a JSON-RPC 2.0 message, with the exact error a receiver answers:
 * {@code -32700} when the bytes are not JSON, {@code -32600} when the JSON is not a valid message,
 * and the id whenever one could be read.
 */
class JsonRpcCodecMalformedInputTest {

  private static final int PARSE = ErrorCodes.PARSE_ERROR;
  private static final int INVALID = ErrorCodes.INVALID_REQUEST;

  private final JsonRpcCodec codec = JsonRpcCodec.get();

  /** One row of the table. */
  record Case(String description, byte[] input, int code, @Nullable RequestId id, boolean batch) {
    @Override
    public String toString() {
      return description;
    }
  }

  private static Case parse(String description, String input) {
    return new Case(description, utf8(input), PARSE, null, false);
  }

  private static Case parse(String description, byte[] input) {
    return new Case(description, input, PARSE, null, false);
  }

  private static Case invalid(String description, String input, @Nullable RequestId id) {
    return new Case(description, utf8(input), INVALID, id, false);
  }

  private static Case batch(String description, String input) {
    return new Case(description, utf8(input), INVALID, null, true);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    byte[] a = utf8(before);
    byte[] c = utf8(after);
    byte[] out = new byte[a.length + middle.length + c.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(middle, 0, out, a.length, middle.length);
    System.arraycopy(c, 0, out, a.length + middle.length, c.length);
    return out;
  }

  private static RequestId n(long id) {
    return RequestId.of(id);
  }

  private static RequestId s(String id) {
    return RequestId.of(id);
  }

  static Stream<Case> malformedInputs() {
    return Stream.of(
        // ---- not JSON at all: -32700, never an id ------------------------------------------------
        parse("empty input", new byte[0]),
        parse("whitespace only", " \t\r\n  "),
        parse(
            "invalid UTF-8 (0xC3 0x28) inside a string",
            concat("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"", new byte[] {(byte) 0xC3, 0x28}, "\"}")),
        parse("a lone 0xFF byte", new byte[] {(byte) 0xFF}),
        parse(
            "a 0xFF byte inside a string",
            concat("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a", new byte[] {(byte) 0xFF}, "b\"}")),
        parse(
            "a truncated 3-byte UTF-8 sequence before the closing quote",
            concat("{\"jsonrpc\":\"2.0\",\"method\":\"", new byte[] {(byte) 0xE2, (byte) 0x82}, "\"}")),
        parse("trailing garbage after an object", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"} x"),
        parse(
            "a second object after the first",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"y\"}"),
        parse("JSON truncated before the closing brace", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\""),
        parse("JSON truncated inside a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/ca"),
        parse("JSON truncated after a colon", "{\"jsonrpc\":"),
        parse("a lone opening brace", "{"),
        parse("unquoted member names", "{jsonrpc:\"2.0\",id:1,method:\"x\"}"),
        parse("single-quoted strings", "{'jsonrpc':'2.0','id':1,'method':'x'}"),
        parse("a trailing comma", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",}"),
        parse("a comment before the object", "/* hi */ {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}"),
        parse("NaN as id", "{\"jsonrpc\":\"2.0\",\"id\":NaN,\"method\":\"x\"}"),
        parse("a raw line break inside a string", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\nb\"}"),
        parse("plain text", "hello"),
        parse("duplicate \"id\" members", "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}"),
        parse(
            "duplicate \"method\" members",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"method\":\"b\"}"),
        parse(
            "duplicate members in a nested payload object",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\",\"params\":{\"a\":1,\"a\":2}}"),

        // ---- JSON, but not a message: -32600 ------------------------------------------------------
        invalid("a bare string", "\"hello\"", null),
        invalid("a bare number", "42", null),
        invalid("a bare null", "null", null),
        invalid("a bare true", "true", null),
        invalid("an empty object", "{}", null),
        batch("an array (a batch)", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}]"),
        batch("an empty array", "[]"),
        invalid("missing jsonrpc", "{\"id\":3,\"method\":\"x\"}", n(3)),
        invalid("jsonrpc \"1.0\" (id still named)", "{\"jsonrpc\":\"1.0\",\"id\":\"a\",\"method\":\"x\"}", s("a")),
        invalid("jsonrpc 2.0 as a number", "{\"jsonrpc\":2.0,\"id\":4,\"method\":\"x\"}", n(4)),
        invalid("jsonrpc null", "{\"jsonrpc\":null,\"id\":5,\"method\":\"x\"}", n(5)),
        invalid("jsonrpc \"2.0 \" with a space", "{\"jsonrpc\":\"2.0 \",\"id\":6,\"method\":\"x\"}", n(6)),
        invalid(
            "missing jsonrpc and an unreadable id", "{\"id\":{\"a\":1},\"method\":\"x\"}", null),
        invalid("id an object", "{\"jsonrpc\":\"2.0\",\"id\":{\"n\":1},\"method\":\"x\"}", null),
        invalid("id an array", "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"x\"}", null),
        invalid("id a boolean", "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"x\"}", null),
        invalid("id fractional 1.5", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}", null),
        invalid("id 1.0 (fractional notation)", "{\"jsonrpc\":\"2.0\",\"id\":1.0,\"method\":\"x\"}", null),
        invalid("id 1e400 (overflows a double)", "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"x\"}", null),
        invalid(
            "id one beyond Long.MAX_VALUE",
            "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775808,\"method\":\"x\"}",
            null),
        invalid(
            "id one below Long.MIN_VALUE",
            "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775809,\"method\":\"x\"}",
            null),
        invalid(
            "id far beyond long range",
            "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"x\"}",
            null),
        invalid("null id on a request", "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\"}", null),
        invalid("method a number", "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":5}", n(7)),
        invalid("method null", "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":null}", n(8)),
        invalid("method an object", "{\"jsonrpc\":\"2.0\",\"id\":\"m\",\"method\":{}}", s("m")),
        invalid("method an empty string", "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"\"}", n(9)),
        invalid("method a number on a notification", "{\"jsonrpc\":\"2.0\",\"method\":5}", null),
        invalid(
            "params a string", "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"x\",\"params\":\"a\"}", n(10)),
        invalid("params a number", "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"x\",\"params\":3}", n(11)),
        invalid(
            "params null", "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"x\",\"params\":null}", n(12)),
        invalid(
            "params a boolean on a notification",
            "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":true}",
            null),
        invalid(
            "both method and result",
            "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"x\",\"result\":{}}",
            n(13)),
        invalid(
            "both method and error",
            "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"x\",\"error\":{\"code\":1,\"message\":\"m\"}}",
            n(14)),
        invalid("a response with neither result nor error", "{\"jsonrpc\":\"2.0\",\"id\":15}", n(15)),
        invalid(
            "a response with both result and error",
            "{\"jsonrpc\":\"2.0\",\"id\":16,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}",
            n(16)),
        invalid(
            "error not an object", "{\"jsonrpc\":\"2.0\",\"id\":17,\"error\":\"boom\"}", n(17)),
        invalid(
            "error without code", "{\"jsonrpc\":\"2.0\",\"id\":18,\"error\":{\"message\":\"m\"}}", n(18)),
        invalid(
            "error code fractional",
            "{\"jsonrpc\":\"2.0\",\"id\":19,\"error\":{\"code\":-32000.5,\"message\":\"m\"}}",
            n(19)),
        invalid(
            "error code a string",
            "{\"jsonrpc\":\"2.0\",\"id\":\"c\",\"error\":{\"code\":\"-32000\",\"message\":\"m\"}}",
            s("c")),
        invalid(
            "error code beyond int range",
            "{\"jsonrpc\":\"2.0\",\"id\":21,\"error\":{\"code\":4294967296,\"message\":\"m\"}}",
            n(21)),
        invalid(
            "error message not a string",
            "{\"jsonrpc\":\"2.0\",\"id\":22,\"error\":{\"code\":-1,\"message\":7}}",
            n(22)),
        invalid(
            "error message missing", "{\"jsonrpc\":\"2.0\",\"id\":23,\"error\":{\"code\":-1}}", n(23)),
        invalid(
            "error with an unreadable id",
            "{\"jsonrpc\":\"2.0\",\"id\":2.5,\"error\":{\"code\":-1,\"message\":\"m\"}}",
            null),
        invalid(
            "a success response with id null", "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":{}}", null),
        invalid("no method and no id", "{\"jsonrpc\":\"2.0\"}", null),
        invalid("a result without an id", "{\"jsonrpc\":\"2.0\",\"result\":{}}", null),
        invalid(
            "an error without an id",
            "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-1,\"message\":\"m\"}}",
            null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedInputs")
  @DisplayName("malformed input is refused with the exact code and id")
  void refusesMalformedInput(Case c) {
    ProtocolException e = decodeExpectingFailure(c.input());

    assertThat(e.errorCode()).as("error code").isEqualTo(c.code());
    assertThat(e.id()).as("id").isEqualTo(c.id());
    assertThat(e.isBatch()).as("batch").isEqualTo(c.batch());
    assertThat(e.getMessage())
        .startsWith(c.code() == PARSE ? "Parse error" : "Invalid request")
        .doesNotContain("\n");

    JsonRpcResponse response = e.toResponse();
    assertThat(response.isError()).isTrue();
    assertThat(response.id()).isEqualTo(c.id());
    assertThat(response.result()).isNull();
    assertThat(response.error()).isNotNull();
    assertThat(response.error().code()).isEqualTo(c.code());
    assertThat(response.error().message()).isEqualTo(e.getMessage());

    // The error response itself is a valid message that survives the codec.
    assertThat(codec.decode(codec.encode(response))).isEqualTo(response);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedInputs")
  @DisplayName("the same input inside a larger buffer fails the same way")
  void refusesMalformedInputInASlice(Case c) {
    byte[] buffer = new byte[c.input().length + 6];
    Arrays.fill(buffer, (byte) '{');
    System.arraycopy(c.input(), 0, buffer, 3, c.input().length);

    ProtocolException e = decodeExpectingFailure(buffer, 3, c.input().length);

    assertThat(e.errorCode()).isEqualTo(c.code());
    assertThat(e.id()).isEqualTo(c.id());
    assertThat(e.isBatch()).isEqualTo(c.batch());
  }

  @Test
  @DisplayName("the table has at least 30 rows and covers both codes")
  void tableIsLargeEnough() {
    assertThat(malformedInputs().count()).isGreaterThanOrEqualTo(30);
    assertThat(malformedInputs().map(Case::code)).contains(PARSE, INVALID);
    assertThat(malformedInputs().map(Case::description)).doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("decode(String) reports the same error as decode(byte[])")
  void stringInputBehavesLikeBytes() {
    ProtocolException e =
        (ProtocolException)
            catchThrowable(() -> codec.decode("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":5}"));
    assertThat(e.errorCode()).isEqualTo(INVALID);
    assertThat(e.id()).isEqualTo(RequestId.of(7));

    ProtocolException empty = (ProtocolException) catchThrowable(() -> codec.decode(""));
    assertThat(empty.errorCode()).isEqualTo(PARSE);
  }

  @Test
  @DisplayName("fromTree refuses a null or missing tree as a parse error")
  void fromTreeWithoutTree() {
    assertThat(catchThrowable(() -> codec.fromTree(null)))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.errorCode()).isEqualTo(PARSE));
    assertThat(catchThrowable(() -> codec.fromTree(MissingNode.getInstance())))
        .isInstanceOfSatisfying(
            ProtocolException.class, e -> assertThat(e.errorCode()).isEqualTo(PARSE));
  }

  @Test
  @DisplayName("a string id is read even when it looks like a number")
  void stringIdThatLooksNumeric() {
    ProtocolException e =
        decodeExpectingFailure(utf8("{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"method\":5}"));
    assertThat(e.id()).isEqualTo(RequestId.of("7")).isNotEqualTo(RequestId.of(7));
  }

  private ProtocolException decodeExpectingFailure(byte[] input) {
    return decodeExpectingFailure(input, 0, input.length);
  }

  private ProtocolException decodeExpectingFailure(byte[] buffer, int offset, int length) {
    Throwable thrown = catchThrowable(() -> codec.decode(buffer, offset, length));
    assertThat(thrown)
        .as("decoding must fail with a ProtocolException, never a Jackson exception")
        .isExactlyInstanceOf(ProtocolException.class);
    return (ProtocolException) thrown;
  }
}
