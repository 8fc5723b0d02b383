package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log level of a 2025-era upstream behind the bridge, kept in step with what 2026-era clients ask
 * per request: a request whose {@code _meta} names {@code io.modelcontextprotocol/logLevel} other than
 * the level last set makes the upstream get {@code logging/setLevel} first, and the request goes on
 * once that is answered (so the upstream logs it at the level asked). Only an upstream that declared
 * the {@code logging} capability is told; a refusal is logged and the request goes on. Requests that
 * name the level already set, or none, go on at once (or after a change still on its way, so they do
 * not overtake it). Thread-safe; with concurrent requests asking for different levels, the last
 * change wins.
 */
final class LegacyLogLevel {

  private static final Logger log = LoggerFactory.getLogger(LegacyLogLevel.class);

  private record Level(@Nullable String level, CompletableFuture<?> done) {}

  private final String name;
  private final Transport upstream;
  private final AtomicLong nextId = new AtomicLong();
  private final AtomicReference<Level> current =
      new AtomicReference<>(new Level(null, CompletableFuture.completedFuture(null)));

  LegacyLogLevel(String name, Transport upstream) {
    this.name = name;
    this.upstream = upstream;
  }

  /**
   * Returns what completes once the upstream is at the level {@code request} asks for: at once when it
   * asks for none or for the level already set, or when the upstream ({@code initialized} is its
   * {@code initialize} result) has no {@code logging} capability. Never completes exceptionally.
   */
  CompletableFuture<?> before(JsonRpcRequest request, JsonNode initialized, Duration timeout) {
    JsonNode asked = Generation.meta(request.params()).path(Generation.LOG_LEVEL);
    Level set = current.get();
    if (!asked.isTextual() || !initialized.path("capabilities").has("logging")) {
      return set.done();
    }
    String level = asked.textValue();
    while (!level.equals(set.level())) {
      CompletableFuture<Void> done = new CompletableFuture<>();
      Level mine = new Level(level, done);
      if (current.compareAndSet(set, mine)) {
        JsonRpcRequest setLevel = new JsonRpcRequest(RequestId.of("gatekit-log-level-" + nextId.incrementAndGet()),
            McpMethods.LOGGING_SET_LEVEL, JsonNodeFactory.instance.objectNode().put("level", level));
        set.done().whenComplete((ignored, failure) -> send(setLevel, timeout, done));
        return done;
      }
      set = current.get();
    }
    return set.done();
  }

  private void send(JsonRpcRequest setLevel, Duration timeout, CompletableFuture<Void> done) {
    try {
      upstream.sendAndReceive(setLevel, timeout).whenComplete((answer, failure) -> {
        if (failure != null || answer.isError()) {
          log.warn("Upstream '{}' did not take logging/setLevel {}: {}", name, setLevel.params(),
              failure != null ? failure.toString() : answer.error().message());
        }
        done.complete(null);
      });
    } catch (RuntimeException e) {
      log.warn("Upstream '{}': logging/setLevel could not be sent: {}", name, e.toString());
      done.complete(null);
    }
  }
}
