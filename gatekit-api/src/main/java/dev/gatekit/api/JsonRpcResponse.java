package dev.gatekit.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * A JSON-RPC response: the answer to the request with the same id, carrying either a result or an
 * error, never both.
 *
 * <p>The id is {@code null} only for an error response to a request whose id could not be read (a
 * parse error or an invalid request), as JSON-RPC prescribes.
 *
 * @param id the id of the request this answers, or {@code null} as described above
 * @param result the result, present exactly when {@code error} is {@code null}
 * @param error the error, present exactly when {@code result} is {@code null}
 */
public record JsonRpcResponse(@Nullable RequestId id, @Nullable JsonNode result, @Nullable JsonRpcError error)
    implements JsonRpcMessage {

  /** Checks that exactly one of result and error is present and that only errors lack an id. */
  public JsonRpcResponse {
    if ((result == null) == (error == null)) {
      throw new IllegalArgumentException("a response has exactly one of result and error");
    }
    if (id == null && error == null) {
      throw new IllegalArgumentException("only an error response may have a null id");
    }
  }

  /** Returns a successful response. */
  public static JsonRpcResponse success(RequestId id, JsonNode result) {
    return new JsonRpcResponse(id, result, null);
  }

  /** Returns an error response. */
  public static JsonRpcResponse failure(@Nullable RequestId id, JsonRpcError error) {
    return new JsonRpcResponse(id, null, error);
  }

  /** Returns an error response with the given code and message. */
  public static JsonRpcResponse failure(@Nullable RequestId id, int code, String message) {
    return new JsonRpcResponse(id, null, JsonRpcError.of(code, message));
  }

  /** Returns whether this response carries an error. */
  public boolean isError() {
    return error != null;
  }

  /** Returns a response like this one answering another id. */
  public JsonRpcResponse withId(@Nullable RequestId newId) {
    return new JsonRpcResponse(newId, result, error);
  }
}
