package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSalvageTest {

  private final JsonRpcCodec codec = JsonRpcCodec.get();

  private List<LineSalvage.Item> salvage(byte[] line) {
    ProtocolException refusal = catchThrowableOfType(() -> codec.decode(line), ProtocolException.class);
    assertThat(refusal).as("the codec refuses the line").isNotNull();
    return LineSalvage.salvage(codec, line, 0, line.length, refusal);
  }

  private List<LineSalvage.Item> salvage(String line) {
    return salvage(line.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aResponseWithBothResultAndErrorIsAnInvalidResponseToItsId() {
    assertThat(salvage("{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{},\"error\":{\"code\":1,\"message\":\"m\"}}"))
        .containsExactly(
            new LineSalvage.InvalidResponse(
                RequestId.of(4), "a response must have exactly one of 'result' and 'error'"));
  }

  @Test
  void theReasonNeverQuotesWhatTheUpstreamWrote() {
    assertThat(salvage("{\"jsonrpc\":\"AKIAIOSFODNN7EXAMPLE\",\"id\":4,\"result\":{}}"))
        .singleElement()
        .isInstanceOfSatisfying(
            LineSalvage.InvalidResponse.class,
            invalid -> assertThat(invalid.reason()).isEqualTo("'jsonrpc' must be \"2.0\""));
  }

  @Test
  void invalidUtf8InsideAStringMakesAnInvalidResponseToTheIdItNames() {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    line.writeBytes("{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{\"t\":\"".getBytes(StandardCharsets.UTF_8));
    line.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xC3});
    line.writeBytes("\"}}".getBytes(StandardCharsets.UTF_8));
    assertThat(salvage(line.toByteArray()))
        .containsExactly(new LineSalvage.InvalidResponse(RequestId.of(9), "it is not valid UTF-8"));
  }

  @Test
  void anArrayIsTakenElementByElement() {
    List<LineSalvage.Item> items =
        salvage(
            "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\"},"
                + "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}},"
                + "{\"jsonrpc\":\"2.0\",\"id\":2},"
                + "{\"jsonrpc\":\"2.0\",\"method\":7},"
                + "[]]");
    assertThat(items).hasSize(5);
    assertThat(((LineSalvage.Valid) items.get(0)).message()).isInstanceOf(JsonRpcNotification.class);
    assertThat(((LineSalvage.Valid) items.get(1)).message()).isInstanceOf(JsonRpcResponse.class);
    assertThat(items.get(2)).isInstanceOf(LineSalvage.InvalidResponse.class);
    assertThat(items.get(3)).isInstanceOf(LineSalvage.Unusable.class);
    assertThat(items.get(4)).isInstanceOf(LineSalvage.Unusable.class);
  }

  @Test
  void whatNamesNoRequestIsUnusable() {
    assertThat(salvage("not json")).singleElement().isInstanceOf(LineSalvage.Unusable.class);
    assertThat(salvage("[]")).singleElement().isInstanceOf(LineSalvage.Unusable.class);
    assertThat(salvage("{\"jsonrpc\":\"2.0\",\"result\":{}}")).singleElement().isInstanceOf(LineSalvage.Unusable.class);
    assertThat(salvage("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"result\":{}}"))
        .singleElement()
        .isInstanceOf(LineSalvage.Unusable.class);
    // A request that is invalid is not a response, whatever its id.
    assertThat(salvage("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\",\"result\":{}}"))
        .singleElement()
        .isInstanceOf(LineSalvage.Unusable.class);
  }
}
