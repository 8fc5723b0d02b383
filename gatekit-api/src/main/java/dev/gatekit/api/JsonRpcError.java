package dev.gatekit.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The error object of a failed JSON-RPC response.
 *
 * @param code the error code; {@link ErrorCodes} lists the standard ones and the gateway's own
 * @param message a short description a person can act on
 * @param data additional information, or {@code null}
 */
public record JsonRpcError(int code, String message, @Nullable JsonNode data) {

  /** Checks that the message is present. */
  public JsonRpcError {
    Objects.requireNonNull(message, "message");
  }

  /** Returns an error without data. */
  public static JsonRpcError of(int code, String message) {
    return new JsonRpcError(code, message, null);
  }
}
