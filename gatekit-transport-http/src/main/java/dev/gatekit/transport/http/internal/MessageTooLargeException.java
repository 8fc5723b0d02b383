package dev.gatekit.transport.http.internal;

/** A response body or an event outgrew the configured bound; the stream it came on is abandoned. */
public final class MessageTooLargeException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public MessageTooLargeException(String what, int limit) {
    super(what + " is over the limit of " + limit + " bytes");
  }
}
