package dev.gatekit.api;

import org.jspecify.annotations.Nullable;

/**
 * The transport is closed, was never started, or its upstream died: the request was not answered and
 * will not be. The message names the cause, such as the exit code and the last lines the server
 * wrote to stderr. Code: {@link ErrorCodes#UPSTREAM_UNAVAILABLE}.
 */
public class TransportClosedException extends GatekitException {

  private static final long serialVersionUID = 1L;

  public TransportClosedException(String message) {
    this(message, null);
  }

  public TransportClosedException(String message, @Nullable Throwable cause) {
    super(ErrorCodes.UPSTREAM_UNAVAILABLE, message, cause);
  }

  /**
   * Returns a description of the failure that holds no text the upstream wrote (such as its
   * stderr), fit for a client or an audit log.
   */
  public String clientMessage() {
    String message = String.valueOf(getMessage());
    int stderr = message.indexOf("; last stderr");
    return stderr < 0 ? message : message.substring(0, stderr);
  }
}
