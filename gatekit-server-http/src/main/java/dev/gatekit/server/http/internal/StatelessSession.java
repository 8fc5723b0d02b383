package dev.gatekit.server.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.ProxySession;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one proxy session that serves every 2026-07-28 (stateless) request of a front, and its {@link
 * ClientConnection}. Stateless clients send no session id, so their requests share this session;
 * they are kept apart by ids: each request goes to the proxy under an id of the gateway's own (and a
 * progress token of its own when it asks for progress), which its answer and its progress are mapped
 * back from, so two clients that both use id 1 never meet.
 *
 * <ul>
 *   <li>A request's answer goes to the POST that carried it, with the client's id: as {@code
 *       application/json} (with the HTTP status the specification gives its error, see {@link
 *       StatelessCheck#statusOf}) when nothing went before it, else as the last event of the POST's SSE
 *       stream.
 *   <li>Progress for a request (by its token) and notifications of a {@code subscriptions/listen}
 *       stream (by {@code _meta["io.modelcontextprotocol/subscriptionId"]}, the listen request's id) go
 *       to that request's POST as SSE events, when its {@code Accept} allows a stream.
 *   <li>Anything else the proxy sends belongs to no stateless client and is dropped (logged); a
 *       server-to-client request is refused (2026-era clients take none: the proxy turns them into
 *       {@code input_required} results).
 *   <li>A POST whose connection ends before its answer cancels its request ({@code
 *       notifications/cancelled} under the gateway's id), which also ends a listen stream upstream. A
 *       stream silent for a while gets a keep-alive comment, so that a client gone is found out.
 * </ul>
 *
 * <p>One lock (this object) guards the requests in flight; nothing under it blocks.
 */
final class StatelessSession implements ClientConnection {

  private static final Logger log = LoggerFactory.getLogger(StatelessSession.class);
  /** The id of the proxy session, which plugins and the audit log see as the session of stateless traffic. */
  static final String ID = "stateless";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final Map<RequestId, Exchange> inFlight = new HashMap<>();
  private final Map<String, Exchange> byProgressToken = new HashMap<>();
  private long lastId;
  private volatile @Nullable ProxySession upstream;
  private boolean closed;

  void bind(ProxySession session) {
    this.upstream = session;
  }

  private ProxySession upstream() {
    ProxySession current = upstream;
    if (current == null) {
      throw new IllegalStateException("the stateless session is not open yet");
    }
    return current;
  }

  /**
   * Takes a stateless client request whose answer goes back on {@code response}. Returns false if the
   * session is closed (nothing was taken).
   */
  boolean submit(JsonRpcRequest request, Accepts accepts, Response response, Callback callback) {
    Exchange exchange;
    JsonRpcRequest rewritten;
    synchronized (this) {
      if (closed) {
        return false;
      }
      RequestId id = RequestId.of(++lastId);
      JsonNode params = request.params();
      JsonNode token = params == null ? null : params.path("_meta").get("progressToken");
      String ownToken = null;
      if (token != null && !token.isNull() && params.get("_meta") instanceof ObjectNode) {
        ownToken = "gatekit-" + lastId;
        ObjectNode copy = params.deepCopy();
        ((ObjectNode) copy.get("_meta")).put("progressToken", ownToken);
        params = copy;
      }
      exchange = new Exchange(id, request.id(), token, ownToken, accepts, response, callback);
      inFlight.put(id, exchange);
      if (ownToken != null) {
        byProgressToken.put(ownToken, exchange);
      }
      rewritten = new JsonRpcRequest(id, request.method(), params);
    }
    response.getRequest().addFailureListener(cause -> gone(exchange, cause));
    response.getRequest().addIdleTimeoutListener(timeout -> false); // bounded by the proxy's request timeouts
    upstream().receive(rewritten);
    return true;
  }

  /** Writes a keep-alive to every open stream silent for {@code quietNanos}: a client gone shows up as a failed write. */
  synchronized void keepAlive(long nowNanos, long quietNanos) {
    for (Exchange exchange : inFlight.values()) {
      SseWriter writer = exchange.stream == null ? null : exchange.stream.writer();
      if (writer != null && writer.isOpen() && nowNanos - writer.lastWriteNanos() > quietNanos) {
        writer.write(SseWriter.KEEP_ALIVE);
      }
    }
  }

  /** Whether no stateless request is in flight. */
  synchronized boolean isIdle() {
    return inFlight.isEmpty();
  }

  // ---- proxy to client ----

  @Override
  public void send(JsonRpcMessage message) {
    if (message instanceof JsonRpcResponse response) {
      answer(response);
    } else if (message instanceof JsonRpcNotification notification) {
      notify(notification);
    } else if (message instanceof JsonRpcRequest request) {
      log.warn("A server-to-client request {} reached the stateless session; refused", request.method());
      upstream().receive(JsonRpcResponse.failure(request.id(), ErrorCodes.METHOD_NOT_FOUND,
          "Method not found: a 2026-07-28 client takes no server-to-client requests"));
    }
  }

  private void answer(JsonRpcResponse response) {
    Exchange exchange;
    byte[] json;
    synchronized (this) {
      exchange = response.id() == null ? null : inFlight.get(response.id());
      if (exchange == null) {
        log.debug("No stateless request in flight for the answer {}; dropped", response.id());
        return;
      }
      forget(exchange);
      json = codec.encode(response.withId(exchange.clientId));
      if (exchange.stream != null) {
        exchange.stream.append(json, true);
        return;
      }
      if (exchange.gone) {
        log.debug("The POST of stateless request {} was gone before its answer; dropped", exchange.clientId);
        return;
      }
      if (!exchange.accepts.json()) {
        startStream(exchange).append(json, true);
        return;
      }
      exchange.gone = true; // forgotten: nothing else writes to its response any more
    }
    Response http = exchange.response;
    http.setStatus(StatelessCheck.statusOf(response.error()));
    http.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    FrontThreadPool.resumeHere(() -> http.write(true, ByteBuffer.wrap(json), exchange.callback));
  }

  private void notify(JsonRpcNotification notification) {
    JsonNode params = notification.params();
    synchronized (this) {
      Exchange exchange = null;
      ObjectNode restored = null;
      if (params instanceof ObjectNode object) {
        JsonNode token = object.get("progressToken");
        JsonNode subscription = object.path("_meta").get(SUBSCRIPTION_ID);
        if (McpMethods.NOTIFICATIONS_PROGRESS.equals(notification.method()) && token != null && token.isTextual()) {
          exchange = byProgressToken.get(token.textValue());
          if (exchange != null && exchange.clientToken != null) {
            restored = object.deepCopy();
            restored.set("progressToken", exchange.clientToken);
          }
        } else if (subscription != null) {
          RequestId id = RequestId.fromJson(subscription);
          exchange = id == null ? null : inFlight.get(id);
          if (exchange != null) {
            restored = object.deepCopy();
            ((ObjectNode) restored.get("_meta")).set(SUBSCRIPTION_ID, exchange.clientId.toJson());
          }
        }
      }
      if (exchange == null || restored == null || !exchange.canStream()) {
        log.debug("A {} for no stateless request that can take it; dropped", notification.method());
        return;
      }
      EventStream stream = exchange.stream != null ? exchange.stream : startStream(exchange);
      stream.append(codec.encode(notification.withParams(restored)), false);
    }
  }

  private EventStream startStream(Exchange exchange) {
    EventStream stream = new EventStream(exchange.id.toString(), 16);
    exchange.stream = stream;
    stream.attach(new SseWriter(exchange.response, exchange.callback, (writer, clean) -> {
      if (!clean) {
        gone(exchange, null);
      }
    }), 0L);
    return stream;
  }

  /** The POST of {@code exchange} ended before its answer: its request is cancelled upstream. */
  private void gone(Exchange exchange, @Nullable Throwable cause) {
    synchronized (this) {
      if (exchange.gone || inFlight.get(exchange.id) != exchange) {
        exchange.gone = true;
        return;
      }
      exchange.gone = true;
      forget(exchange);
    }
    log.debug("The POST of stateless request {} ended before its answer ({}); it is cancelled", exchange.clientId,
        cause == null ? "its stream failed" : cause.toString());
    ObjectNode params = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    params.set("requestId", exchange.id.toJson());
    params.put("reason", "the client's HTTP request ended");
    ProxySession current = upstream;
    if (current != null) {
      current.receive(new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params));
    }
  }

  private void forget(Exchange exchange) {
    inFlight.remove(exchange.id, exchange);
    if (exchange.ownToken != null) {
      byProgressToken.remove(exchange.ownToken, exchange);
    }
  }

  /**
   * Ends the session: the proxy session closes (what is in flight gets its errors), then every
   * stream ends and a POST still waiting gets an error. Idempotent.
   */
  void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    ProxySession current = upstream;
    if (current != null) {
      try {
        current.close();
      } catch (RuntimeException e) {
        log.warn("Closing the stateless proxy session failed", e);
      }
    }
    List<Exchange> waiting;
    synchronized (this) {
      closed = true;
      waiting = new ArrayList<>(inFlight.values());
      inFlight.clear();
      byProgressToken.clear();
      for (Exchange exchange : waiting) {
        if (exchange.stream != null) {
          exchange.stream.end();
          exchange.gone = true;
        }
      }
    }
    for (Exchange exchange : waiting) {
      if (!exchange.gone) {
        exchange.gone = true;
        HttpErrors.send(exchange.response, exchange.callback, 503, ErrorCodes.UPSTREAM_UNAVAILABLE,
            "The gateway is shutting down; the request was not answered", exchange.clientId);
      }
    }
  }

  /** One stateless request until its answer is sent. */
  private static final class Exchange {
    final RequestId id;
    final RequestId clientId;
    final @Nullable JsonNode clientToken;
    final @Nullable String ownToken;
    final Accepts accepts;
    final Response response;
    final Callback callback;
    @Nullable EventStream stream;
    boolean gone;

    Exchange(RequestId id, RequestId clientId, @Nullable JsonNode clientToken, @Nullable String ownToken,
        Accepts accepts, Response response, Callback callback) {
      this.id = id;
      this.clientId = clientId;
      this.clientToken = clientToken;
      this.ownToken = ownToken;
      this.accepts = accepts;
      this.response = response;
      this.callback = callback;
    }

    /** Whether more than its answer may go on this POST: it streams already, or may start to. */
    boolean canStream() {
      return stream != null ? stream.isAttached() : accepts.sse() && !gone;
    }
  }
}
