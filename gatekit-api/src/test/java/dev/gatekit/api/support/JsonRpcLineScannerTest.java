package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonRpcLineScannerTest {

  private static final JsonRpcCodec codec = JsonRpcCodec.get();

  private static JsonRpcLineScanner.Members scan(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    return JsonRpcLineScanner.scan(bytes, 0, bytes.length);
  }

  private static String idText(String line) {
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(bytes, 0, bytes.length);
    return new String(bytes, members.idStart(), members.idEnd() - members.idStart(), StandardCharsets.UTF_8);
  }

  @Test
  void readsARequestWithEveryKindOfId() {
    String params = "{\"name\":\"echo\",\"arguments\":{\"s\":\"a\\\"b\\\\c\\u00e9 é 😀\",\"n\":[1,-2.5e3,0.1,{}],\"t\":true,\"f\":false,\"z\":null}}";
    JsonRpcLineScanner.Members number =
        scan("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"tools/call\",\"params\":" + params + "}");
    assertThat(number.id()).isEqualTo(RequestId.of(42));
    assertThat(number.method()).isEqualTo("tools/call");
    assertThat(number.isRequest()).isTrue();
    assertThat(number.hasParams()).isTrue();

    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":-7,\"method\":\"m\"}").id()).isEqualTo(RequestId.of(-7));
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"m\"}").id()).isEqualTo(RequestId.of(0));
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":\"abc é\",\"method\":\"m\"}").id()).isEqualTo(RequestId.of("abc é"));
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":\"\",\"method\":\"m\"}").id()).isEqualTo(RequestId.of(""));
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":999999999999999999,\"method\":\"m\"}").id())
        .isEqualTo(RequestId.of(999999999999999999L));
  }

  @Test
  void givesTheIdsBytesExactly() {
    assertThat(idText("{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"m\"}")).isEqualTo("42");
    assertThat(idText("{ \"id\" : \"x y\" , \"jsonrpc\":\"2.0\",\"method\":\"m\"}")).isEqualTo("\"x y\"");
    assertThat(idText("{\"jsonrpc\":\"2.0\",\"result\":{\"id\":1},\"id\":-3}")).isEqualTo("-3");
  }

  @Test
  void givesTheParamsBytesExactly() {
    String line = "{\"params\" : {\"a\":[1,{\"b\":\"}\"}]} ,\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}";
    byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(bytes, 0, bytes.length);
    assertThat(new String(bytes, members.paramsStart(), members.paramsEnd() - members.paramsStart(),
        StandardCharsets.UTF_8)).isEqualTo("{\"a\":[1,{\"b\":\"}\"}]}");
    JsonRpcLineScanner.Members none = scan("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}");
    assertThat(none.paramsStart()).isEqualTo(-1);
    assertThat(none.paramsEnd()).isEqualTo(-1);
    String array = "xx{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1, 2]}";
    byte[] arrayBytes = array.getBytes(StandardCharsets.UTF_8);
    JsonRpcLineScanner.Members inArray = JsonRpcLineScanner.scan(arrayBytes, 2, arrayBytes.length - 2);
    assertThat(array.substring(inArray.paramsStart(), inArray.paramsEnd())).isEqualTo("[1, 2]");
  }

  @Test
  void readsResponsesAndNotifications() {
    JsonRpcLineScanner.Members result = scan("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"content\":[]}}");
    assertThat(result.isResultForNumberId()).isTrue();
    assertThat(result.isRequest()).isFalse();
    JsonRpcLineScanner.Members error = scan("{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-1,\"message\":\"x\"}}");
    assertThat(error.isResultForNumberId()).isFalse();
    assertThat(error.hasError()).isTrue();
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":\"5\",\"result\":{}}").isResultForNumberId()).isFalse();
    JsonRpcLineScanner.Members notification = scan("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}");
    assertThat(notification.id()).isNull();
    assertThat(notification.idStart()).isEqualTo(-1);
    assertThat(notification.isRequest()).isFalse();
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"result\":1}").isRequest()).isFalse();
  }

  @Test
  void readsASliceOfABuffer() {
    byte[] bytes = "xx{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"m\"}yy".getBytes(StandardCharsets.UTF_8);
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(bytes, 2, bytes.length - 4);
    assertThat(members.id()).isEqualTo(RequestId.of(3));
    assertThat(members.idStart()).isEqualTo(2 + "{\"jsonrpc\":\"2.0\",\"id\":".length());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", " ", "[]", "1", "\"s\"", "null",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"", // unterminated
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"} x", // trailing token
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}{}",
      "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\"}",
      "{\"id\":1,\"method\":\"m\"}", // no jsonrpc
      "{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}", // duplicate
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":1,\"a\":2}}", // nested duplicate
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":1,\"\\u0061\":2}}", // escaped name
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"extra\":1}", // unknown member
      "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1e3,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":-0,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1234567890123456789,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"m\"}", // escaped id
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"t\\/x\"}", // escaped method
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":3}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"a\tb\"}}", // control character
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"\\x\"}}", // bad escape
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"\\ud83d\\ude00\"}}", // surrogates
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1,]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":1,}}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[+1]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[.5]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1.]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1e]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[NaN]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[tru]}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":['a']}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[1 2]}",
      "{\"jsonrpc\":\"2.0\" \"id\":1,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\" 1,\"method\":\"m\"}",
      "{jsonrpc:\"2.0\",\"id\":1,\"method\":\"m\"}",
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"} /* comment */",
  })
  void isUnsureOfWhatIsInvalidOrUnusual(String line) {
    assertThat(scan(line)).isNull();
  }

  @Test
  void isUnsureOfInvalidUtf8() {
    String head = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"s\":\"";
    int[][] bad = {{0xC0, 0x80}, {0xC1, 0xBF}, {0xE0, 0x80, 0x80}, {0xED, 0xA0, 0x80}, {0xF0, 0x80, 0x80, 0x80},
        {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80}, {0x80}, {0xC3}, {0xE2, 0x82}, {0xFF}};
    for (int[] sequence : bad) {
      byte[] start = head.getBytes(StandardCharsets.UTF_8);
      byte[] line = new byte[start.length + sequence.length + 3];
      System.arraycopy(start, 0, line, 0, start.length);
      for (int i = 0; i < sequence.length; i++) {
        line[start.length + i] = (byte) sequence[i];
      }
      line[line.length - 3] = '"';
      line[line.length - 2] = '}';
      line[line.length - 1] = '}';
      assertThat(JsonRpcLineScanner.scan(line, 0, line.length)).as("%s", java.util.Arrays.toString(sequence)).isNull();
    }
  }

  @Test
  void isUnsureOfDeepNestingAndLargeObjects() {
    String deep = "[".repeat(JsonRpcLineScanner.MAX_DEPTH + 1) + "]".repeat(JsonRpcLineScanner.MAX_DEPTH + 1);
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":" + deep + "}")).isNull();
    StringBuilder wide = new StringBuilder("{");
    for (int i = 0; i <= JsonRpcLineScanner.MAX_MEMBERS; i++) {
      wide.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":1");
    }
    wide.append('}');
    assertThat(scan("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":" + wide + "}")).isNull();
  }

  /**
   * The contract that matters: whatever the scanner is sure of, the strict codec reads the same way.
   * Valid messages, mutated byte by byte (flips, deletions, insertions of JSON's own characters).
   */
  @Test
  void neverDisagreesWithTheCodec() {
    List<String> seeds = List.of(
        "{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"h\\u00e9llo \\\"x\\\"\",\"n\":[1,2.50,-3e-2,true,false,null,{\"a\":{\"b\":[]}}]}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"req-é-1\",\"method\":\"resources/read\",\"params\":{\"uri\":\"file:///a b\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok 😀\"}],\"isError\":false}}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"code\":-32601,\"message\":\"no\"}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}");
    byte[] alphabet = "{}[]\",:\\ 0123456789.-+eEtrufalsn\u00e9".getBytes(StandardCharsets.UTF_8);
    Random random = new Random(13);
    int sure = 0;
    for (int round = 0; round < 200_000; round++) {
      byte[] line = seeds.get(random.nextInt(seeds.size())).getBytes(StandardCharsets.UTF_8);
      int mutations = random.nextInt(3);
      for (int m = 0; m < mutations && line.length > 1; m++) {
        int at = random.nextInt(line.length);
        switch (random.nextInt(4)) {
          case 0 -> line[at] = alphabet[random.nextInt(alphabet.length)];
          case 1 -> line[at] = (byte) random.nextInt(256);
          case 2 -> line = remove(line, at);
          default -> line = insert(line, at, alphabet[random.nextInt(alphabet.length)]);
        }
      }
      JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(line, 0, line.length);
      if (members == null) {
        continue;
      }
      sure++;
      JsonRpcMessage message;
      try {
        message = codec.decode(line, 0, line.length);
      } catch (ProtocolException e) {
        if (members.isRequest() || members.isResultForNumberId()) {
          throw new AssertionError("scanner sure of a line the codec refuses: "
              + new String(line, StandardCharsets.UTF_8), e);
        }
        continue; // e.g. an error object the codec finds invalid: the scanner does not judge those
      }
      if (members.isRequest()) {
        assertThat(message).isInstanceOf(JsonRpcRequest.class);
        JsonRpcRequest request = (JsonRpcRequest) message;
        assertThat(request.id()).isEqualTo(members.id());
        assertThat(request.method()).isEqualTo(members.method());
        // Splicing another id in gives the same message under that id.
        assertThat(tree(splice(line, members, "99"))).isEqualTo(withId(tree(line), tree("99".getBytes(StandardCharsets.UTF_8))));
      } else if (members.isResultForNumberId()) {
        assertThat(message).isInstanceOf(JsonRpcResponse.class);
        assertThat(((JsonRpcResponse) message).id()).isEqualTo(members.id());
        assertThat(tree(splice(line, members, "\"c\""))).isEqualTo(withId(tree(line), tree("\"c\"".getBytes(StandardCharsets.UTF_8))));
      }
    }
    assertThat(sure).isGreaterThan(20_000);
  }

  private static JsonNode tree(byte[] line) {
    try {
      return codec.mapper().readTree(line);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode withId(JsonNode tree, JsonNode id) {
    ((com.fasterxml.jackson.databind.node.ObjectNode) tree).set("id", id);
    return tree;
  }

  private static byte[] splice(byte[] line, JsonRpcLineScanner.Members members, String id) {
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[line.length - (members.idEnd() - members.idStart()) + idBytes.length];
    System.arraycopy(line, 0, out, 0, members.idStart());
    System.arraycopy(idBytes, 0, out, members.idStart(), idBytes.length);
    System.arraycopy(line, members.idEnd(), out, members.idStart() + idBytes.length, line.length - members.idEnd());
    return out;
  }

  private static byte[] remove(byte[] line, int at) {
    byte[] out = new byte[line.length - 1];
    System.arraycopy(line, 0, out, 0, at);
    System.arraycopy(line, at + 1, out, at, line.length - at - 1);
    return out;
  }

  private static byte[] insert(byte[] line, int at, byte value) {
    byte[] out = new byte[line.length + 1];
    System.arraycopy(line, 0, out, 0, at);
    out[at] = value;
    System.arraycopy(line, at, out, at + 1, line.length - at);
    return out;
  }
}
