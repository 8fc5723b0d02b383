package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's own requests to the client (such as {@code sampling/createMessage}), with ids {@code
 * "srv-1"}, {@code "srv-2"}, ... that the server chooses. The client's response completes the
 * future of the request it answers; cancelling that future forgets the request and tells the client
 * with {@code notifications/cancelled}. Thread-safe.
 */
final class OutboundRequests {

  static final String ID_PREFIX = "srv-";

  private final MessageWriter writer;
  private final AtomicLong lastId = new AtomicLong();
  private final Map<RequestId, CompletableFuture<JsonRpcResponse>> pending =
      new ConcurrentHashMap<>();

  OutboundRequests(MessageWriter writer) {
    this.writer = writer;
  }

  /** Sends a request to the client and returns a future of the client's response. */
  CompletableFuture<JsonRpcResponse> send(String method, JsonNode params) {
    RequestId id = RequestId.of(ID_PREFIX + lastId.incrementAndGet());
    CompletableFuture<JsonRpcResponse> response = new CompletableFuture<>();
    pending.put(id, response);
    response.whenComplete(
        (ignored, failure) -> {
          if (pending.remove(id, response) && failure instanceof CancellationException) {
            writer.send(cancelled(id));
          }
        });
    writer.send(new JsonRpcRequest(id, method, params));
    return response;
  }

  /** Completes the request the response answers; returns false if no such request is pending. */
  boolean complete(JsonRpcResponse response) {
    RequestId id = response.id();
    CompletableFuture<JsonRpcResponse> request = id == null ? null : pending.get(id);
    return request != null && request.complete(response);
  }

  private static JsonRpcNotification cancelled(RequestId id) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.set("requestId", id.toJson());
    params.put("reason", "The tool call that made this request was cancelled");
    return new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params);
  }
}
