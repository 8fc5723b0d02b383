package dev.gatekit.api;

import org.jspecify.annotations.Nullable;

/**
 * The root of Gatekit's exceptions. Each carries the JSON-RPC error code under which a client of the
 * gateway sees it, so a failure becomes an error response without a lookup table elsewhere.
 *
 * <p>Futures returned by a {@link Transport} complete exceptionally only with subclasses of this type
 * (or with {@link java.util.concurrent.CancellationException} when the caller cancelled them).
 */
public abstract class GatekitException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int errorCode;

  protected GatekitException(int errorCode, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
  }

  /** Returns the JSON-RPC error code of this failure; see {@link ErrorCodes}. */
  public final int errorCode() {
    return errorCode;
  }

  /** Returns this failure as a JSON-RPC error object. */
  public JsonRpcError toJsonRpcError() {
    return JsonRpcError.of(errorCode, String.valueOf(getMessage()));
  }
}
