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
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code subscriptions/listen} of 2026-era clients towards one 2025-era upstream connection, in the
 * form the 2026-07-28 specification gives it, from what the old server offers:
 *
 * <ul>
 *   <li>A listen asks for some of {@code toolsListChanged}, {@code promptsListChanged}, {@code
 *       resourcesListChanged} and {@code resourceSubscriptions} (URIs). It is honored where the
 *       server's {@code initialize} capabilities allow it ({@code tools.listChanged} and so on,
 *       {@code resources.subscribe} for URIs); each URI no other listen wants yet gets {@code
 *       resources/subscribe} upstream, and one the server refuses is left out of what is honored.
 *   <li>Then the listen is acknowledged with {@code notifications/subscriptions/acknowledged}
 *       naming what is honored; when that is nothing, the listen ends at once (its result).
 *   <li>The server's {@code notifications/{tools,prompts,resources}/list_changed} and {@code
 *       notifications/resources/updated} reach every listen that asked for them, and only those, each
 *       copy with {@code _meta["io.modelcontextprotocol/subscriptionId"]} set to the listen's id; one
 *       no listen asked for is dropped (a 2026-era client gets no change it did not ask for).
 *   <li>A listen stays open until the client cancels it or the connection closes ({@link #closeAll},
 *       which answers it with the specification's graceful-close result); then each of its URIs no
 *       other listen still wants gets {@code resources/unsubscribe}.
 * </ul>
 *
 * Everything goes to the client through the session's inbound handler, so through the plugins like
 * any other notification. Thread-safe.
 */
final class ListenBridge {

  private static final Logger log = LoggerFactory.getLogger(ListenBridge.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  static final String ACKNOWLEDGED = "notifications/subscriptions/acknowledged";
  private static final String TOOLS = "toolsListChanged";
  private static final String PROMPTS = "promptsListChanged";
  private static final String RESOURCES = "resourcesListChanged";
  private static final String URIS = "resourceSubscriptions";

  private final String name;
  private final Transport upstream;
  private final Supplier<@Nullable InboundHandler> handler;
  private final AtomicLong nextId = new AtomicLong();
  /** The listens acknowledged and not yet ended; guarded by this object, as is the order of what they are sent. */
  private final List<Listen> open = new ArrayList<>();
  /** The URIs subscribed upstream, each with the listens that want it; guarded by itself. */
  private final Map<String, Subscription> subscriptions = new HashMap<>();
  /** Set once the connection closes; guarded by this object. */
  private boolean closed;

  ListenBridge(String name, Transport upstream, Supplier<@Nullable InboundHandler> handler) {
    this.name = name;
    this.upstream = upstream;
    this.handler = handler;
  }

  /**
   * Opens a listen for {@code request}; {@code initialized} is the upstream's {@code initialize}
   * result. The future completes when the listen ends from this side (an invalid filter, nothing to
   * honor, the connection closing); cancelling it ends the listen.
   */
  CompletableFuture<JsonRpcResponse> listen(JsonRpcRequest request, JsonNode initialized, Duration timeout) {
    JsonNode asked = request.params() == null ? null : request.params().get("notifications");
    String problem = filterProblem(asked);
    if (problem != null) {
      return CompletableFuture.completedFuture(JsonRpcResponse.failure(request.id(), ErrorCodes.INVALID_PARAMS,
          "Invalid params: " + problem));
    }
    JsonNode capabilities = initialized.path("capabilities");
    Listen listen = new Listen(request.id(), initialized.path("serverInfo"));
    listen.tools = asked.path(TOOLS).asBoolean(false) && capabilities.path("tools").path("listChanged").asBoolean(false);
    listen.prompts = asked.path(PROMPTS).asBoolean(false)
        && capabilities.path("prompts").path("listChanged").asBoolean(false);
    listen.resources = asked.path(RESOURCES).asBoolean(false)
        && capabilities.path("resources").path("listChanged").asBoolean(false);
    List<String> wanted = new ArrayList<>();
    if (capabilities.path("resources").path("subscribe").asBoolean(false)) {
      asked.path(URIS).forEach(uri -> {
        if (!wanted.contains(uri.textValue())) {
          wanted.add(uri.textValue());
        }
      });
    }
    List<CompletableFuture<Boolean>> subscribed = new ArrayList<>();
    for (String uri : wanted) {
      subscribed.add(acquire(uri, timeout));
    }
    listen.result.whenComplete((answer, failure) -> end(listen));
    CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) -> {
      List<String> given = new ArrayList<>();
      synchronized (this) {
        boolean ended = listen.result.isDone(); // cancelled meanwhile
        for (int i = 0; i < wanted.size(); i++) {
          if (!ended && subscribed.get(i).join()) {
            listen.uris.add(wanted.get(i));
          } else {
            given.add(wanted.get(i)); // refused upstream, or no longer wanted: not honored, not held
          }
        }
        listen.subscribing = false;
      }
      given.forEach(this::release);
      start(listen);
    });
    return listen.result;
  }

  /**
   * Takes a notification of the upstream: a change notification goes to each listen that asked for
   * it and returns true (also when none did: it is dropped); anything else returns false.
   */
  boolean deliver(JsonRpcNotification notification) {
    String method = notification.method();
    String uri = null;
    if (McpMethods.NOTIFICATIONS_RESOURCES_UPDATED.equals(method)) {
      JsonNode given = notification.params() == null ? null : notification.params().get("uri");
      uri = given != null && given.isTextual() ? given.textValue() : null;
    } else if (!McpMethods.NOTIFICATIONS_TOOLS_LIST_CHANGED.equals(method)
        && !McpMethods.NOTIFICATIONS_PROMPTS_LIST_CHANGED.equals(method)
        && !McpMethods.NOTIFICATIONS_RESOURCES_LIST_CHANGED.equals(method)) {
      return false;
    }
    InboundHandler target = handler.get();
    synchronized (this) {
      for (Listen listen : open) {
        if (target != null && listen.wants(method, uri)) {
          target.onNotification(stamped(notification, listen.id));
        }
      }
    }
    return true;
  }

  /** Ends every open listen with the specification's graceful-close result (the connection is closing). */
  void closeAll() {
    List<Listen> ending;
    synchronized (this) {
      closed = true; // a listen whose URIs are still being subscribed ends when they are
      ending = List.copyOf(open);
    }
    ending.forEach(listen -> listen.result.complete(listen.graceful()));
  }

  /** Returns whether a listen is open (acknowledged, or having its URIs subscribed). */
  boolean hasOpen() {
    synchronized (this) {
      if (!open.isEmpty()) {
        return true;
      }
    }
    synchronized (subscriptions) { // never inside this object's lock: acquire() may complete a listen's URIs under it
      return !subscriptions.isEmpty();
    }
  }

  /**
   * The upstream was restarted and came back as a 2025-era server again: it knows none of the
   * subscriptions of its previous run, so each URI an open listen holds is subscribed again. One the
   * restarted server refuses stays in the listens that hold it (it is logged); nothing else changes
   * for the client, whose listens go on under their ids.
   */
  void resubscribe(Duration timeout) {
    List<Map.Entry<String, Subscription>> held;
    synchronized (subscriptions) {
      held = List.copyOf(subscriptions.entrySet());
    }
    for (Map.Entry<String, Subscription> entry : held) {
      Subscription subscription = entry.getValue();
      if (!subscription.subscribed.isDone() || !subscription.subscribed.join()) {
        continue; // still being subscribed (by a request of the new run), or refused: not held
      }
      String uri = entry.getKey();
      send(McpMethods.RESOURCES_SUBSCRIBE, uri, timeout).whenComplete((answer, failure) -> {
        if (failure != null || answer.isError()) {
          log.warn("Restarted upstream '{}' did not subscribe {} again for a listen: {}", name, uri,
              failure != null ? failure.toString() : answer.error().message());
        } else {
          log.debug("Restarted upstream '{}' subscribed {} again", name, uri);
        }
      });
    }
  }

  /**
   * The upstream was restarted and came back speaking the other generation, which has no {@code
   * resources/subscribe} and sends no change to a connection that did not listen itself: each open
   * listen ends with the specification's graceful-close result, so that its client listens again
   * (to the new server, untranslated). The URIs are forgotten, not unsubscribed: the new server
   * never had them. Listens opened later are served as before.
   */
  void endAllForNewServer() {
    synchronized (subscriptions) {
      subscriptions.clear();
    }
    List<Listen> ending;
    synchronized (this) {
      ending = List.copyOf(open);
    }
    ending.forEach(listen -> listen.result.complete(listen.graceful()));
  }

  /** Acknowledges a listen whose URIs are subscribed, and starts delivering to it. */
  private void start(Listen listen) {
    InboundHandler target = handler.get();
    synchronized (this) {
      if (listen.result.isDone()) {
        return; // cancelled while its URIs were subscribed; end() releases them
      }
      ObjectNode params = JSON.objectNode();
      params.set("notifications", listen.honored());
      params.putObject(Generation.META).set(SUBSCRIPTION_ID, listen.id.toJson());
      if (target != null) {
        target.onNotification(new JsonRpcNotification(ACKNOWLEDGED, params));
      }
      if (listen.honored().isEmpty() || closed) {
        listen.result.complete(listen.graceful());
        return;
      }
      open.add(listen);
    }
  }

  /** A listen has ended, for whatever reason: its URIs are given up. Once per listen. */
  private void end(Listen listen) {
    List<String> uris;
    synchronized (this) {
      open.remove(listen);
      if (listen.subscribing) {
        return; // its URIs are still being subscribed: listen() gives them up when they are
      }
      uris = List.copyOf(listen.uris);
      listen.uris.clear();
    }
    uris.forEach(this::release);
  }

  /** Holds {@code uri} for one more listen; completes with whether the upstream subscribed it. */
  private CompletableFuture<Boolean> acquire(String uri, Duration timeout) {
    synchronized (subscriptions) {
      Subscription existing = subscriptions.get(uri);
      if (existing != null) {
        existing.holders++;
        return existing.subscribed;
      }
      Subscription created = new Subscription();
      created.holders = 1;
      subscriptions.put(uri, created);
      send(McpMethods.RESOURCES_SUBSCRIBE, uri, timeout).whenComplete((answer, failure) -> {
        boolean ok = failure == null && !answer.isError();
        if (!ok) {
          log.warn("Upstream '{}' did not subscribe {} for a listen: {}", name, uri,
              failure != null ? failure.toString() : answer.error().message());
          synchronized (subscriptions) {
            subscriptions.remove(uri, created); // the next listen asks again
          }
        }
        created.subscribed.complete(ok);
      });
      return created.subscribed;
    }
  }

  /** One listen less wants {@code uri}; the last one to go unsubscribes it upstream. */
  private void release(String uri) {
    Subscription entry;
    synchronized (subscriptions) {
      entry = subscriptions.get(uri);
      if (entry == null || --entry.holders > 0) {
        return;
      }
      subscriptions.remove(uri);
    }
    entry.subscribed.thenAccept(ok -> {
      if (ok) {
        send(McpMethods.RESOURCES_UNSUBSCRIBE, uri, upstream.options().requestTimeout()).whenComplete((answer, failure) -> {
          if (failure != null || answer.isError()) {
            log.debug("Upstream '{}' did not unsubscribe {}: {}", name, uri,
                failure != null ? failure.toString() : answer.error().message());
          }
        });
      }
    });
  }

  private CompletableFuture<JsonRpcResponse> send(String method, String uri, Duration timeout) {
    JsonRpcRequest request = new JsonRpcRequest(RequestId.of("gatekit-listen-" + nextId.incrementAndGet()), method,
        JSON.objectNode().put("uri", uri));
    try {
      return upstream.sendAndReceive(request, timeout);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Why a listen's {@code notifications} filter is not one the specification allows, or null. */
  static @Nullable String filterProblem(@Nullable JsonNode filter) {
    if (filter == null || !filter.isObject()) {
      return "'notifications' is required and must be an object";
    }
    for (String flag : new String[] {TOOLS, PROMPTS, RESOURCES}) {
      if (filter.has(flag) && !filter.get(flag).isBoolean()) {
        return "'notifications." + flag + "' must be a boolean";
      }
    }
    if (filter.has(URIS)) {
      JsonNode uris = filter.get(URIS);
      if (!uris.isArray()) {
        return "'notifications." + URIS + "' must be an array of URIs";
      }
      for (JsonNode uri : uris) {
        if (!uri.isTextual()) {
          return "'notifications." + URIS + "' must be an array of URIs";
        }
      }
    }
    return null;
  }

  private static JsonRpcNotification stamped(JsonRpcNotification notification, RequestId subscription) {
    ObjectNode params = notification.params() instanceof ObjectNode given ? given.deepCopy() : JSON.objectNode();
    ObjectNode meta = params.get(Generation.META) instanceof ObjectNode m ? m : params.putObject(Generation.META);
    meta.set(SUBSCRIPTION_ID, subscription.toJson());
    return notification.withParams(params);
  }

  /** A URI subscribed upstream: how many listens hold it, and whether the upstream accepted it. */
  private static final class Subscription {
    int holders;
    final CompletableFuture<Boolean> subscribed = new CompletableFuture<>();
  }

  /** One client's listen: what it asked for and was honored, and its (long-lived) answer. */
  private static final class Listen {
    final RequestId id;
    final JsonNode serverInfo;
    final CompletableFuture<JsonRpcResponse> result = new CompletableFuture<>();
    final Set<String> uris = new LinkedHashSet<>();
    boolean tools;
    boolean prompts;
    boolean resources;
    /** True until the listen's URIs are subscribed upstream (or refused). */
    boolean subscribing = true;

    Listen(RequestId id, JsonNode serverInfo) {
      this.id = id;
      this.serverInfo = serverInfo;
    }

    boolean wants(String method, @Nullable String uri) {
      return switch (method) {
        case McpMethods.NOTIFICATIONS_TOOLS_LIST_CHANGED -> tools;
        case McpMethods.NOTIFICATIONS_PROMPTS_LIST_CHANGED -> prompts;
        case McpMethods.NOTIFICATIONS_RESOURCES_LIST_CHANGED -> resources;
        default -> uri != null && uris.contains(uri);
      };
    }

    /** The filter honored, as the acknowledgement names it: only what is on. */
    ObjectNode honored() {
      ObjectNode filter = JSON.objectNode();
      if (tools) {
        filter.put(TOOLS, true);
      }
      if (prompts) {
        filter.put(PROMPTS, true);
      }
      if (resources) {
        filter.put(RESOURCES, true);
      }
      if (!uris.isEmpty()) {
        uris.forEach(filter.putArray(URIS)::add);
      }
      return filter;
    }

    /** The specification's answer that ends a listen gracefully. */
    JsonRpcResponse graceful() {
      ObjectNode result = JSON.objectNode();
      result.put(Generation.RESULT_TYPE, "complete");
      ObjectNode meta = result.putObject(Generation.META);
      meta.set(SUBSCRIPTION_ID, id.toJson());
      if (serverInfo.isObject()) {
        meta.set(Generation.SERVER_INFO, serverInfo.deepCopy());
      }
      return JsonRpcResponse.success(id, result);
    }
  }
}
