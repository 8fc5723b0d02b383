package dev.gatekit.proxy.internal;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Requests an upstream sends to the client (sampling, elicitation, roots, ping), while the client
 * answers them. Each goes to the client under an id of the proxy's ({@code "gatekit-1"},
 * {@code "gatekit-2"}, ...), since upstreams choose their ids independently and two could collide;
 * the client's answer is matched back by that id. Thread-safe.
 */
public final class ServerRequests {

  private record Pending(String upstream, RequestId upstreamId, CompletableFuture<JsonRpcResponse> answer) {}

  private final AtomicLong nextId = new AtomicLong();
  private final Map<RequestId, Pending> pending = new ConcurrentHashMap<>();
  private final Duration timeout;

  public ServerRequests(Duration timeout) {
    this.timeout = timeout;
  }

  /**
   * Registers a request from {@code upstream} and returns it under the proxy's id, to be sent to the
   * client; {@code answer} completes with the client's response (under the upstream's id), or
   * exceptionally after the timeout.
   */
  public JsonRpcRequest register(
      String upstream, JsonRpcRequest request, CompletableFuture<JsonRpcResponse> answer) {
    RequestId proxyId = RequestId.of("gatekit-" + nextId.incrementAndGet());
    pending.put(proxyId, new Pending(upstream, request.id(), answer));
    answer.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((r, e) -> pending.remove(proxyId));
    return request.withId(proxyId);
  }

  /** Completes the request the client's response answers; returns false for an unknown id. */
  public boolean complete(JsonRpcResponse response) {
    RequestId id = response.id();
    Pending entry = id == null ? null : pending.remove(id);
    if (entry == null) {
      return false;
    }
    entry.answer.complete(response.withId(entry.upstreamId));
    return true;
  }

  /**
   * Returns the proxy's id of a request {@code upstream} sent under {@code upstreamId}, for
   * translating that upstream's cancellation, or null when it is not pending.
   */
  public @Nullable RequestId proxyIdOf(String upstream, RequestId upstreamId) {
    for (Map.Entry<RequestId, Pending> entry : pending.entrySet()) {
      Pending p = entry.getValue();
      if (p.upstream.equals(upstream) && p.upstreamId.equals(upstreamId)) {
        return entry.getKey();
      }
    }
    return null;
  }

  /** Ends a pending request without an answer (the upstream cancelled it). */
  public void cancel(RequestId proxyId) {
    Pending entry = pending.remove(proxyId);
    if (entry != null) {
      entry.answer.cancel(false);
    }
  }

  /** Ends every pending request without an answer, for a session that closes. */
  public void cancelAll() {
    for (RequestId id : pending.keySet()) {
      cancel(id);
    }
  }

  /** Returns the number of requests waiting for the client. */
  public int size() {
    return pending.size();
  }
}
