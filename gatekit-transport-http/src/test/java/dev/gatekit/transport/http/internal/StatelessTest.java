package dev.gatekit.transport.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.RequestId;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class StatelessTest {

  private static JsonNode json(String text) throws Exception {
    return JsonRpcCodec.get().mapper().readTree(text);
  }

  private static String encoded(String value) {
    return "=?base64?" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + "?=";
  }

  @Test
  void aMessageIsStatelessWhenItsMetaNamesAVersionOrItIsADiscovery() throws Exception {
    assertThat(Stateless.version("tools/list", json("{\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}")))
        .isEqualTo("2026-07-28");
    assertThat(Stateless.version("tools/list", json("{\"_meta\":{\"progressToken\":1}}"))).isNull();
    assertThat(Stateless.version("tools/list", null)).isNull();
    assertThat(Stateless.version("initialize", json("{\"protocolVersion\":\"2025-11-25\"}"))).isNull();
    assertThat(Stateless.version("server/discover", null)).isEqualTo("2026-07-28");
  }

  @Test
  void mcpNameMirrorsTheMemberItsMethodNames() throws Exception {
    assertThat(Stateless.name("tools/call", json("{\"name\":\"echo\"}"))).isEqualTo("echo");
    assertThat(Stateless.name("prompts/get", json("{\"name\":\"greet\"}"))).isEqualTo("greet");
    assertThat(Stateless.name("resources/read", json("{\"uri\":\"file:///a\"}"))).isEqualTo("file:///a");
    assertThat(Stateless.name("tasks/get", json("{\"taskId\":\"t1\"}"))).isEqualTo("t1");
    assertThat(Stateless.name("tools/list", json("{\"name\":\"x\"}"))).isNull();
    assertThat(Stateless.name("tools/call", json("{\"name\":7}"))).isNull();
  }

  @Test
  void headerValuesThatAreNotPlainAsciiAreBase64Wrapped() {
    assertThat(Stateless.headerValue("get_weather")).isEqualTo("get_weather");
    assertThat(Stateless.headerValue("file:///a b.txt")).isEqualTo("file:///a b.txt");
    assertThat(Stateless.headerValue("grüße")).isEqualTo(encoded("grüße"));
    assertThat(Stateless.headerValue(" padded")).isEqualTo(encoded(" padded"));
    assertThat(Stateless.headerValue("padded\t")).isEqualTo(encoded("padded\t"));
    assertThat(Stateless.headerValue("a\r\nX-Injected: 1")).isEqualTo(encoded("a\r\nX-Injected: 1"));
    assertThat(Stateless.headerValue("=?base64?abc?=")).isEqualTo(encoded("=?base64?abc?="));
    assertThat(Stateless.headerValue("")).isEmpty();
  }

  @Test
  void aListenStreamsIdsArePutBackToTheCallers() throws Exception {
    JsonRpcMessage ack = JsonRpcCodec.get().decode(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/subscriptions/acknowledged\","
            + "\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":42}}}");
    JsonRpcMessage ended = JsonRpcCodec.get().decode(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":42}}");
    JsonRpcMessage other = JsonRpcCodec.get().decode(
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\","
            + "\"params\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":41}}}");

    JsonRpcNotification mapped = (JsonRpcNotification) Stateless.toCallerIds(ack, 42, RequestId.of("client-7"));
    assertThat(mapped.params().path("_meta").path("io.modelcontextprotocol/subscriptionId").asText()).isEqualTo("client-7");
    assertThat(((JsonRpcNotification) ack).params().path("_meta").path("io.modelcontextprotocol/subscriptionId").asLong())
        .as("the original is not changed").isEqualTo(42);
    JsonRpcNotification cancelled = (JsonRpcNotification) Stateless.toCallerIds(ended, 42, RequestId.of(7));
    assertThat(cancelled.params().path("requestId").asLong()).isEqualTo(7);
    assertThat(Stateless.toCallerIds(other, 42, RequestId.of(7))).isSameAs(other);
  }
}
