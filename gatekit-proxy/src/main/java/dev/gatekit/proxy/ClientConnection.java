package dev.gatekit.proxy;

import dev.gatekit.api.JsonRpcCodec;
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

  /**
   * Sends one message given as its encoded line: UTF-8 JSON, one valid JSON-RPC message, without
   * the line break. The proxy uses it for upstreams' answers it passes on as bytes (no plugins, one
   * upstream; see {@link GatekitProxy#receiveLine}). By default the line is decoded and given to
   * {@link #send(JsonRpcMessage)}; a connection that writes bytes should write it as it is.
   */
  default void sendEncoded(byte[] line) {
    send(JsonRpcCodec.get().decode(line));
  }
}
