package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.proxy.internal.chain.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests that several upstreams answer together: a list ({@code tools/list} and the like) asked of
 * every upstream, the items merged in upstream order with their names qualified by the {@link
 * Router}, and one cursor for the client that holds every upstream's own; and a request every
 * upstream must see ({@code logging/setLevel}), which succeeds if any upstream accepted it.
 * Thread-safe.
 */
final class ListFanOut {

  private static final Logger log = LoggerFactory.getLogger(ListFanOut.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Router router;
  private final Handshake.UpstreamCaller caller;

  ListFanOut(Router router, Handshake.UpstreamCaller caller) {
    this.router = router;
    this.caller = caller;
  }

  /** Asks every upstream (or those the cursor names) for a page of {@code member}, and merges them. */
  CompletableFuture<Outcome> list(ClientCall call, String member) {
    JsonRpcRequest request = call.request;
    Map<String, @Nullable String> cursors;
    try {
      cursors = decodeCursor(request.params());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(Outcome.failed(ErrorCodes.INVALID_PARAMS, e.getMessage()));
    }
    Map<String, CompletableFuture<Outcome>> pages = new LinkedHashMap<>();
    cursors.forEach((upstream, cursor) -> {
      ObjectNode params = request.params() instanceof ObjectNode p ? p.deepCopy() : JSON.objectNode();
      params.remove("cursor");
      if (cursor != null) {
        params.put("cursor", cursor);
      }
      pages.put(upstream, caller.call(call, upstream, request.withParams(params)));
    });
    return CompletableFuture.allOf(pages.values().toArray(CompletableFuture[]::new))
        .handle((ignored, failure) -> merge(request, member, pages));
  }

  /** Asks every upstream {@code server/discover} and merges the answers ({@link DiscoverResults}). */
  CompletableFuture<Outcome> discover(ClientCall call) {
    Map<String, CompletableFuture<Outcome>> answers = new LinkedHashMap<>();
    for (String upstream : router.upstreams()) {
      answers.put(upstream, caller.call(call, upstream, call.request));
    }
    return CompletableFuture.allOf(answers.values().toArray(CompletableFuture[]::new))
        .handle((ignored, failure) -> {
          Map<String, JsonRpcResponse> responses = new LinkedHashMap<>();
          answers.forEach((upstream, answer) -> responses.put(upstream, answer.join().toResponse(call.request.id())));
          return Outcome.answered(DiscoverResults.merge(call.request.id(), responses));
        });
  }

  /** Sends the request to every upstream; the answer is a success if any upstream succeeded. */
  CompletableFuture<Outcome> broadcast(ClientCall call) {
    List<CompletableFuture<Outcome>> answers = new ArrayList<>();
    for (String upstream : router.upstreams()) {
      answers.add(caller.call(call, upstream, call.request));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .handle((ignored, failure) -> {
          Outcome firstError = null;
          for (CompletableFuture<Outcome> answer : answers) {
            Outcome outcome = answer.join();
            if (outcome.succeeded()) {
              return Outcome.answered(JsonRpcResponse.success(call.request.id(), JSON.objectNode()));
            }
            firstError = firstError == null ? outcome : firstError;
          }
          return firstError;
        });
  }

  private Outcome merge(JsonRpcRequest request, String member, Map<String, CompletableFuture<Outcome>> pages) {
    RequestId id = request.id();
    ObjectNode merged = JSON.objectNode();
    long ttlMs = Long.MAX_VALUE;
    boolean allPublic = true;
    ArrayNode items = merged.putArray(member);
    Map<String, String> next = new LinkedHashMap<>();
    Outcome firstError = null;
    int answered = 0;
    for (Map.Entry<String, CompletableFuture<Outcome>> page : pages.entrySet()) {
      Outcome outcome = page.getValue().join(); // completed; a chain never fails exceptionally
      if (!outcome.succeeded()) {
        log.warn("Upstream '{}' failed to list {}: {}", page.getKey(), member, outcome.toResponse(id).error().message());
        firstError = firstError == null ? outcome : firstError;
        continue;
      }
      answered++;
      JsonNode result = ((JsonRpcResponse) outcome.message()).result();
      ttlMs = Math.min(ttlMs, result.path("ttlMs").asLong(0));
      allPublic &= "public".equals(result.path("cacheScope").asText());
      JsonNode upstreamItems = result.path(member);
      if (upstreamItems.isArray()) {
        ArrayNode copy = ((ArrayNode) upstreamItems).deepCopy();
        router.adoptListItems(page.getKey(), member, copy);
        items.addAll(copy);
      }
      if (result.path("nextCursor").isTextual()) {
        next.put(page.getKey(), result.get("nextCursor").textValue());
      }
    }
    if (answered == 0 && firstError != null) {
      return firstError;
    }
    if (!next.isEmpty()) {
      merged.put("nextCursor", encodeCursor(next));
    }
    if (Generation.of(request) == Generation.Y2026) {
      // a 2026-era client requires these: the merged list is as fresh and as shared as its least
      merged.put(Generation.RESULT_TYPE, "complete");
      merged.put("ttlMs", ttlMs == Long.MAX_VALUE ? 0 : ttlMs);
      merged.put("cacheScope", allPublic ? "public" : "private");
    }
    return Outcome.answered(JsonRpcResponse.success(id, merged));
  }

  private Map<String, @Nullable String> decodeCursor(@Nullable JsonNode params) {
    Map<String, @Nullable String> cursors = new LinkedHashMap<>();
    JsonNode cursor = params == null ? null : params.get("cursor");
    if (cursor == null || cursor.isNull()) {
      router.upstreams().forEach(u -> cursors.put(u, null));
      return cursors;
    }
    try {
      byte[] json = Base64.getUrlDecoder().decode(cursor.asText());
      JsonNode decoded = JsonRpcCodec.get().mapper().readTree(json);
      Iterator<Map.Entry<String, JsonNode>> fields = decoded.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (!router.upstreams().contains(field.getKey()) || !field.getValue().isTextual()) {
          throw new IllegalArgumentException("bad entry");
        }
        cursors.put(field.getKey(), field.getValue().textValue());
      }
    } catch (Exception e) {
      throw new IllegalArgumentException("Invalid params: the cursor is not one this proxy gave out");
    }
    if (cursors.isEmpty()) {
      throw new IllegalArgumentException("Invalid params: the cursor is not one this proxy gave out");
    }
    return cursors;
  }

  private static String encodeCursor(Map<String, String> next) {
    ObjectNode node = JSON.objectNode();
    next.forEach(node::put);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(node.toString().getBytes(StandardCharsets.UTF_8));
  }
}
