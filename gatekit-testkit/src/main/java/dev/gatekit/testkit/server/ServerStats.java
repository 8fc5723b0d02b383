package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the {@code stats} tool reports: requests received, tool calls being served now and the most
 * served at once, and the ids of {@code notifications/cancelled} as they came. Thread-safe.
 */
final class ServerStats {

  private final AtomicLong requests = new AtomicLong();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final List<JsonNode> cancelled = new ArrayList<>(); // guarded by itself

  /** Counts a request and returns its number, starting at 1. */
  long requestReceived() {
    return requests.incrementAndGet();
  }

  /** Counts a tool call that starts being served. */
  void callStarted() {
    int now = inFlight.incrementAndGet();
    int max = maxInFlight.get();
    while (now > max && !maxInFlight.compareAndSet(max, now)) {
      max = maxInFlight.get();
    }
  }

  /** Counts a tool call that was answered or cancelled. */
  void callFinished() {
    inFlight.decrementAndGet();
  }

  /** Records the request id of a {@code notifications/cancelled}, whatever its JSON type. */
  void cancelReceived(JsonNode requestId) {
    synchronized (cancelled) {
      cancelled.add(requestId);
    }
  }

  /** Forgets the most calls at once (it becomes the number now) and the cancelled ids. */
  void reset() {
    maxInFlight.set(inFlight.get());
    synchronized (cancelled) {
      cancelled.clear();
    }
  }

  /** Returns {@code {"inFlight":n,"maxInFlight":n,"requests":n,"cancelled":[ids]}}. */
  ObjectNode snapshot() {
    ObjectNode stats = JsonNodeFactory.instance.objectNode();
    stats.put("inFlight", inFlight.get());
    stats.put("maxInFlight", maxInFlight.get());
    stats.put("requests", requests.get());
    ArrayNode ids = stats.putArray("cancelled");
    synchronized (cancelled) {
      cancelled.forEach(id -> ids.add(id.deepCopy()));
    }
    return stats;
  }
}
