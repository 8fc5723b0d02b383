package dev.gatekit.server.http.internal;

import dev.gatekit.api.JsonRpcMessage;
import java.time.Duration;

/**
 * What the front needs of one client's proxy session (a {@code ProxySession}): messages in, answers
 * out through the {@link dev.gatekit.proxy.ClientConnection} it was opened with.
 */
public interface UpstreamSession {

  /** Takes one client message; never blocks. */
  void receive(JsonRpcMessage message);

  /** Whether no client request of this session is in flight. */
  boolean isIdle();

  /** Waits up to {@code timeout} for the session to become idle; returns whether it did. */
  boolean awaitIdle(Duration timeout);

  /** Ends the session and its own upstream connections; idempotent. */
  void close();
}
