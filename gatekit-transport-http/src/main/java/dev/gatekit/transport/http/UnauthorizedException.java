package dev.gatekit.transport.http;

import dev.gatekit.api.TransportClosedException;
import org.jspecify.annotations.Nullable;

/**
 * The server refused the transport's credentials: it answered HTTP 401 or 403. The code is that of
 * every unavailable upstream ({@link dev.gatekit.api.ErrorCodes#UPSTREAM_UNAVAILABLE}); the message
 * says "unauthorized" and gives the status and the authentication scheme the server asked for
 * ({@code WWW-Authenticate}), never a header value the transport sent.
 */
public final class UnauthorizedException extends TransportClosedException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final @Nullable String scheme;

  public UnauthorizedException(String message, int status, @Nullable String scheme) {
    super(message);
    this.status = status;
    this.scheme = scheme;
  }

  /** Returns the HTTP status: 401 or 403. */
  public int status() {
    return status;
  }

  /** Returns the scheme of the server's {@code WWW-Authenticate} challenge (such as "Bearer"), or null. */
  public @Nullable String scheme() {
    return scheme;
  }
}
