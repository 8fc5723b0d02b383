package dev.gatekit.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.transport.http.UnauthorizedException;
import java.io.EOFException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * The errors of one HTTP upstream. Each names the upstream and its address without query or user
 * info, and never a header value (headers carry credentials).
 */
public final class Failures {

  /** The failure of requests whose session the server no longer knows. */
  public static final class SessionExpired extends TransportClosedException {
    private static final long serialVersionUID = 1L;

    SessionExpired(String message) {
      super(message);
    }
  }

  private final String name;
  private final String where;
  private final boolean renewing;

  /** {@code renewing}: whether an expired session is followed by a new one (for its message). */
  public Failures(String name, URI uri, boolean renewing) {
    this.name = name;
    this.where = describe(uri);
    this.renewing = renewing;
  }

  /** Returns the upstream's name. */
  public String name() {
    return name;
  }

  /** Returns the endpoint as messages show it. */
  public String where() {
    return where;
  }

  /** "Upstream 'x' at URL " + what. */
  public TransportClosedException failed(String what) {
    return new TransportClosedException("Upstream '" + name + "' at " + where + " " + what);
  }

  public TransportClosedException unreachable(Throwable error) {
    return new TransportClosedException(
        "Upstream '" + name + "' at " + where + " is unreachable: " + describe(error), null);
  }

  public SessionExpired expired() {
    return new SessionExpired(
        "Upstream '"
            + name
            + "' at "
            + where
            + " no longer knows the session (HTTP 404): the session expired"
            + (renewing ? "; starting a new one" : ""));
  }

  /** A 401 or 403: the status and the scheme of the server's challenge, never the credentials. */
  public UnauthorizedException unauthorized(int status, @Nullable String wwwAuthenticate) {
    String challenge = wwwAuthenticate == null ? "" : wwwAuthenticate.trim();
    String scheme = null;
    if (!challenge.isEmpty()) {
      int end = 0;
      while (end < challenge.length() && !Character.isWhitespace(challenge.charAt(end)) && challenge.charAt(end) != ',') {
        end++;
      }
      scheme = challenge.substring(0, end);
    }
    return new UnauthorizedException(
        "Upstream '"
            + name
            + "' at "
            + where
            + " refused the request: unauthorized (HTTP "
            + status
            + (scheme == null ? "" : ", WWW-Authenticate: " + scheme)
            + "); check the credentials in its headers",
        status,
        scheme);
  }

  /** Another status than 2xx: the status and the server's message (its JSON-RPC error's, if any). */
  public TransportClosedException httpError(int status, String body) {
    String detail = body.strip();
    try {
      JsonNode tree = JsonRpcCodec.get().mapper().readTree(detail);
      JsonNode message = tree == null ? null : tree.path("error").get("message");
      if (message != null && message.isTextual()) {
        detail = message.textValue();
      }
    } catch (Exception notJson) {
      // plain text: keep it
    }
    detail = detail.replaceAll("\\s+", " ");
    if (detail.length() > 200) {
      detail = detail.substring(0, 200) + "...";
    }
    return failed("answered HTTP " + status + (detail.isEmpty() ? "" : ": " + detail));
  }

  /**
   * Returns whether the HTTP client reports a connection that the server closed (the end of its
   * stream, or a closed channel) — asked only when no byte of the response had come: a pooled
   * connection that the server closed before it answered.
   */
  public static boolean closedBeforeAnswering(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause instanceof EOFException || cause instanceof ClosedChannelException) {
        return true;
      }
    }
    return false;
  }

  /** The innermost useful cause: its type and message. */
  public static String describe(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause.getCause() != null && cause.getMessage() == null)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** The endpoint without user info, query or fragment, for messages. */
  public static String describe(URI uri) {
    StringBuilder text = new StringBuilder().append(uri.getScheme()).append("://").append(uri.getHost());
    if (uri.getPort() >= 0) {
      text.append(':').append(uri.getPort());
    }
    String path = uri.getRawPath();
    return text.append(path == null ? "" : path).toString();
  }
}
