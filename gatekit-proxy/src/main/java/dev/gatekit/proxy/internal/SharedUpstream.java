package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream connection serving many client sessions (an upstream marked shared: a stateless
 * server). Each session talks to it through a {@link #view()}, a {@link Transport} of its own, and no
 * session's traffic reaches another: request ids are the transport's own already; {@code initialize}
 * goes upstream once and later sessions get its answer under their own id; {@code
 * notifications/initialized} goes once; a progress token is replaced by one of the gateway's while its
 * request is in flight, so progress reaches only the session that asked; list-changed notifications,
 * which concern everyone, reach every session; {@code resources/subscribe} is counted per URI over
 * the sessions ({@link SharedSubscriptions}: the first session's goes upstream, the last one's
 * {@code resources/unsubscribe} too), and {@code notifications/resources/updated} reaches every
 * session that holds its URI and no other; other notifications and every server-to-client request
 * belong to no session and are dropped or refused. Closing a view detaches its session and gives
 * its URIs up; the connection itself is closed by {@link #close()}. Thread-safe.
 */
public final class SharedUpstream implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SharedUpstream.class);

  private final String name;
  private final Transport transport;
  private final Set<View> views = ConcurrentHashMap.newKeySet();
  private final Map<String, ProgressRoute> progressRoutes = new ConcurrentHashMap<>();
  private final AtomicLong nextToken = new AtomicLong();
  private final AtomicBoolean initializedSent = new AtomicBoolean();
  private final Object initializeLock = new Object();
  private @Nullable CompletableFuture<JsonRpcResponse> initializeAnswer;
  /** The URIs subscribed upstream, each with the sessions that hold it. */
  private final SharedSubscriptions<View> subscriptions;

  private record ProgressRoute(View view, JsonNode clientToken) {}

  /** Takes over {@code transport}: its inbound handler is this object's from now on. */
  public SharedUpstream(String name, Transport transport) {
    this.name = name;
    this.transport = transport;
    this.subscriptions = new SharedSubscriptions<>(name, (request, timeout) -> send(null, request, timeout));
    transport.setInboundHandler(new Inbound());
  }

  /** Returns a new view for one session. */
  public Transport view() {
    return new View();
  }

  /** Returns the shared connection's counters. */
  public TransportStats stats() {
    return transport.stats();
  }

  /** Closes the connection, failing what every session has in flight on it. */
  @Override
  public void close() {
    transport.close();
  }

  private CompletableFuture<JsonRpcResponse> initialize(JsonRpcRequest request, Duration timeout) {
    CompletableFuture<JsonRpcResponse> answer;
    synchronized (initializeLock) {
      answer = initializeAnswer;
      if (answer == null || answer.isCompletedExceptionally()
          || (answer.isDone() && answer.join().isError())) {
        answer = transport.sendAndReceive(request, timeout);
        initializeAnswer = answer;
      }
    }
    return answer.thenApply(response -> response.withId(request.id()));
  }

  private CompletableFuture<JsonRpcResponse> send(@Nullable View view, JsonRpcRequest request, Duration timeout) {
    JsonNode meta = request.params() == null ? null : request.params().get("_meta");
    JsonNode clientToken = meta == null ? null : meta.get("progressToken");
    String token = null;
    JsonRpcRequest toSend = request;
    if (view != null && clientToken != null && request.params() instanceof ObjectNode params
        && meta instanceof ObjectNode clientMeta) {
      token = "gatekit-" + nextToken.incrementAndGet();
      ObjectNode newMeta = JsonNodeFactory.instance.objectNode().setAll(clientMeta);
      newMeta.put("progressToken", token);
      ObjectNode newParams = JsonNodeFactory.instance.objectNode().setAll(params);
      newParams.set("_meta", newMeta);
      progressRoutes.put(token, new ProgressRoute(view, clientToken));
      toSend = request.withParams(newParams);
    }
    CompletableFuture<JsonRpcResponse> upstream;
    try {
      upstream = transport.sendAndReceive(toSend, timeout);
    } catch (RuntimeException e) {
      if (token != null) {
        progressRoutes.remove(token);
      }
      throw e;
    }
    String routed = token;
    CompletableFuture<JsonRpcResponse> result = new CompletableFuture<>();
    if (view == null) {
      return upstream; // the connection's own request (a subscription's), which belongs to no session
    }
    view.inFlight.add(result);
    upstream.whenComplete((response, failure) -> {
      if (routed != null) {
        progressRoutes.remove(routed);
      }
      if (failure != null) {
        result.completeExceptionally(failure instanceof CompletionException wrapped && wrapped.getCause() != null
            ? wrapped.getCause() : failure);
      } else {
        result.complete(response);
      }
    });
    result.whenComplete((response, failure) -> {
      view.inFlight.remove(result);
      if (!upstream.isDone()) {
        upstream.cancel(false); // the caller cancelled, or the session closed: the transport tells the upstream
      }
    });
    return result;
  }

  /** What the shared connection sends unasked, sorted by the session it belongs to. */
  private final class Inbound implements InboundHandler {
    @Override
    public void onNotification(JsonRpcNotification notification) {
      String method = notification.method();
      if (McpMethods.NOTIFICATIONS_PROGRESS.equals(method)) {
        JsonNode token = notification.params() == null ? null : notification.params().get("progressToken");
        ProgressRoute route = token == null || !token.isTextual() ? null : progressRoutes.get(token.textValue());
        if (route != null && notification.params() instanceof ObjectNode params) {
          ObjectNode restored = JsonNodeFactory.instance.objectNode().setAll(params);
          restored.set("progressToken", route.clientToken());
          route.view().handler.onNotification(notification.withParams(restored));
        }
      } else if (method.endsWith("/list_changed")) {
        views.forEach(view -> view.handler.onNotification(notification));
      } else if (McpMethods.NOTIFICATIONS_RESOURCES_UPDATED.equals(method)) {
        JsonNode uri = notification.params() == null ? null : notification.params().get("uri");
        List<View> holders = uri != null && uri.isTextual() ? subscriptions.holdersOf(uri.textValue()) : List.of();
        if (holders.isEmpty()) {
          log.debug("Shared upstream '{}' sent an update of a resource no session holds; dropped", name);
        }
        holders.forEach(view -> view.handler.onNotification(notification));
      } else {
        log.debug("Shared upstream '{}' sent {}, which belongs to no one session; dropped", name, method);
      }
    }

    @Override
    public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
      return CompletableFuture.completedFuture(JsonRpcResponse.failure(request.id(), ErrorCodes.METHOD_NOT_FOUND,
          "Upstream '" + name + "' is shared by several clients; it cannot send '" + request.method()
              + "' to one of them"));
    }
  }

  /** One session's side of the shared connection. */
  private final class View implements Transport {
    private volatile InboundHandler handler = InboundHandler.REFUSE_ALL;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<CompletableFuture<JsonRpcResponse>> inFlight = ConcurrentHashMap.newKeySet();

    @Override
    public void start() {
      transport.start();
      if (!closed.get()) {
        views.add(this);
      }
    }

    @Override
    public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request) {
      return sendAndReceive(request, transport.options().requestTimeout());
    }

    @Override
    public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request, Duration timeout) {
      if (closed.get()) {
        return CompletableFuture.failedFuture(new TransportClosedException("the session has ended"));
      }
      return switch (request.method()) {
        case McpMethods.INITIALIZE -> initialize(request, timeout);
        case McpMethods.RESOURCES_SUBSCRIBE -> subscriptions.subscribe(this, request, timeout);
        case McpMethods.RESOURCES_UNSUBSCRIBE -> subscriptions.unsubscribe(this, request, timeout);
        default -> send(this, request, timeout);
      };
    }

    @Override
    public void sendNotification(JsonRpcNotification notification) {
      if (McpMethods.NOTIFICATIONS_INITIALIZED.equals(notification.method())
          && !initializedSent.compareAndSet(false, true)) {
        return; // the connection was initialized by the first session
      }
      transport.sendNotification(notification);
    }

    @Override
    public void setInboundHandler(InboundHandler value) {
      this.handler = value;
    }

    @Override
    public TransportState state() {
      return closed.get() ? TransportState.CLOSED : transport.state();
    }

    @Override
    public TransportStats stats() {
      return transport.stats();
    }

    @Override
    public TransportOptions options() {
      return transport.options();
    }

    /**
     * Detaches this session and fails what it has in flight (the upstream is told of each); the
     * shared connection stays open.
     */
    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        views.remove(this);
        TransportClosedException ended = new TransportClosedException("the session has ended");
        for (CompletableFuture<JsonRpcResponse> request : inFlight) {
          request.completeExceptionally(ended);
        }
        progressRoutes.values().removeIf(route -> route.view() == this);
        subscriptions.releaseAll(this, transport.options().requestTimeout());
      }
    }
  }
}
