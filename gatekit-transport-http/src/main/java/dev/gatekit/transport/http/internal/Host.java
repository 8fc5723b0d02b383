package dev.gatekit.transport.http.internal;

import dev.gatekit.api.JsonRpcMessage;

/** What the parts of an HTTP transport ask of the transport that holds them. */
public interface Host {

  /** Routes one message read from any stream: an answer to its request, the rest to the handler. */
  void dispatch(JsonRpcMessage message);

  /** The server answered 404 for {@code session}: it expired. Idempotent per session. */
  void sessionExpired(String session);

  /** Returns whether the transport is running (not closed, failed or renewing its session). */
  boolean isRunning();
}
