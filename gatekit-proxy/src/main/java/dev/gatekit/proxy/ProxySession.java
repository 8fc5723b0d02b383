package dev.gatekit.proxy;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.ProtocolException;
import java.time.Duration;

/**
 * One client's session of a {@link GatekitProxy} that serves several clients at once, such as the
 * sessions of an HTTP front ({@link GatekitProxy#open}). A session has its own {@code initialize}
 * handshake, its own calls in flight and, for every upstream added with {@link
 * GatekitProxy.Builder#upstreamPerSession}, its own upstream connection; no message of one session
 * reaches another session's client. Answers and what upstreams send go to the {@link
 * ClientConnection} given when the session was opened. Thread-safe.
 */
public interface ProxySession extends AutoCloseable {

  /** Returns the id the session was opened with. */
  String id();

  /** Takes one message from the client. Never blocks; answers go to the session's connection. */
  void receive(JsonRpcMessage message);

  /**
   * Takes one client message given as its encoded JSON, when the session can pass it on as bytes:
   * the same conditions as {@link GatekitProxy#receiveLine} (no plugins, one upstream behind a
   * {@code StdioTransport}, no namespacing, the session initialized, a request other than {@code
   * initialize} and {@code ping} that {@link dev.gatekit.api.support.JsonRpcLineScanner} is sure of).
   * Its answer then reaches the session's connection through {@link ClientConnection#sendEncoded}, on
   * the thread that learnt it (the upstream's reader), with no hand-off. Returns false, having done
   * nothing, otherwise: decode the message and give it to {@link #receive}. Never blocks; reads the
   * buffer only during the call. By default it never passes a message on as bytes.
   */
  default boolean receiveLine(byte[] buffer, int offset, int length) {
    return false;
  }

  /**
   * Takes input from the client that was not a valid message, and answers it with the JSON-RPC error
   * it deserves (-32700 for a parse error, -32600 for an invalid request or a batch).
   */
  void receiveMalformed(ProtocolException problem);

  /** Returns the session's counters. */
  ProxyStats stats();

  /** Returns whether no client request of this session is in flight. */
  boolean isIdle();

  /** Waits up to {@code timeout} for the session's requests in flight to be answered; returns whether none is left. */
  boolean awaitIdle(Duration timeout);

  /**
   * Ends the session: its own upstream connections close (a stdio upstream's process ends), what it
   * has in flight fails with errors sent to its connection, and it leaves every shared upstream.
   * Idempotent; never throws.
   */
  @Override
  void close();
}
