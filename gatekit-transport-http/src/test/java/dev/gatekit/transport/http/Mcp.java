package dev.gatekit.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Builds the messages of the tests and does the handshake. */
final class Mcp {

  private Mcp() {}

  static JsonNode json(String text) {
    try {
      return JsonRpcCodec.get().mapper().readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonRpcRequest request(long id, String method, String params) {
    return new JsonRpcRequest(RequestId.of(id), method, params == null ? null : json(params));
  }

  static JsonRpcRequest call(long id, String tool, String arguments) {
    return request(id, McpMethods.TOOLS_CALL, "{\"name\":\"" + tool + "\",\"arguments\":" + arguments + "}");
  }

  static JsonRpcRequest initialize(String version) {
    return request(
        0,
        McpMethods.INITIALIZE,
        "{\"protocolVersion\":\""
            + version
            + "\",\"capabilities\":{\"sampling\":{},\"elicitation\":{},\"roots\":{}},"
            + "\"clientInfo\":{\"name\":\"gatekit-test\",\"version\":\"1\"}}");
  }

  /** Initializes the session and sends notifications/initialized; returns the initialize result. */
  static JsonNode handshake(Transport transport, String version) throws Exception {
    JsonRpcResponse answer = transport.sendAndReceive(initialize(version)).get(30, TimeUnit.SECONDS);
    if (answer.isError()) {
      throw new AssertionError("initialize failed: " + answer.error());
    }
    transport.sendNotification(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));
    return answer.result();
  }

  /** Waits until the condition holds, at most 20 s. */
  static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Returns the first text content of a tools/call result. */
  static String text(JsonRpcResponse response) {
    if (response.isError()) {
      throw new AssertionError("error response: " + response.error());
    }
    return response.result().path("content").path(0).path("text").asText();
  }

  /** An inbound handler that records notifications and answers requests with a function. */
  static final class Recording implements InboundHandler {
    final List<JsonRpcNotification> notifications = new CopyOnWriteArrayList<>();
    final List<JsonRpcRequest> requests = new CopyOnWriteArrayList<>();
    private final Function<JsonRpcRequest, JsonNode> answers;

    Recording(Function<JsonRpcRequest, JsonNode> answers) {
      this.answers = answers;
    }

    Recording() {
      this(request -> json("{}"));
    }

    @Override
    public void onNotification(JsonRpcNotification notification) {
      notifications.add(notification);
    }

    @Override
    public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
      requests.add(request);
      return CompletableFuture.completedFuture(JsonRpcResponse.success(request.id(), answers.apply(request)));
    }

    List<JsonRpcNotification> named(String method) {
      return notifications.stream().filter(n -> n.method().equals(method)).toList();
    }
  }
}
