package dev.gatekit.api;

import java.time.Duration;

/**
 * A request was not answered within its timeout. By the time a caller sees this, the request is no
 * longer pending and a {@code notifications/cancelled} has been sent upstream. Code:
 * {@link ErrorCodes#REQUEST_TIMEOUT}.
 */
public class RequestTimeoutException extends GatekitException {

  private static final long serialVersionUID = 1L;

  private final Duration timeout;

  public RequestTimeoutException(String method, Duration timeout) {
    super(
        ErrorCodes.REQUEST_TIMEOUT,
        "Request '" + method + "' timed out after " + timeout.toMillis() + " ms",
        null);
    this.timeout = timeout;
  }

  /** Returns the timeout that expired. */
  public Duration timeout() {
    return timeout;
  }
}
