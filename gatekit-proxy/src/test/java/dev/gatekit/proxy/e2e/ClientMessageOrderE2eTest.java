package dev.gatekit.proxy.e2e;

import static dev.gatekit.proxy.e2e.E2eClient.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.e2e.E2eCommands.Upstream;
import dev.gatekit.testkit.MockTransport;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client's messages reach the upstream in the order the client sent them: a request never
 * overtakes a notification sent before it, even when a plugin takes its time over the notification.
 * Found end to end: {@code notifications/initialized} must reach the server before the first
 * request (server-everything registers its sampling tools on it; the Python SDK's servers refuse
 * requests before it).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ClientMessageOrderE2eTest {

  private static final String INITIALIZED = "notifications/initialized";
  private static final long SLOW_MILLIS = 500;

  @Test
  void serverEverythingSeesInitializedBeforeTheFirstRequest() {
    List<String> command = E2eCommands.gatekitMulti(
        List.of(TwoUpstreamProxyMain.DELAY_NOTIFICATION, INITIALIZED, Long.toString(SLOW_MILLIS)),
        new Upstream("everything", E2eCommands.serverEverything()));

    try (E2eClient client = E2eClient.start("gatekit (slow notifications) -> server-everything", command)) {
      // The SDK client has sent notifications/initialized before it lets this request go.
      List<Tool> tools = await(client.sdk().listTools()).tools();

      assertThat(tools).extracting(Tool::name)
          .as("tools server-everything registers when notifications/initialized arrives")
          .contains("trigger-sampling-request");
    }
  }

  @Test
  void aRequestWaitsForTheNotificationsTheClientSentBeforeIt() {
    AtomicReference<MockTransport> upstream = new AtomicReference<>();
    ObjectNode init = JsonNodeFactory.instance.objectNode();
    init.put("protocolVersion", "2025-11-25");
    init.putObject("capabilities").putObject("tools");
    init.putObject("serverInfo").put("name", "mock").put("version", "1");
    upstream.set(MockTransport.builder()
        .result("initialize", init)
        .handle("tools/list", request -> {
          boolean initializedFirst =
              upstream.get().notifications().stream().anyMatch(n -> n.method().equals(INITIALIZED));
          ObjectNode result = JsonNodeFactory.instance.objectNode();
          result.putArray("tools");
          result.put("initializedFirst", initializedFirst);
          return JsonRpcResponse.success(request.id(), result);
        })
        .build());
    ConcurrentLinkedQueue<JsonRpcMessage> toClient = new ConcurrentLinkedQueue<>();
    JsonRpcCodec codec = JsonRpcCodec.get();

    try (GatekitProxy proxy = GatekitProxy.builder()
        .upstream("mock", upstream.get())
        .plugin(new SlowOn(INITIALIZED))
        .build()) {
      proxy.connect(toClient::add);
      proxy.receive(codec.decode("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
          + "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"));
      Await.until(() -> toClient.size() == 1, () -> "the initialize result");
      proxy.receive(codec.decode("{\"jsonrpc\":\"2.0\",\"method\":\"" + INITIALIZED + "\"}"));
      proxy.receive(codec.decode("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}"));
      Await.until(() -> toClient.size() == 2, () -> "the tools/list result");

      JsonRpcResponse list = toClient.stream()
          .map(JsonRpcResponse.class::cast)
          .filter(r -> r.id().equals(RequestId.of(2)))
          .findFirst()
          .orElseThrow();
      assertThat(list.result().path("initializedFirst").asBoolean())
          .as("notifications/initialized reached the upstream before tools/list")
          .isTrue();
      assertThat(proxy.awaitIdle(Duration.ofSeconds(10))).isTrue();
    }
  }

  /** Takes {@link #SLOW_MILLIS} over notifications of one method, as a slow filter would. */
  private static final class SlowOn implements SecurityPlugin {
    private final String method;

    SlowOn(String method) {
      this.method = method;
    }

    @Override
    public PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
      if (notification.method().equals(method)) {
        try {
          Thread.sleep(SLOW_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return PluginResult.allow();
    }
  }
}
