package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

/** A gateway must pass payload numbers on as they came, not as doubles would round them. */
class JsonRpcCodecNumbersTest {

  private final JsonRpcCodec codec = JsonRpcCodec.get();

  @Test
  void decimalsKeepTheirDigitsAndHugeNumbersSurvive() {
    String in =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":1.10,\"b\":1e400,"
            + "\"c\":123456789012345678901234567890,\"d\":0.1,\"e\":3.141592653589793238462643383279}}";
    String out = codec.encodeToString(codec.decode(in));
    JsonRpcRequest again = (JsonRpcRequest) codec.decode(out);
    assertThat(out).contains("\"a\":1.10").contains("\"d\":0.1").doesNotContain("Infinity");
    assertThat(again.params().get("b").decimalValue()).isEqualByComparingTo(new BigDecimal("1e400"));
    assertThat(again.params().get("c").bigIntegerValue())
        .isEqualTo(new BigInteger("123456789012345678901234567890"));
    assertThat(again.params().get("e").decimalValue())
        .isEqualByComparingTo(new BigDecimal("3.141592653589793238462643383279"));
  }
}
