package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The constructors of the message records refuse what is not a valid JSON-RPC message. */
class MessageRecordsTest {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  static Stream<JsonNode> scalarParams() {
    return Stream.of(
        NODES.textNode("a string"),
        NODES.numberNode(3),
        NODES.booleanNode(true),
        NullNode.getInstance());
  }

  @Nested
  class Requests {

    @Test
    @DisplayName("a request needs an id and a non-empty method")
    void requiresIdAndMethod() {
      assertThatThrownBy(() -> new JsonRpcRequest(null, "m", null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("id");
      assertThatThrownBy(() -> new JsonRpcRequest(RequestId.of(1), null, null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("method");
      assertThatThrownBy(() -> new JsonRpcRequest(RequestId.of(1), "", null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("empty");
    }

    @ParameterizedTest
    @MethodSource("dev.gatekit.api.MessageRecordsTest#scalarParams")
    @DisplayName("params that are not an object or an array are refused")
    void refusesScalarParams(JsonNode params) {
      assertThatThrownBy(() -> new JsonRpcRequest(RequestId.of(1), "m", params))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("params");
    }

    @Test
    @DisplayName("params may be an object, an array or absent")
    void acceptsStructuredParams() {
      assertThat(new JsonRpcRequest(RequestId.of(1), "m", NODES.objectNode()).params()).isNotNull();
      assertThat(new JsonRpcRequest(RequestId.of(1), "m", NODES.arrayNode()).params()).isNotNull();
      assertThat(new JsonRpcRequest(RequestId.of(1), "m", null).params()).isNull();
    }

    @Test
    @DisplayName("with... methods return new requests and leave the original alone")
    void withMethods() {
      ObjectNode params = NODES.objectNode().put("a", 1);
      JsonRpcRequest original = new JsonRpcRequest(RequestId.of(1), "m", params);

      JsonRpcRequest otherId = original.withId(RequestId.of("x"));
      JsonRpcRequest otherMethod = original.withMethod("n");
      JsonRpcRequest noParams = original.withParams(null);

      assertThat(otherId).isEqualTo(new JsonRpcRequest(RequestId.of("x"), "m", params));
      assertThat(otherMethod).isEqualTo(new JsonRpcRequest(RequestId.of(1), "n", params));
      assertThat(noParams.params()).isNull();
      assertThat(original).isEqualTo(new JsonRpcRequest(RequestId.of(1), "m", params));
      assertThatThrownBy(() -> original.withMethod("")).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> original.withParams(NODES.textNode("s")))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class Notifications {

    @Test
    @DisplayName("a notification needs a non-empty method")
    void requiresMethod() {
      assertThatThrownBy(() -> new JsonRpcNotification(null, null))
          .isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new JsonRpcNotification("", null))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @MethodSource("dev.gatekit.api.MessageRecordsTest#scalarParams")
    @DisplayName("params that are not an object or an array are refused")
    void refusesScalarParams(JsonNode params) {
      assertThatThrownBy(() -> new JsonRpcNotification("m", params))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("withParams returns a new notification")
    void withParams() {
      JsonRpcNotification original = new JsonRpcNotification("m", null);
      JsonRpcNotification changed = original.withParams(NODES.arrayNode().add(1));

      assertThat(changed.params()).isEqualTo(NODES.arrayNode().add(1));
      assertThat(changed.method()).isEqualTo("m");
      assertThat(original.params()).isNull();
    }
  }

  @Nested
  class Responses {

    @Test
    @DisplayName("a response with both result and error is refused")
    void refusesBoth() {
      assertThatThrownBy(
              () -> new JsonRpcResponse(RequestId.of(1), NODES.objectNode(), JsonRpcError.of(1, "m")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("exactly one");
    }

    @Test
    @DisplayName("a response with neither result nor error is refused")
    void refusesNeither() {
      assertThatThrownBy(() -> new JsonRpcResponse(RequestId.of(1), null, null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("exactly one");
    }

    @Test
    @DisplayName("a successful response with a null id is refused")
    void refusesSuccessWithNullId() {
      assertThatThrownBy(() -> new JsonRpcResponse(null, NODES.objectNode(), null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("null id");
      assertThatThrownBy(() -> JsonRpcResponse.success(null, NODES.objectNode()))
          .isInstanceOf(IllegalArgumentException.class);
      JsonRpcResponse ok = JsonRpcResponse.success(RequestId.of(1), NODES.objectNode());
      assertThatThrownBy(() -> ok.withId(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("an error response may have a null id")
    void errorWithNullId() {
      JsonRpcResponse response = JsonRpcResponse.failure(null, -32700, "Parse error");

      assertThat(response.id()).isNull();
      assertThat(response.isError()).isTrue();
      assertThat(response.result()).isNull();
      assertThat(response.error()).isEqualTo(JsonRpcError.of(-32700, "Parse error"));
    }

    @Test
    @DisplayName("a JSON null result is a result, not an absent one")
    void jsonNullResult() {
      JsonRpcResponse response = JsonRpcResponse.success(RequestId.of(1), NullNode.getInstance());

      assertThat(response.isError()).isFalse();
      assertThat(response.result()).isEqualTo(NullNode.getInstance());
    }

    @Test
    @DisplayName("withId returns a new response answering another id")
    void withId() {
      JsonRpcResponse original = JsonRpcResponse.failure(RequestId.of(1), JsonRpcError.of(-1, "x"));
      JsonRpcResponse moved = original.withId(RequestId.of("one"));

      assertThat(moved.id()).isEqualTo(RequestId.of("one"));
      assertThat(moved.error()).isEqualTo(original.error());
      assertThat(original.id()).isEqualTo(RequestId.of(1));
      assertThat(original.withId(null).id()).isNull();
    }

    @Test
    @DisplayName("an error needs a message")
    void errorNeedsMessage() {
      assertThatThrownBy(() -> JsonRpcError.of(1, null)).isInstanceOf(NullPointerException.class);
      assertThat(new JsonRpcError(1, "m", null).data()).isNull();
    }
  }

  @Nested
  class Ids {

    @Test
    @DisplayName("a string id cannot be null")
    void stringIdNotNull() {
      assertThatThrownBy(() -> RequestId.of((String) null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("ids are values and keep their JSON type")
    void idsAreValues() {
      assertThat(RequestId.of(5)).isEqualTo(RequestId.of(5)).hasSameHashCodeAs(RequestId.of(5));
      assertThat(RequestId.of("5")).isEqualTo(RequestId.of("5"));
      assertThat(RequestId.of(5)).isNotEqualTo(RequestId.of("5"));
      assertThat(RequestId.of(5).toJson()).isEqualTo(NODES.numberNode(5L));
      assertThat(RequestId.of("5").toJson()).isEqualTo(NODES.textNode("5"));
    }
  }
}
