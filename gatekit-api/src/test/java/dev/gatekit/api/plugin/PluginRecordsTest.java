package dev.gatekit.api.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** PluginResult, AuditEvent and PluginContext: valid combinations only, and copied maps. */
class PluginRecordsTest {

  private static final JsonRpcRequest REQUEST =
      new JsonRpcRequest(RequestId.of(1), "tools/call", JsonNodeFactory.instance.objectNode());
  private static final JsonRpcResponse RESPONSE =
      JsonRpcResponse.success(RequestId.of(1), JsonNodeFactory.instance.objectNode());

  @Nested
  class PluginResults {

    @Test
    @DisplayName("MODIFY without a message is refused")
    void modifyNeedsMessage() {
      assertThatThrownBy(
              () -> new PluginResult(PluginResult.Decision.MODIFY, null, "redacted", Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("MODIFY needs a message");
      assertThatThrownBy(() -> PluginResult.modify(null, "r"))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("ALLOW and BLOCK with a message are refused")
    void allowAndBlockCarryNoMessage() {
      assertThatThrownBy(() -> new PluginResult(PluginResult.Decision.ALLOW, REQUEST, null, Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ALLOW must not carry a message");
      assertThatThrownBy(() -> new PluginResult(PluginResult.Decision.BLOCK, REQUEST, "no", Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("BLOCK must not carry a message");
    }

    @Test
    @DisplayName("COMPLETE with anything but a response is refused")
    void completeNeedsResponse() {
      assertThatThrownBy(
              () -> new PluginResult(PluginResult.Decision.COMPLETE, REQUEST, "cached", Map.of()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("JsonRpcResponse");
      assertThatThrownBy(
              () ->
                  new PluginResult(
                      PluginResult.Decision.COMPLETE,
                      new JsonRpcNotification("n", null),
                      "cached",
                      Map.of()))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(
              () -> new PluginResult(PluginResult.Decision.COMPLETE, null, "cached", Map.of()))
          .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a null decision or null metadata is refused")
    void nullsRefused() {
      assertThatThrownBy(() -> new PluginResult(null, null, null, Map.of()))
          .isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new PluginResult(PluginResult.Decision.ALLOW, null, null, null))
          .isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("the factories build the valid combinations")
    void factories() {
      assertThat(PluginResult.allow().decision()).isEqualTo(PluginResult.Decision.ALLOW);
      assertThat(PluginResult.allow().message()).isNull();
      assertThat(PluginResult.allow().reason()).isNull();
      assertThat(PluginResult.allow("fine").reason()).isEqualTo("fine");
      assertThat(PluginResult.modify(REQUEST, "redacted").message()).isSameAs(REQUEST);
      assertThat(PluginResult.block("secret found").reason()).isEqualTo("secret found");
      assertThat(PluginResult.complete(RESPONSE, "cached").message()).isSameAs(RESPONSE);
      assertThatThrownBy(() -> PluginResult.block(null)).isInstanceOf(NullPointerException.class);
    }

    @ParameterizedTest
    @EnumSource(PluginResult.Decision.class)
    @DisplayName("only ALLOW and MODIFY let the message pass")
    void passes(PluginResult.Decision decision) {
      PluginResult result =
          switch (decision) {
            case ALLOW -> PluginResult.allow();
            case MODIFY -> PluginResult.modify(REQUEST, "r");
            case BLOCK -> PluginResult.block("r");
            case COMPLETE -> PluginResult.complete(RESPONSE, "r");
          };
      assertThat(result.decision()).isEqualTo(decision);
      assertThat(result.passes())
          .isEqualTo(decision == PluginResult.Decision.ALLOW || decision == PluginResult.Decision.MODIFY);
    }

    @Test
    @DisplayName("withMetadata returns a new value and leaves the original untouched")
    void withMetadataReturnsNewValue() {
      PluginResult original = PluginResult.block("secret");

      PluginResult one = original.withMetadata("rule", "aws-key");
      PluginResult two = one.withMetadata("count", 2);

      assertThat(original.metadata()).isEmpty();
      assertThat(one).isNotSameAs(original);
      assertThat(one.metadata()).containsExactly(Map.entry("rule", "aws-key"));
      assertThat(two.metadata()).containsOnly(Map.entry("rule", "aws-key"), Map.entry("count", 2));
      assertThat(two.decision()).isEqualTo(PluginResult.Decision.BLOCK);
      assertThat(two.reason()).isEqualTo("secret");
      assertThat(one.withMetadata("rule", "other").metadata()).containsExactly(Map.entry("rule", "other"));
    }

    @Test
    @DisplayName("the shared allow() result is not changed by withMetadata")
    void sharedAllowUntouched() {
      PluginResult.allow().withMetadata("k", "v");

      assertThat(PluginResult.allow().metadata()).isEmpty();
    }

    @Test
    @DisplayName("the metadata is copied and unmodifiable")
    void metadataCopied() {
      Map<String, Object> source = new HashMap<>();
      source.put("k", "v");
      PluginResult result = new PluginResult(PluginResult.Decision.ALLOW, null, null, source);

      source.put("later", "x");

      assertThat(result.metadata()).containsExactly(Map.entry("k", "v"));
      assertThatThrownBy(() -> result.metadata().put("x", "y"))
          .isInstanceOf(UnsupportedOperationException.class);
    }
  }

  @Nested
  class AuditEvents {

    private AuditEvent event(Map<String, Object> metadata) {
      return new AuditEvent(
          Instant.EPOCH,
          Direction.CLIENT_TO_UPSTREAM,
          "fs",
          "tools/call",
          RequestId.of(1),
          AuditEvent.Outcome.BLOCKED,
          null,
          "secret",
          Duration.ofMillis(3),
          metadata);
    }

    @Test
    @DisplayName("the metadata map is copied: changing the source later changes nothing")
    void copiesMetadata() {
      Map<String, Object> source = new HashMap<>(Map.of("rule", "aws-key"));
      AuditEvent event = event(source);

      source.put("rule", "changed");
      source.put("more", 1);

      assertThat(event.metadata()).containsExactly(Map.entry("rule", "aws-key"));
      assertThatThrownBy(() -> event.metadata().clear())
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("time, direction, method and outcome are required")
    void requiredFields() {
      assertThatThrownBy(
              () ->
                  new AuditEvent(
                      null, Direction.CLIENT_TO_UPSTREAM, null, "m", null,
                      AuditEvent.Outcome.ALLOWED, null, null, null, Map.of()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("time");
      assertThatThrownBy(
              () ->
                  new AuditEvent(
                      Instant.EPOCH, null, null, "m", null,
                      AuditEvent.Outcome.ALLOWED, null, null, null, Map.of()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("direction");
      assertThatThrownBy(
              () ->
                  new AuditEvent(
                      Instant.EPOCH, Direction.UPSTREAM_TO_CLIENT, null, null, null,
                      AuditEvent.Outcome.ALLOWED, null, null, null, Map.of()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("method");
      assertThatThrownBy(
              () ->
                  new AuditEvent(
                      Instant.EPOCH, Direction.UPSTREAM_TO_CLIENT, null, "m", null,
                      null, null, null, null, Map.of()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("outcome");
    }

    @Test
    @DisplayName("optional fields may be null")
    void optionalFields() {
      AuditEvent event =
          new AuditEvent(
              Instant.EPOCH, Direction.UPSTREAM_TO_CLIENT, null, "notifications/x", null,
              AuditEvent.Outcome.ALLOWED, null, null, null, Map.of());

      assertThat(event.upstream()).isNull();
      assertThat(event.requestId()).isNull();
      assertThat(event.metadata()).isEmpty();
    }
  }

  @Nested
  class PluginContexts {

    @Test
    @DisplayName("the attributes map is copied: changing the source later changes nothing")
    void copiesAttributes() {
      Map<String, Object> source = new HashMap<>();
      source.put(PluginContext.CLIENT_NAME, "claude");
      PluginContext context = new PluginContext(Direction.CLIENT_TO_UPSTREAM, "fs", RequestId.of(1), "tools/call", source);

      source.put(PluginContext.CLIENT_NAME, "other");
      source.put(PluginContext.PROTOCOL_VERSION, "2025-06-18");

      assertThat(context.attributes()).containsExactly(Map.entry("clientName", "claude"));
      assertThatThrownBy(() -> context.attributes().put("x", 1))
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("of() builds a context without attributes; the method is required")
    void factory() {
      PluginContext context = PluginContext.of(null, null, "ping");

      assertThat(context.attributes()).isEmpty();
      assertThat(context.upstream()).isNull();
      assertThat(context.requestId()).isNull();
      assertThat(context.method()).isEqualTo("ping");
      assertThatThrownBy(() -> PluginContext.of("fs", null, null))
          .isInstanceOf(NullPointerException.class);
    }
  }
}
