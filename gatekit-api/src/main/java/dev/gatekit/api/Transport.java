package dev.gatekit.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A connection to one upstream MCP server, with any number of requests in flight at once.
 *
 * <p>The central contract is {@link #sendAndReceive}: the returned future completes with the response
 * to <em>that</em> request, whatever else is in flight, whatever id the caller chose (two callers may
 * both use id {@code 1}), and the response carries the caller's id. The future completes
 * exceptionally only with a {@link GatekitException} — {@link TransportClosedException},
 * {@link RequestTimeoutException} or {@link OverloadedException} — and never waits longer than the
 * request timeout: when the upstream dies, every pending request fails at once. Cancelling the future
 * removes the request and, if it had been sent, tells the upstream with {@code
 * notifications/cancelled} (a request still waiting in the queue was never sent). An error response
 * from the upstream is a normal completion ({@link JsonRpcResponse#isError()}).
 *
 * <p>Futures are never completed on the thread that reads from the upstream, so dependent stages may
 * block or call the transport again.
 *
 * <p>Implementations are thread-safe. {@link #close()} is idempotent, may race with sends, and fails
 * whatever is still pending with {@link TransportClosedException}.
 */
public interface Transport extends AutoCloseable {

  /**
   * Connects to the upstream (for a subprocess: starts it). Calling it again on a running transport
   * does nothing.
   *
   * @throws TransportClosedException if the upstream cannot be started or the transport is closed
   */
  void start();

  /**
   * Sends a request and returns a future of its response, using the transport's request timeout.
   */
  CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request);

  /**
   * Sends a request as {@link #sendAndReceive(JsonRpcRequest)} does, with its own timeout.
   *
   * @throws IllegalArgumentException if the timeout is not positive
   */
  CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request, Duration timeout);

  /**
   * Sends a notification. Notifications are not answered; this returns once the notification is
   * queued for writing.
   *
   * @throws TransportClosedException if the transport is not running
   */
  void sendNotification(JsonRpcNotification notification);

  /**
   * Sets the handler for notifications and requests the upstream sends unasked. Set it before
   * {@link #start()} so that nothing is missed; a later change applies to messages that arrive
   * afterwards. Until a handler is set, {@link InboundHandler#REFUSE_ALL} applies.
   */
  void setInboundHandler(InboundHandler handler);

  /** Returns the current state. */
  TransportState state();

  /** Returns a snapshot of the counters. */
  TransportStats stats();

  /** Returns the options this transport was built with. */
  TransportOptions options();

  /**
   * Closes the connection and fails everything pending with {@link TransportClosedException}.
   * Idempotent; never throws.
   */
  @Override
  void close();
}
