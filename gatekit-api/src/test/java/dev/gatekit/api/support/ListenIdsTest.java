package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.RequestId;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ListenIdsTest {

  /** Wire id 5 is a listen the caller sent as "mine"; no other wire id is a listen. */
  private static final LongFunction<@Nullable RequestId> LISTENS = wireId -> wireId == 5 ? RequestId.of("mine") : null;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "a listen's update | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"u\",\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":5}}} | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"u\",\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"mine\"}}}",
    "the listen ended by the server | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5}} | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"mine\"}}",
    "a wire id that is no listen | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":6}}} | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":6}}}",
    "a subscription id that is not a number | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"5\"}}} | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\",\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":\"5\"}}}",
    "a requestId outside a cancellation | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"requestId\":5,\"progress\":1}} | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"requestId\":5,\"progress\":1}}",
    "no params | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"} | {\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
  })
  void putsTheCallersIdWhereAListenIsNamedByItsWireId(String name, String in, String expected) {
    JsonRpcCodec codec = JsonRpcCodec.get();
    JsonRpcNotification notification = (JsonRpcNotification) codec.decode(in);
    JsonRpcNotification result = ListenIds.toCallerIds(notification, LISTENS);
    assertThat(codec.toTree(result)).isEqualTo(codec.toTree(codec.decode(expected)));
    if (in.equals(expected)) {
      assertThat(result).isSameAs(notification);
    } else {
      assertThat(notification.params()).isEqualTo(codec.toTree(codec.decode(in)).get("params")); // not changed in place
    }
  }
}
