package dev.gatekit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.proxy.internal.ClientOutbox;
import dev.gatekit.transport.stdio.StdioTransport;
import dev.gatekit.api.support.LineReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link GatekitProxy} to a client over byte streams — normally the process's stdin and
 * stdout, as the MCP stdio transport specifies: UTF-8, one JSON-RPC message per line.
 *
 * <p>The reader thread only frames and decodes; every request is handed to the proxy at once, so the
 * next line is read while earlier requests are in flight. When the proxy can pass a request on as
 * bytes ({@link GatekitProxy#receiveLine}) it is not decoded at all. Answers are written as they complete by one
 * writer thread, never interleaved, batched under load. Bad input gets its JSON-RPC error and the
 * server keeps serving: a line that is not JSON gets -32700 (id null), a line that is not a valid
 * message or is a batch gets -32600 (with the id when it could be read) — except a malformed response,
 * which is logged and dropped, since a response is never answered — a line over the maximum
 * length gets -32600 (id null) and is read past without being held in memory; blank lines are
 * skipped. When the client closes the input, requests in flight get up to the drain timeout to
 * finish, then the proxy closes its upstreams and the output is flushed and closed.
 *
 * <p>Backpressure: what waits to be written to the client is bounded ({@link #DEFAULT_MAX_QUEUED_BYTES}
 * by default). A client that does not read its answers makes the server stop reading its requests
 * until the answers drain, so a slow client holds back its own requests instead of filling the
 * gateway's memory; every answer is still delivered once the client reads. Likewise the server stops
 * reading while more than 100 of the client's requests wait to be handed to their upstream (behind a
 * notification still on its way, or for their plugins), so a client faster than the gateway cannot
 * make it hold an unbounded number of requests either; what the gateway holds for one client is
 * therefore about the bound plus the answers to those requests and to the requests in flight.
 *
 * <p>Failure: when nothing more can reach the client — writing to it failed (it closed its end), or
 * a thread of the server died of an error — the server can no longer serve. It tells the failure
 * handler ({@link #onFailure}; by default it logs), closes the input so that the reader stops, and
 * {@link #serve} ends with an {@link IOException}. A host that runs the gateway as its own process
 * should end that process then, as the {@code gatekit} command does (exit code 1), so that whoever
 * started it can start it again.
 */
public final class StdioServer {

  private static final Logger log = LoggerFactory.getLogger(StdioServer.class);

  /** What may wait to be written to the client before the server stops reading it: 8 MiB. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 8L * 1024 * 1024;

  /**
   * The most client requests taken and not yet handed to their upstream (waiting behind a
   * notification, or for their plugins) before the server stops reading the client: as many as an
   * upstream takes in flight by default.
   */
  static final int MAX_BACKLOG = TransportOptions.DEFAULT_MAX_IN_FLIGHT;

  private final GatekitProxy proxy;
  private final int maxLineLength;
  private final Duration drainTimeout;
  private final long maxQueuedBytes;
  private volatile @Nullable ClientOutbox outbox;
  private volatile Consumer<Throwable> failureHandler =
      failure -> log.error("The gateway can no longer serve its client: {}", failure.toString());
  private volatile @Nullable Throwable failure;
  private final JsonRpcCodec codec = JsonRpcCodec.get();

  /**
   * @param maxLineLength the longest line accepted from the client, in bytes
   * @param drainTimeout how long requests in flight may take to finish after the input ends
   */
  public StdioServer(GatekitProxy proxy, int maxLineLength, Duration drainTimeout) {
    this(proxy, maxLineLength, drainTimeout, DEFAULT_MAX_QUEUED_BYTES);
  }

  /**
   * @param maxLineLength the longest line accepted from the client, in bytes
   * @param drainTimeout how long requests in flight may take to finish after the input ends
   * @param maxQueuedBytes how many bytes may wait to be written to the client before the server
   *     stops reading the client's input until they drain
   */
  public StdioServer(GatekitProxy proxy, int maxLineLength, Duration drainTimeout, long maxQueuedBytes) {
    if (maxQueuedBytes <= 0) {
      throw new IllegalArgumentException("maxQueuedBytes must be positive, was " + maxQueuedBytes);
    }
    this.proxy = proxy;
    this.maxLineLength = maxLineLength;
    this.drainTimeout = drainTimeout;
    this.maxQueuedBytes = maxQueuedBytes;
  }

  /**
   * Sets what is told, once, when the server can no longer serve its client (see the class
   * documentation); it runs on the thread that saw the failure. Returns this server.
   */
  public StdioServer onFailure(Consumer<Throwable> handler) {
    this.failureHandler = java.util.Objects.requireNonNull(handler, "handler");
    return this;
  }

  /**
   * Returns whether the server has stopped reading the client because too many answers wait to be
   * written to it (for monitoring and tests).
   */
  public boolean isWaitingForClient() {
    ClientOutbox current = outbox;
    return current != null && current.isReaderWaiting();
  }

  /** Returns the bytes waiting to be written to the client now. */
  public long queuedBytes() {
    ClientOutbox current = outbox;
    return current == null ? 0 : current.queuedBytes();
  }

  /** A server with the default line limit (16 MiB) and a 30 second drain. */
  public StdioServer(GatekitProxy proxy) {
    this(proxy, StdioTransport.DEFAULT_MAX_LINE_LENGTH, Duration.ofSeconds(30));
  }

  /**
   * Serves until {@code in} ends, then shuts down as described above. Blocks the calling thread,
   * which becomes the reader.
   *
   * @throws IOException if reading fails for another reason than the end of input
   */
  public void serve(InputStream in, OutputStream out) throws IOException {
    ClientOutbox queue = new ClientOutbox(out, maxQueuedBytes, cause -> fail(cause, in));
    outbox = queue;
    proxy.connect(new ClientConnection() {
      @Override
      public void send(JsonRpcMessage message) {
        queue.send(codec.encode(message));
      }

      @Override
      public void sendEncoded(byte[] line) {
        queue.send(line);
      }
    });
    try {
      new LineReader(in, maxLineLength).run(new LineReader.Handler() {
        @Override
        public void onLine(byte[] buffer, int offset, int length) {
          waitForClient(queue);
          if (proxy.receiveLine(buffer, offset, length)) {
            return; // passed on as bytes
          }
          JsonRpcMessage message;
          try {
            message = codec.decode(buffer, offset, length);
          } catch (ProtocolException e) {
            if (e.errorCode() == ErrorCodes.INVALID_REQUEST && looksLikeResponse(buffer, offset, length)) {
              log.warn("Client sent a malformed response; dropped, since a response is never answered: {}",
                  e.getMessage());
              return;
            }
            log.debug("Client sent a malformed line: {}", e.getMessage());
            proxy.receiveMalformed(e);
            return;
          }
          proxy.receive(message);
        }

        @Override
        public void onOversizeLine(long length) {
          waitForClient(queue);
          log.warn("Client sent a line of {} bytes, over the limit of {}; answered with an error", length, maxLineLength);
          proxy.receiveMalformed(new ProtocolException(ErrorCodes.INVALID_REQUEST,
              "Invalid request: a message of " + length + " bytes is over the limit of " + maxLineLength
                  + " bytes", null, false, null));
        }
      });
    } catch (IOException | RuntimeException | Error e) {
      if (failure == null) {
        fail(e, in); // the reader itself failed
        throw e;
      }
      // the input was closed because the output had failed: reported below
    } finally {
      if (failure == null && !proxy.awaitIdle(drainTimeout)) {
        log.warn("Requests still in flight {} s after the client closed its input; failing them", drainTimeout.toSeconds());
      }
      proxy.close();
      queue.close();
      try {
        queue.awaitTermination(drainTimeout.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Throwable writeFailure = failure;
    if (writeFailure != null) {
      throw new IOException("the gateway can no longer write to its client: " + writeFailure, writeFailure);
    }
  }

  /** Ends serving after a failure: tells the handler once, and closes the input to stop the reader. */
  private void fail(Throwable cause, InputStream in) {
    synchronized (this) {
      if (failure != null) {
        return;
      }
      failure = cause;
    }
    try {
      failureHandler.accept(cause);
    } finally {
      try {
        in.close();
      } catch (IOException | RuntimeException e) {
        log.debug("Closing the client's input failed", e);
      }
    }
  }

  /**
   * Stops taking the client's messages while too many answers wait for it to read, or too many of its
   * requests wait to be handed to their upstream.
   */
  private void waitForClient(ClientOutbox queue) {
    try {
      if (queue.awaitRoom()) {
        log.debug("The client read its answers; reading its input again");
      }
      proxy.awaitBacklogAtMost(MAX_BACKLOG);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether an invalid message was meant as a response: an object with a result or an error and no method. */
  private boolean looksLikeResponse(byte[] buffer, int offset, int length) {
    try {
      JsonNode tree = codec.mapper().readTree(buffer, offset, length);
      return tree != null && tree.isObject() && !tree.has("method") && (tree.has("result") || tree.has("error"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
