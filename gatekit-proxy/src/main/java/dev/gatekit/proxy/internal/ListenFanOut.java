package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.internal.chain.Outcome;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A 2026-era client's {@code subscriptions/listen} behind several namespaced upstreams: one listen
 * of the client becomes one listen per upstream that has something of it, all under the client's id.
 *
 * <ul>
 *   <li>The filter is split ({@link #split}): each list change the client asks for goes to every
 *       upstream (each honors it where it offers it); each URI goes to the upstream the {@link
 *       Router} gives it to (the one that listed it, or a template that matches it). A URI no
 *       upstream has listed is not honored, as {@code resources/subscribe} of it would be refused.
 *   <li>Each upstream's {@code notifications/subscriptions/acknowledged} is held back, after it
 *       passed that upstream's plugins; once every upstream has acknowledged (or ended its part),
 *       the client gets one acknowledgement naming what they honored together ({@link #unite}).
 *       Notifications of the listen that arrive before it wait for it.
 *   <li>Each upstream's notifications of the listen reach the client as they come (through that
 *       upstream's plugins), under the client's id; names and URIs are as the client sees them
 *       (change notifications carry no names, and URIs are not rewritten by namespacing).
 *   <li>The client's cancellation ends every upstream's part; the listen ends for the client (with
 *       the graceful-close result) when every part has ended, or with the first error when all
 *       failed.
 * </ul>
 *
 * Thread-safe.
 */
final class ListenFanOut {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final String TOOLS = "toolsListChanged";
  private static final String PROMPTS = "promptsListChanged";
  private static final String RESOURCES = "resourcesListChanged";
  private static final String URIS = "resourceSubscriptions";

  private final Router router;
  private final Handshake.UpstreamCaller caller;
  private final ClientConnection client;
  /** The fanned-out listens not yet ended, by the client's id. */
  private final Map<RequestId, Fan> pending = new ConcurrentHashMap<>();

  ListenFanOut(Router router, Handshake.UpstreamCaller caller, ClientConnection client) {
    this.router = router;
    this.caller = caller;
    this.client = client;
  }

  /**
   * Returns the client connection for what {@code upstream}'s chain hands to the client: the
   * acknowledgements of fanned-out listens are held back to be united, the rest passes.
   */
  ClientConnection towardsClientFrom(String upstream) {
    return message -> {
      if (!(message instanceof JsonRpcNotification notification) || pending.isEmpty()) {
        client.send(message);
        return;
      }
      JsonNode id = Generation.meta(notification.params()).get(ListenBridge.SUBSCRIPTION_ID);
      Fan fan = id == null ? null : pending.get(RequestId.fromJson(id));
      if (fan == null || !fan.take(upstream, notification)) {
        client.send(message);
      }
    };
  }

  /** Opens the client's listen on every upstream that has a part of it. */
  CompletableFuture<Outcome> listen(ClientCall call) {
    JsonRpcRequest request = call.request;
    JsonNode filter = request.params() == null ? null : request.params().get("notifications");
    String problem = ListenBridge.filterProblem(filter);
    if (problem != null) {
      return CompletableFuture.completedFuture(Outcome.failed(ErrorCodes.INVALID_PARAMS, "Invalid params: " + problem));
    }
    Map<String, ObjectNode> parts = split(filter, router.upstreams(), router::ownerOf);
    Fan fan = new Fan(request.id(), parts.keySet());
    if (parts.isEmpty()) {
      fan.acknowledge(); // nothing any upstream could honor: acknowledged as nothing, and ended
      return CompletableFuture.completedFuture(Outcome.answered(graceful(request.id())));
    }
    pending.put(request.id(), fan);
    List<CompletableFuture<Outcome>> ends = new ArrayList<>();
    parts.forEach((upstream, part) -> {
      ObjectNode params = ((ObjectNode) request.params()).deepCopy();
      params.set("notifications", part);
      CompletableFuture<Outcome> end = caller.call(call, upstream, request.withParams(params));
      end.whenComplete((outcome, failure) -> fan.ended(upstream));
      ends.add(end);
    });
    return CompletableFuture.allOf(ends.toArray(CompletableFuture[]::new)).handle((ignored, failure) -> {
      fan.acknowledge(); // when no part ever acknowledged
      pending.remove(request.id(), fan);
      Outcome firstError = null;
      for (CompletableFuture<Outcome> end : ends) {
        Outcome outcome = end.join(); // completed; a chain never fails exceptionally
        if (outcome.succeeded()) {
          return Outcome.answered(graceful(request.id()));
        }
        firstError = firstError == null ? outcome : firstError;
      }
      return firstError;
    });
  }

  /**
   * Splits a listen's filter per upstream, in upstream order: the list-change flags that are on go
   * to every upstream, each URI to its owner ({@code ownerOf}, null for none: left out). An
   * upstream with nothing to honor gets no part.
   */
  static Map<String, ObjectNode> split(JsonNode filter, List<String> upstreams,
      Function<String, @Nullable String> ownerOf) {
    Map<String, Set<String>> uris = new LinkedHashMap<>();
    filter.path(URIS).forEach(uri -> {
      String owner = ownerOf.apply(uri.textValue());
      if (owner != null) {
        uris.computeIfAbsent(owner, o -> new LinkedHashSet<>()).add(uri.textValue());
      }
    });
    Map<String, ObjectNode> parts = new LinkedHashMap<>();
    for (String upstream : upstreams) {
      ObjectNode part = JSON.objectNode();
      for (String flag : new String[] {TOOLS, PROMPTS, RESOURCES}) {
        if (filter.path(flag).asBoolean(false)) {
          part.put(flag, true);
        }
      }
      Set<String> own = uris.get(upstream);
      if (own != null) {
        own.forEach(part.putArray(URIS)::add);
      }
      if (!part.isEmpty()) {
        parts.put(upstream, part);
      }
    }
    return parts;
  }

  /** What several upstreams honored of one listen, together: a flag any honored, every URI once. */
  static ObjectNode unite(List<JsonNode> honored) {
    ObjectNode united = JSON.objectNode();
    Set<String> uris = new LinkedHashSet<>();
    for (String flag : new String[] {TOOLS, PROMPTS, RESOURCES}) {
      if (honored.stream().anyMatch(h -> h.path(flag).asBoolean(false))) {
        united.put(flag, true);
      }
    }
    honored.forEach(h -> h.path(URIS).forEach(uri -> uris.add(uri.asText())));
    if (!uris.isEmpty()) {
      ArrayNode array = united.putArray(URIS);
      uris.forEach(array::add);
    }
    return united;
  }

  private static JsonRpcResponse graceful(RequestId id) {
    ObjectNode result = JSON.objectNode();
    result.put(Generation.RESULT_TYPE, "complete");
    result.putObject(Generation.META).set(ListenBridge.SUBSCRIPTION_ID, id.toJson());
    return JsonRpcResponse.success(id, result);
  }

  /** One fanned-out listen: its acknowledgement being put together, then sent. */
  private final class Fan {
    private final RequestId id;
    /** The upstreams that have neither acknowledged nor ended. */
    private final Set<String> waitingFor;
    /** What each upstream honored, in upstream order (the acknowledgement does not depend on who was first). */
    private final Map<String, JsonNode> honored = new LinkedHashMap<>();
    /** Notifications of the listen that came before its acknowledgement. */
    private final List<JsonRpcMessage> held = new ArrayList<>();
    private boolean acknowledged;

    Fan(RequestId id, Set<String> upstreams) {
      this.id = id;
      this.waitingFor = new LinkedHashSet<>(upstreams);
      upstreams.forEach(upstream -> honored.put(upstream, JSON.objectNode()));
    }

    /** Takes a notification of this listen from {@code upstream}; false when it is to go on as it is. */
    synchronized boolean take(String upstream, JsonRpcNotification notification) {
      boolean ack = ListenBridge.ACKNOWLEDGED.equals(notification.method());
      if (acknowledged) {
        return ack; // a part's late acknowledgement (it had ended at once): the client has had the one
      }
      if (!ack) {
        held.add(notification);
        return true;
      }
      JsonNode part = notification.params() == null ? null : notification.params().get("notifications");
      if (part != null && part.isObject()) {
        honored.put(upstream, part);
      }
      waitingFor.remove(upstream);
      if (waitingFor.isEmpty()) {
        acknowledge();
      }
      return true;
    }

    /** {@code upstream}'s part has ended: it acknowledges nothing more. */
    synchronized void ended(String upstream) {
      waitingFor.remove(upstream);
      if (waitingFor.isEmpty()) {
        acknowledge();
      }
    }

    /** Sends the one acknowledgement (once), then what was held back for it. */
    synchronized void acknowledge() {
      if (acknowledged) {
        return;
      }
      acknowledged = true;
      ObjectNode params = JSON.objectNode();
      params.set("notifications", unite(List.copyOf(honored.values())));
      params.putObject(Generation.META).set(ListenBridge.SUBSCRIPTION_ID, id.toJson());
      client.send(new JsonRpcNotification(ListenBridge.ACKNOWLEDGED, params));
      held.forEach(client::send);
      held.clear();
    }
  }
}
