package dev.gatekit.api;

import org.jspecify.annotations.Nullable;

/**
 * Input that is not a valid JSON-RPC 2.0 message.
 *
 * <p>The code is {@link ErrorCodes#PARSE_ERROR} when the input is not JSON at all and
 * {@link ErrorCodes#INVALID_REQUEST} when it is JSON but not a valid message. {@link #id()} is the
 * request id when one could be read, so that the error response can name it; {@link #isBatch()} tells
 * that the input was a JSON array (a batch, which MCP no longer allows).
 */
public class ProtocolException extends GatekitException {

  private static final long serialVersionUID = 1L;

  private final @Nullable RequestId id;
  private final boolean batch;

  public ProtocolException(
      int errorCode, String message, @Nullable RequestId id, boolean batch, @Nullable Throwable cause) {
    super(errorCode, message, cause);
    this.id = id;
    this.batch = batch;
  }

  /** Returns a parse error ({@code -32700}) for input that is not JSON. */
  public static ProtocolException parseError(String message, @Nullable Throwable cause) {
    return new ProtocolException(ErrorCodes.PARSE_ERROR, message, null, false, cause);
  }

  /** Returns an invalid-request error ({@code -32600}) naming the id when one could be read. */
  public static ProtocolException invalidRequest(String message, @Nullable RequestId id) {
    return new ProtocolException(ErrorCodes.INVALID_REQUEST, message, id, false, null);
  }

  /** Returns the id of the offending message, if one could be read. */
  public @Nullable RequestId id() {
    return id;
  }

  /** Returns whether the input was a JSON array (a JSON-RPC batch). */
  public boolean isBatch() {
    return batch;
  }

  /** Returns the error response a receiver sends back for this input. */
  public JsonRpcResponse toResponse() {
    return JsonRpcResponse.failure(id, toJsonRpcError());
  }
}
