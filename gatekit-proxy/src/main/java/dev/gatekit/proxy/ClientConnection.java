package dev.gatekit.proxy;

import dev.gatekit.api.JsonRpcMessage;

/**
 * Where a {@link GatekitProxy} sends what is meant for its client: responses, notifications from
 * upstreams, and server-to-client requests.
 *
 * <p>The proxy calls {@link #send} from many threads at once, as responses complete; implementations
 * must be thread-safe, must not interleave messages, and should not block (queue and write on a
 * thread of their own, as {@link StdioServer} does).
 */
@FunctionalInterface
public interface ClientConnection {

  /** Sends one message to the client. */
  void send(JsonRpcMessage message);
}
