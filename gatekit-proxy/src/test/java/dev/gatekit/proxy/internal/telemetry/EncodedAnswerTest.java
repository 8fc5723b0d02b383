package dev.gatekit.proxy.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link EncodedAnswer} tells results from errors as the relay passes them on, from the codec's own encoding. */
class EncodedAnswerTest {

  private static final JsonRpcCodec CODEC = JsonRpcCodec.get();

  @Test
  void anErrorTheCodecEncodedGivesItsCodeWhateverTheId() {
    for (RequestId id : new RequestId[] {RequestId.of(7), RequestId.of(-3), RequestId.of("abc"), RequestId.of("é ü")}) {
      assertThat(EncodedAnswer.errorCode(CODEC.encode(JsonRpcResponse.failure(id, -32602, "bad"))))
          .as("id %s", id).isEqualTo(-32602);
    }
    assertThat(EncodedAnswer.errorCode(CODEC.encode(JsonRpcResponse.failure(RequestId.of(1), 42, "app")))).isEqualTo(42);
  }

  @Test
  void aResultIsAResultEncodedByTheCodecOrAsTheUpstreamWroteIt() {
    var result = JsonNodeFactory.instance.objectNode();
    result.putObject("error").put("code", -1); // an "error" inside a result is content
    assertThat(EncodedAnswer.errorCode(CODEC.encode(JsonRpcResponse.success(RequestId.of(1), result))))
        .isEqualTo(EncodedAnswer.RESULT);
    assertThat(EncodedAnswer.errorCode(bytes("{\"result\":{\"error\":{\"code\":1}},\"jsonrpc\":\"2.0\",\"id\":5}")))
        .isEqualTo(EncodedAnswer.RESULT);
    assertThat(EncodedAnswer.errorCode(bytes("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}")))
        .isEqualTo(EncodedAnswer.RESULT);
  }

  @Test
  void aCodeThatCannotBeReadIsRecordedAsUnreadable() {
    assertThat(EncodedAnswer.errorCode(bytes("{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":99999999999,\"message\":\"x\"}}")))
        .isEqualTo(EncodedAnswer.UNREADABLE);
    assertThat(EncodedAnswer.errorCode(bytes("{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":1.5,\"message\":\"x\"}}")))
        .isEqualTo(EncodedAnswer.UNREADABLE);
    assertThat(EncodedAnswer.errorCode(bytes("{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"error\":{\"code\":-5,\"message\":\"x\"}}")))
        .as("an escaped id is read the long way").isEqualTo(-5);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
