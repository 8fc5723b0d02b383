package dev.gatekit.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A JSON-RPC notification: a method call without an id, which is never answered.
 *
 * @param method the method name, never empty
 * @param params the parameters (a JSON object or array), or {@code null} when there are none
 */
public record JsonRpcNotification(String method, @Nullable JsonNode params) implements JsonRpcMessage {

  /** Checks that method is present and that params, if given, is an object or an array. */
  public JsonRpcNotification {
    checkMethodAndParams(method, params);
  }

  /** Returns a notification like this one with other params. */
  public JsonRpcNotification withParams(@Nullable JsonNode newParams) {
    return new JsonRpcNotification(method, newParams);
  }

  static void checkMethodAndParams(String method, @Nullable JsonNode params) {
    Objects.requireNonNull(method, "method");
    if (method.isEmpty()) {
      throw new IllegalArgumentException("method must not be empty");
    }
    if (params != null && !params.isObject() && !params.isArray()) {
      throw new IllegalArgumentException(
          "params must be a JSON object or array, was " + params.getNodeType());
    }
  }
}
