package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class JsonRpcCodecRoundTripTest {

  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final ObjectMapper mapper = codec.mapper();

  private ObjectNode object(String json) {
    try {
      return (ObjectNode) mapper.readTree(json);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Messages in the codec's canonical form: compact, members in the order the encoder writes. */
  static Stream<String> canonicalMessages() {
    return Stream.of(
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
            + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"abc-123\",\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"x\",\"params\":[1,2.5,\"three\",true,null,{},[]]}",
        "{\"jsonrpc\":\"2.0\",\"id\":-1,\"method\":\"x\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"x\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775807,\"method\":\"x\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775808,\"method\":\"x\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
            + "\"params\":{\"progressToken\":\"t\",\"progress\":50,\"total\":100}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"n\",\"params\":[]}",
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":\"text\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":null}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\","
            + "\"data\":{\"detail\":\"line 1\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"e\",\"error\":{\"code\":42,\"message\":\"\",\"data\":[1,\"two\"]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"error\":{\"code\":-2147483648,\"message\":\"min\",\"data\":null}}",
        // Characters of the Basic Multilingual Plane are written raw, as UTF-8.
        "{\"jsonrpc\":\"2.0\",\"id\":\"ü-✓-日\",\"method\":\"x\","
            + "\"params\":{\"text\":\"héllo wörld ✓ 日本語 \u00a0€\"}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"x\","
            + "\"params\":{\"s\":\"line1\\nline2\\r\\n\\t\\\"quoted\\\" back\\\\slash\"}}");
  }

  @ParameterizedTest
  @MethodSource("canonicalMessages")
  @DisplayName("encode(decode(s)) is byte-equal to a canonical input")
  void canonicalInputRoundTripsByteForByte(String json) {
    byte[] input = utf8(json);

    JsonRpcMessage message = codec.decode(input);

    assertThat(codec.encode(message)).isEqualTo(input);
    assertThat(codec.encodeToString(message)).isEqualTo(json);
  }

  @ParameterizedTest
  @MethodSource("canonicalMessages")
  @DisplayName("decode(encode(x)) equals x")
  void decodedMessageRoundTripsAsValue(String json) {
    JsonRpcMessage message = codec.decode(json);

    JsonRpcMessage again = codec.decode(codec.encode(message));

    assertThat(again).isEqualTo(message).hasSameHashCodeAs(message);
  }

  @ParameterizedTest
  @MethodSource("canonicalMessages")
  @DisplayName("toTree is exactly what encode writes")
  void toTreeMatchesEncode(String json) throws Exception {
    JsonRpcMessage message = codec.decode(json);

    ObjectNode tree = codec.toTree(message);

    assertThat(tree).isEqualTo(mapper.readTree(codec.encode(message)));
    assertThat(mapper.writeValueAsBytes(tree)).isEqualTo(codec.encode(message));
    assertThat(codec.fromTree(tree)).isEqualTo(message);
  }

  @ParameterizedTest
  @MethodSource("canonicalMessages")
  @DisplayName("writeTo writes the same bytes as encode and leaves the stream open")
  void writeToMatchesEncode(String json) {
    JsonRpcMessage message = codec.decode(json);
    class TrackingStream extends ByteArrayOutputStream {
      boolean closed;

      @Override
      public void close() {
        closed = true;
      }
    }
    TrackingStream out = new TrackingStream();
    out.writeBytes(utf8("prefix:"));

    codec.writeTo(message, out);

    assertThat(out.closed).isFalse();
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("prefix:" + json);
  }

  @Test
  @DisplayName("built messages of every kind round-trip as values")
  void builtMessagesRoundTrip() {
    JsonRpcMessage[] messages = {
      new JsonRpcRequest(RequestId.of(1), "tools/list", null),
      new JsonRpcRequest(RequestId.of("r-1"), "tools/call", object("{\"name\":\"a\"}")),
      new JsonRpcRequest(RequestId.of(Long.MAX_VALUE), "x", mapper.createArrayNode().add(1)),
      new JsonRpcRequest(RequestId.of(Long.MIN_VALUE), "x", null),
      new JsonRpcNotification("notifications/cancelled", object("{\"requestId\":1}")),
      new JsonRpcNotification("notifications/initialized", null),
      JsonRpcResponse.success(RequestId.of(1), object("{\"ok\":true}")),
      JsonRpcResponse.success(RequestId.of("1"), mapper.getNodeFactory().textNode("done")),
      JsonRpcResponse.failure(RequestId.of(2), ErrorCodes.SECURITY_VIOLATION, "Blocked by policy"),
      JsonRpcResponse.failure(
          null, new JsonRpcError(ErrorCodes.PARSE_ERROR, "Parse error", object("{\"at\":3}"))),
      JsonRpcResponse.failure(null, ErrorCodes.INVALID_REQUEST, "Invalid request"),
    };
    for (JsonRpcMessage message : messages) {
      assertThat(codec.decode(codec.encode(message))).as("%s", message).isEqualTo(message);
    }
  }

  @Test
  @DisplayName("ids 1 and \"1\" stay different: not equal, and written differently")
  void numericAndStringIdsStayDifferent() {
    RequestId number = RequestId.of(1);
    RequestId string = RequestId.of("1");
    JsonRpcRequest byNumber = new JsonRpcRequest(number, "ping", null);
    JsonRpcRequest byString = new JsonRpcRequest(string, "ping", null);

    assertThat(number).isNotEqualTo(string);
    assertThat(number.toString()).isEqualTo("1");
    assertThat(string.toString()).isEqualTo("\"1\"");
    assertThat(number.toJson().isNumber()).isTrue();
    assertThat(string.toJson().isTextual()).isTrue();
    assertThat(byNumber).isNotEqualTo(byString);
    assertThat(codec.encodeToString(byNumber)).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    assertThat(codec.encodeToString(byString))
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"ping\"}");
    assertThat(((JsonRpcRequest) codec.decode(codec.encode(byNumber))).id()).isEqualTo(number);
    assertThat(((JsonRpcRequest) codec.decode(codec.encode(byString))).id()).isEqualTo(string);

    JsonRpcResponse answer = JsonRpcResponse.success(string, mapper.createObjectNode());
    assertThat(codec.encodeToString(answer)).contains("\"id\":\"1\"");
  }

  @Test
  @DisplayName("Long.MAX_VALUE and Long.MIN_VALUE ids survive exactly")
  void extremeLongIds() {
    for (long value : new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0L, -1L}) {
      JsonRpcResponse response = JsonRpcResponse.success(RequestId.of(value), mapper.createObjectNode());
      String json = codec.encodeToString(response);

      assertThat(json).contains("\"id\":" + value + ",");
      JsonRpcResponse decoded = (JsonRpcResponse) codec.decode(json);
      assertThat(decoded.id()).isEqualTo(RequestId.of(value));
      assertThat(((RequestId.NumberId) decoded.id()).value()).isEqualTo(value);
    }
  }

  @Test
  @DisplayName("line breaks and other control characters in payloads are escaped, never raw")
  void encodedBytesNeverContainRawLineBreaks() {
    StringBuilder nasty = new StringBuilder("a\nb\rc\r\nd\u2028e\u2029f\u0085g");
    for (char ch = 0; ch < 0x20; ch++) {
      nasty.append(ch);
    }
    String text = nasty.toString();
    ObjectNode payload = mapper.createObjectNode().put("text", text);
    payload.put("key\nwith\rbreaks", "v");
    JsonRpcMessage[] messages = {
      new JsonRpcRequest(RequestId.of("id\nwith\r\nbreaks"), "method\nname", payload),
      new JsonRpcNotification("n\r", payload),
      JsonRpcResponse.success(RequestId.of(1), payload),
      JsonRpcResponse.failure(null, new JsonRpcError(-1, "multi\nline\rmessage", payload)),
    };

    for (JsonRpcMessage message : messages) {
      byte[] encoded = codec.encode(message);
      for (byte b : encoded) {
        assertThat(b).as("raw byte in %s", message).isNotEqualTo((byte) '\n').isNotEqualTo((byte) '\r');
      }
      assertThat(codec.decode(encoded)).isEqualTo(message);
    }
    JsonRpcRequest decoded = (JsonRpcRequest) codec.decode(codec.encode(messages[0]));
    assertThat(decoded.params().get("text").textValue()).isEqualTo(text);
    assertThat(decoded.id()).isEqualTo(RequestId.of("id\nwith\r\nbreaks"));
  }

  @Test
  @DisplayName("unicode, including characters beyond the BMP, is read back unchanged")
  void unicodePayloads() {
    String bmp = "héllo ✓ 日本語";
    String beyondBmp = "😀 \uD834\uDD1E";
    JsonRpcNotification message =
        new JsonRpcNotification(
            "x", mapper.createObjectNode().put("bmp", bmp).put("beyond", beyondBmp));

    byte[] encoded = codec.encode(message);

    assertThat(new String(encoded, StandardCharsets.UTF_8)).contains(bmp);
    JsonRpcNotification decoded = (JsonRpcNotification) codec.decode(encoded);
    assertThat(decoded).isEqualTo(message);
    assertThat(decoded.params().get("beyond").textValue()).isEqualTo(beyondBmp);
    // Whatever form the encoder picks for a surrogate pair is its canonical form.
    assertThat(codec.encode(decoded)).isEqualTo(encoded);
  }

  @Test
  @DisplayName("a character beyond the BMP sent raw as 4 UTF-8 bytes decodes to the right string")
  void rawFourByteUtf8Decodes() {
    String json = "{\"jsonrpc\":\"2.0\",\"id\":\"😀\",\"method\":\"x\",\"params\":{\"t\":\"a😀b\"}}";

    JsonRpcRequest request = (JsonRpcRequest) codec.decode(utf8(json));

    assertThat(request.id()).isEqualTo(RequestId.of("😀"));
    assertThat(request.params().get("t").textValue()).isEqualTo("a😀b");
    assertThat(codec.decode(codec.encode(request))).isEqualTo(request);
  }

  @Test
  @DisplayName("an error response with data and a null id is written with \"id\":null")
  void errorResponseWithDataAndNullId() {
    JsonRpcResponse response =
        JsonRpcResponse.failure(
            null, new JsonRpcError(-32700, "Parse error", object("{\"offset\":12,\"hint\":\"x\"}")));

    assertThat(codec.encodeToString(response))
        .isEqualTo(
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"Parse error\","
                + "\"data\":{\"offset\":12,\"hint\":\"x\"}}}");
    JsonRpcResponse decoded = (JsonRpcResponse) codec.decode(codec.encode(response));
    assertThat(decoded).isEqualTo(response);
    assertThat(decoded.id()).isNull();
    assertThat(decoded.error().data()).isEqualTo(object("{\"offset\":12,\"hint\":\"x\"}"));
  }

  @Test
  @DisplayName("a notification without params has no params member; with params it has one")
  void notificationsWithAndWithoutParams() {
    JsonRpcNotification bare = new JsonRpcNotification("notifications/initialized", null);
    JsonRpcNotification withParams =
        new JsonRpcNotification("notifications/progress", object("{\"progress\":1}"));

    assertThat(codec.toTree(bare).has("params")).isFalse();
    assertThat(codec.toTree(bare).has("id")).isFalse();
    assertThat(codec.toTree(withParams).get("params")).isEqualTo(object("{\"progress\":1}"));
    assertThat(codec.decode(codec.encode(bare))).isEqualTo(bare);
    assertThat(codec.decode(codec.encode(withParams))).isEqualTo(withParams);
    assertThat(((JsonRpcNotification) codec.decode(codec.encode(bare))).params()).isNull();
  }

  @Test
  @DisplayName("a request without params has no params member")
  void requestWithoutParams() {
    ObjectNode tree = codec.toTree(new JsonRpcRequest(RequestId.of(1), "ping", null));

    assertThat(tree.has("params")).isFalse();
    assertThat(tree.get("jsonrpc").textValue()).isEqualTo("2.0");
  }

  @Test
  @DisplayName("members in any order and with whitespace decode to the same message")
  void nonCanonicalInputDecodesToCanonicalForm() {
    String loose =
        "  {\n \"params\" : { \"b\" : 2 },\r\n \"method\":\"m\", \"id\" : 5 , \"jsonrpc\" : \"2.0\" }\n";

    JsonRpcMessage message = codec.decode(loose);

    assertThat(message).isEqualTo(new JsonRpcRequest(RequestId.of(5), "m", object("{\"b\":2}")));
    assertThat(codec.encodeToString(message))
        .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"m\",\"params\":{\"b\":2}}");
  }

  @Test
  @DisplayName("unknown extra members are ignored")
  void unknownMembersIgnored() {
    JsonRpcMessage message =
        codec.decode("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"extra\":{\"x\":1}}");

    assertThat(message).isEqualTo(new JsonRpcRequest(RequestId.of(1), "m", null));
  }

  @Test
  @DisplayName("decoding a slice of a larger buffer reads only that slice")
  void decodesFromSliceOfLargerBuffer() {
    String first = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}";
    String second = "{\"jsonrpc\":\"2.0\",\"method\":\"b\",\"params\":{\"k\":\"v\"}}";
    String third = "{\"jsonrpc\":\"2.0\",\"id\":\"z\",\"result\":{}}";
    byte[] buffer = utf8("garbage" + first + "\n" + second + "\n" + third + "\n{\"trunc");

    int offset = "garbage".length();
    JsonRpcMessage a = codec.decode(buffer, offset, utf8(first).length);
    offset += utf8(first).length + 1;
    JsonRpcMessage b = codec.decode(buffer, offset, utf8(second).length);
    offset += utf8(second).length + 1;
    JsonRpcMessage c = codec.decode(buffer, offset, utf8(third).length);

    assertThat(a).isEqualTo(codec.decode(first));
    assertThat(b).isEqualTo(codec.decode(second));
    assertThat(c).isEqualTo(codec.decode(third));
    assertThat(a).isInstanceOf(JsonRpcRequest.class);
    assertThat(b).isInstanceOf(JsonRpcNotification.class);
    assertThat(c).isInstanceOf(JsonRpcResponse.class);
  }

  @Test
  @DisplayName("a slice may include the trailing line break of a framed message")
  void sliceWithTrailingNewline() {
    byte[] framed = utf8("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}\r\n");

    assertThat(codec.decode(framed, 0, framed.length))
        .isEqualTo(new JsonRpcRequest(RequestId.of(1), "a", null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}"})
  @DisplayName("decode(String) and decode(byte[]) agree")
  void stringAndBytesAgree(String json) {
    assertThat(codec.decode(json)).isEqualTo(codec.decode(utf8(json)));
  }

  @Test
  @DisplayName("the shared codec is a singleton with a usable mapper")
  void sharedCodec() {
    assertThat(JsonRpcCodec.get()).isSameAs(codec);
    JsonNode tree = codec.mapper().createObjectNode().put("a", 1);
    assertThat(tree.get("a").intValue()).isEqualTo(1);
  }
}
