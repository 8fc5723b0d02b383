package dev.gatekit.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A JSON-RPC request: a method call that expects exactly one {@link JsonRpcResponse} with the same id.
 *
 * @param id the request id, kept with its JSON type
 * @param method the method name, never empty
 * @param params the parameters (a JSON object or array), or {@code null} when the request has none
 */
public record JsonRpcRequest(RequestId id, String method, @Nullable JsonNode params)
    implements JsonRpcMessage {

  /** Checks that id and method are present and that params, if given, is an object or an array. */
  public JsonRpcRequest {
    Objects.requireNonNull(id, "id");
    JsonRpcNotification.checkMethodAndParams(method, params);
  }

  /** Returns a request like this one with another id. */
  public JsonRpcRequest withId(RequestId newId) {
    return new JsonRpcRequest(newId, method, params);
  }

  /** Returns a request like this one with other params. */
  public JsonRpcRequest withParams(@Nullable JsonNode newParams) {
    return new JsonRpcRequest(id, method, newParams);
  }

  /** Returns a request like this one with another method name. */
  public JsonRpcRequest withMethod(String newMethod) {
    return new JsonRpcRequest(id, newMethod, params);
  }
}
