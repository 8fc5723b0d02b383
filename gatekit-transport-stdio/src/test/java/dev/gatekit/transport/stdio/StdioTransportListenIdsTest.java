package dev.gatekit.transport.stdio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.support.ListenIds;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A 2026-07-28 server over stdio names a listen by the id it came under, which is the transport's
 * wire id: its notifications reach the caller under the caller's own id.
 */
class StdioTransportListenIdsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void aListensNotificationsAndItsCancellationNameTheCallersIdNotTheWireId() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    StdioTransport transport = StdioTransport.builder(
            List.of(java, "-cp", System.getProperty("java.class.path"), ListeningServer.class.getName()))
        .name("listening")
        .build();
    LinkedBlockingQueue<JsonRpcNotification> notifications = new LinkedBlockingQueue<>();
    transport.setInboundHandler(new InboundHandler() {
      @Override
      public void onNotification(JsonRpcNotification notification) {
        notifications.add(notification);
      }

      @Override
      public CompletableFuture<JsonRpcResponse> onRequest(JsonRpcRequest request) {
        return CompletableFuture.completedFuture(JsonRpcResponse.success(request.id(), JsonNodeFactory.instance.objectNode()));
      }
    });
    transport.start();
    try {
      // Another request first, so that the listen's wire id differs from the caller's.
      transport.sendAndReceive(new JsonRpcRequest(RequestId.of(1), McpMethods.PING, null)).get(30, TimeUnit.SECONDS);
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      params.putObject("filter").putArray("resourceSubscriptions").add("test://a").add("test://b");
      CompletableFuture<JsonRpcResponse> listen =
          transport.sendAndReceive(new JsonRpcRequest(RequestId.of("my-listen"), McpMethods.SUBSCRIPTIONS_LISTEN, params));

      for (String uri : List.of("test://a", "test://b")) {
        JsonRpcNotification update = notifications.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(update).isNotNull();
        assertThat(update.params().path("uri").asText()).isEqualTo(uri);
        assertThat(update.params().path("_meta").path(ListenIds.SUBSCRIPTION_ID_META).asText()).isEqualTo("my-listen");
      }

      // A listen the server ends itself: its notifications/cancelled names the caller's id too.
      ObjectNode ending = JsonNodeFactory.instance.objectNode();
      ending.putObject("filter").putArray("resourceSubscriptions").add("test://end");
      CompletableFuture<JsonRpcResponse> ended =
          transport.sendAndReceive(new JsonRpcRequest(RequestId.of(7), McpMethods.SUBSCRIPTIONS_LISTEN, ending));
      for (int i = 0; i < 2; i++) {
        JsonRpcNotification update = notifications.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(update).isNotNull();
        assertThat(update.params().path("_meta").path(ListenIds.SUBSCRIPTION_ID_META).asLong()).isEqualTo(7);
      }
      JsonRpcNotification cancelled = notifications.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(cancelled).isNotNull();
      assertThat(cancelled.method()).isEqualTo(McpMethods.NOTIFICATIONS_CANCELLED);
      assertThat(cancelled.params().path("requestId").asLong()).isEqualTo(7);
      assertThat(ended.get(30, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of(7));
      assertThat(listen).isNotDone();
    } finally {
      transport.close();
    }
  }
}
