package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Subscriptions of several holders over one shared upstream, counted per URI. */
class SharedSubscriptionsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private final List<String> sent = new CopyOnWriteArrayList<>();
  private final SharedSubscriptions<String> subscriptions = new SharedSubscriptions<>("shared", (request, timeout) -> {
    String uri = request.params().path("uri").asText();
    sent.add(request.method() + " " + uri);
    return CompletableFuture.completedFuture(uri.startsWith("refused")
        ? JsonRpcResponse.failure(request.id(), -32602, "no such resource")
        : JsonRpcResponse.success(request.id(), JsonNodeFactory.instance.objectNode()));
  });

  private static JsonRpcRequest request(String id, String method, String uri) {
    return new JsonRpcRequest(RequestId.of(id), method, JsonNodeFactory.instance.objectNode().put("uri", uri));
  }

  private JsonRpcResponse subscribe(String holder, String uri) {
    return subscriptions.subscribe(holder, request(holder + "-s", "resources/subscribe", uri), TIMEOUT).join();
  }

  private JsonRpcResponse unsubscribe(String holder, String uri) {
    return subscriptions.unsubscribe(holder, request(holder + "-u", "resources/unsubscribe", uri), TIMEOUT).join();
  }

  @Test
  void theFirstSubscribeAndTheLastUnsubscribeGoUpstreamEachAnsweredUnderItsOwnId() {
    assertThat(subscribe("a", "file:///x").id()).isEqualTo(RequestId.of("a-s"));
    assertThat(subscribe("b", "file:///x").id()).isEqualTo(RequestId.of("b-s"));
    assertThat(subscriptions.holdersOf("file:///x")).containsExactly("a", "b");

    assertThat(unsubscribe("a", "file:///x").isError()).isFalse();
    assertThat(subscriptions.holdersOf("file:///x")).containsExactly("b");
    assertThat(unsubscribe("b", "file:///x").id()).isEqualTo(RequestId.of("b-u"));

    assertThat(sent).containsExactly("resources/subscribe file:///x", "resources/unsubscribe file:///x");
    assertThat(subscriptions.holdersOf("file:///x")).isEmpty();
  }

  @Test
  void aRefusedUriIsHeldByNoOneAndAskedAgainNextTime() {
    assertThat(subscribe("a", "refused://x").isError()).isTrue();
    assertThat(subscriptions.holdersOf("refused://x")).isEmpty();
    assertThat(subscribe("b", "refused://x").isError()).isTrue();
    assertThat(sent).containsExactly("resources/subscribe refused://x", "resources/subscribe refused://x");
  }

  @Test
  void aHolderThatLeavesGivesUpOnlyTheUrisNoOneElseHolds() {
    subscribe("a", "file:///x");
    subscribe("a", "file:///only-a");
    subscribe("b", "file:///x");

    subscriptions.releaseAll("a", TIMEOUT);

    assertThat(sent).containsExactly("resources/subscribe file:///x", "resources/subscribe file:///only-a",
        "resources/unsubscribe file:///only-a");
    assertThat(subscriptions.holdersOf("file:///x")).containsExactly("b");
    assertThat(unsubscribe("a", "file:///x").isError()).as("not held: answered here").isFalse();
    assertThat(sent).hasSize(3);
  }

  @Test
  void aHolderSubscribingAgainWhatItHoldsGoesUpstreamAgainAsAfterARestart() {
    subscribe("a", "file:///x");
    subscribe("b", "file:///x");

    subscribe("a", "file:///x");

    assertThat(sent).containsExactly("resources/subscribe file:///x", "resources/subscribe file:///x");
    assertThat(subscriptions.holdersOf("file:///x")).containsExactly("a", "b");
  }
}
