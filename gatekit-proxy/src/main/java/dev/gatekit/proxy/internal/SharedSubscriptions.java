package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code resources/subscribe} and {@code resources/unsubscribe} of several holders (the sessions of
 * a shared upstream connection) over one upstream, counted per URI: the first holder's subscribe
 * goes upstream and every later one gets its answer (a holder's subscribe of a URI it holds goes
 * upstream again: the server may have lost it in a restart); an unsubscribe goes upstream only when the
 * last holder gives the URI up ({@link #unsubscribe}, or {@link #releaseAll} when a holder leaves);
 * one of a URI the holder does not hold is answered here with success and changes nothing. A URI
 * the upstream refused is held by no one (the next subscribe asks again). {@link #holdersOf} names
 * who gets an update of a URI. Thread-safe.
 *
 * @param <H> what a holder is
 */
final class SharedSubscriptions<H> {

  private static final Logger log = LoggerFactory.getLogger(SharedSubscriptions.class);

  /** Sends a request on the shared connection, as no one session's. */
  interface Sender {
    CompletableFuture<JsonRpcResponse> send(JsonRpcRequest request, Duration timeout);
  }

  private final String name;
  private final Sender sender;
  private final AtomicLong nextId = new AtomicLong();
  /** Guarded by this object. */
  private final Map<String, Entry<H>> byUri = new HashMap<>();

  SharedSubscriptions(String name, Sender sender) {
    this.name = name;
    this.sender = sender;
  }

  /** Subscribes {@code holder} to the request's URI; the answer carries the request's id. */
  CompletableFuture<JsonRpcResponse> subscribe(H holder, JsonRpcRequest request, Duration timeout) {
    String uri = uriOf(request);
    if (uri == null) {
      return CompletableFuture.completedFuture(invalid(request));
    }
    Entry<H> entry;
    synchronized (this) {
      entry = byUri.get(uri);
      if (entry == null) {
        entry = new Entry<>();
        byUri.put(uri, entry);
        entry.holders.add(holder);
        Entry<H> created = entry;
        entry.subscribed = send(McpMethods.RESOURCES_SUBSCRIBE, request, timeout);
        entry.subscribed.whenComplete((answer, failure) -> {
          if (failure != null || answer.isError()) {
            synchronized (this) {
              byUri.remove(uri, created); // refused: held by no one, the next subscribe asks again
            }
          }
        });
      } else if (!entry.holders.add(holder) && entry.subscribed.isDone()) {
        // the holder subscribes again what it holds: the server may have lost it (it was restarted)
        entry.subscribed = send(McpMethods.RESOURCES_SUBSCRIBE, request, timeout);
      }
    }
    return entry.subscribed.thenApply(answer -> answer.withId(request.id()));
  }

  /** {@code holder} gives the request's URI up; the last holder's goes upstream. */
  CompletableFuture<JsonRpcResponse> unsubscribe(H holder, JsonRpcRequest request, Duration timeout) {
    String uri = uriOf(request);
    if (uri == null) {
      return CompletableFuture.completedFuture(invalid(request));
    }
    synchronized (this) {
      Entry<H> entry = byUri.get(uri);
      if (entry == null || !entry.holders.remove(holder) || !entry.holders.isEmpty()) {
        return CompletableFuture.completedFuture(
            JsonRpcResponse.success(request.id(), JsonNodeFactory.instance.objectNode()));
      }
      byUri.remove(uri);
    }
    return send(McpMethods.RESOURCES_UNSUBSCRIBE, request, timeout).thenApply(answer -> answer.withId(request.id()));
  }

  /** {@code holder} is gone: each URI it held and no one else does is unsubscribed upstream. */
  void releaseAll(H holder, Duration timeout) {
    List<String> last = new ArrayList<>();
    synchronized (this) {
      byUri.entrySet().removeIf(entry -> {
        if (entry.getValue().holders.remove(holder) && entry.getValue().holders.isEmpty()) {
          last.add(entry.getKey());
          return true;
        }
        return false;
      });
    }
    for (String uri : last) {
      JsonRpcRequest request = new JsonRpcRequest(RequestId.of("gatekit-shared-" + nextId.incrementAndGet()),
          McpMethods.RESOURCES_UNSUBSCRIBE, JsonNodeFactory.instance.objectNode().put("uri", uri));
      send(McpMethods.RESOURCES_UNSUBSCRIBE, request, timeout).whenComplete((answer, failure) -> {
        if (failure != null || answer.isError()) {
          log.debug("Shared upstream '{}' did not unsubscribe {}: {}", name, uri,
              failure != null ? failure.toString() : answer.error().message());
        }
      });
    }
  }

  /** Returns the holders of {@code uri}, in the order they subscribed; empty when none. */
  synchronized List<H> holdersOf(String uri) {
    Entry<H> entry = byUri.get(uri);
    return entry == null ? List.of() : List.copyOf(entry.holders);
  }

  private CompletableFuture<JsonRpcResponse> send(String method, JsonRpcRequest request, Duration timeout) {
    try {
      return sender.send(request, timeout);
    } catch (RuntimeException e) {
      log.debug("Shared upstream '{}' could not send {}: {}", name, method, e.toString());
      return CompletableFuture.failedFuture(e);
    }
  }

  private static @Nullable String uriOf(JsonRpcRequest request) {
    JsonNode uri = request.params() == null ? null : request.params().get("uri");
    return uri != null && uri.isTextual() ? uri.textValue() : null;
  }

  private static JsonRpcResponse invalid(JsonRpcRequest request) {
    return JsonRpcResponse.failure(request.id(), ErrorCodes.INVALID_PARAMS, "Invalid params: 'uri' must be a string");
  }

  /** A URI subscribed upstream: who holds it, and the upstream's answer to its subscribe. */
  private static final class Entry<H> {
    final Set<H> holders = new LinkedHashSet<>();
    CompletableFuture<JsonRpcResponse> subscribed = new CompletableFuture<>();
  }
}
