package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.proxy.internal.chain.Outcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The {@code initialize} handshake of one client session, and the one place where the session's
 * protocol version is decided. The client's {@code initialize} goes to every upstream; with one
 * upstream and no namespacing its answer passes through unchanged (instructions and the version the
 * two agreed on included), with several the answers are merged ({@link InitializeResults}). Requests
 * that arrive while {@code initialize} is on its way wait for it, as the client meant; requests
 * before any {@code initialize} are refused. A failed handshake may be tried again. A 2026-era
 * client (its requests name the protocol version in {@code _meta}) sends no {@code initialize}: its
 * requests pass once their version is checked ({@link #stateless}). Thread-safe.
 */
final class Handshake {

  private final List<String> upstreams;
  private final boolean transparent;
  private final AtomicBoolean initializeSeen = new AtomicBoolean();
  private volatile boolean initialized;
  private volatile @Nullable CompletableFuture<Boolean> initializing;
  private final Map<String, Object> sessionAttributes;
  private final List<String> accepted2025;
  private final List<String> accepted2026;
  private volatile Map<String, Object> attributes;

  /** Sends one request of a call to one upstream through its chain. */
  interface UpstreamCaller {
    CompletableFuture<Outcome> call(ClientCall call, String upstream, JsonRpcRequest request);
  }

  /**
   * @param protocolVersions the versions accepted from the client (both generations)
   * @param sessionAttributes what plugins are told about the session before its {@code initialize}
   *     (such as its id), kept after it
   */
  Handshake(List<String> upstreams, boolean namespaced, List<String> protocolVersions,
      Map<String, Object> sessionAttributes) {
    this.accepted2025 = protocolVersions.stream().filter(v -> !Generation.SUPPORTED_2026.contains(v)).toList();
    this.accepted2026 = protocolVersions.stream().filter(Generation.SUPPORTED_2026::contains).toList();
    this.sessionAttributes = Map.copyOf(sessionAttributes);
    this.attributes = this.sessionAttributes;
    this.upstreams = List.copyOf(upstreams);
    this.transparent = upstreams.size() == 1 && !namespaced;
  }

  /** Returns what plugins are told about the session (its id, protocol version, client name). */
  Map<String, Object> attributes() {
    return attributes;
  }

  /** Runs the client's {@code initialize} against every upstream. */
  CompletableFuture<Outcome> initialize(ClientCall call, UpstreamCaller caller) {
    JsonRpcRequest request = call.request;
    JsonRpcError unsupported = ProtocolVersions.unsupportedInitialize(request, accepted2025);
    if (unsupported != null) {
      return CompletableFuture.completedFuture(Outcome.answered(JsonRpcResponse.failure(request.id(), unsupported)));
    }
    if (!initializeSeen.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(
          Outcome.failed(ErrorCodes.INVALID_REQUEST, "Invalid request: the session is already initialized"));
    }
    attributes = attributesOf(sessionAttributes, request.params());
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    initializing = done;
    Map<String, CompletableFuture<Outcome>> answers = new LinkedHashMap<>();
    for (String upstream : upstreams) {
      answers.put(upstream, caller.call(call, upstream, request));
    }
    return CompletableFuture.allOf(answers.values().toArray(CompletableFuture[]::new))
        .handle((ignored, failure) -> {
          Outcome answer = transparent ? answers.values().iterator().next().join() : merge(request, answers);
          boolean ok = answer.succeeded();
          if (ok) {
            initialized = true;
          } else {
            initializing = null;
            initializeSeen.set(false); // let the client try again
          }
          done.complete(ok);
          return answer;
        });
  }

  /**
   * Runs {@code next} once the session is initialized: at once if it is, after {@code initialize}
   * (on {@code executor}) if that is on its way, never if it was not sent.
   */
  /** Returns whether {@code initialize} has been answered successfully. */
  boolean isInitialized() {
    return initialized;
  }

  CompletableFuture<Outcome> whenInitialized(
      JsonRpcRequest request, Supplier<CompletableFuture<Outcome>> next, Executor executor) {
    if (initialized) {
      return next.get();
    }
    CompletableFuture<Boolean> pending = initializing;
    if (pending == null) {
      return CompletableFuture.completedFuture(notInitialized());
    }
    return pending.thenComposeAsync(
        ok -> ok ? next.get() : CompletableFuture.completedFuture(notInitialized()), executor);
  }

  /**
   * Runs {@code next} for a request of a 2026-era client, which has no {@code initialize}: at once
   * when its {@code _meta} names a version the gateway speaks, else answers the specification's
   * {@code UnsupportedProtocolVersion} error naming the supported ones. What plugins are told about
   * the session (protocol version, client name) comes from the request's {@code _meta}.
   */
  CompletableFuture<Outcome> stateless(JsonRpcRequest request, Supplier<CompletableFuture<Outcome>> next) {
    JsonRpcError unsupported = Generation.unsupportedVersion(request, accepted2026);
    if (unsupported != null) {
      return CompletableFuture.completedFuture(Outcome.answered(JsonRpcResponse.failure(request.id(), unsupported)));
    }
    if (!attributes.containsKey(PluginContext.PROTOCOL_VERSION)) {
      JsonNode meta = Generation.meta(request.params());
      Map<String, Object> attrs = new LinkedHashMap<>(attributes);
      attrs.put(PluginContext.PROTOCOL_VERSION, meta.path(Generation.PROTOCOL_VERSION).textValue());
      if (meta.path(Generation.CLIENT_INFO).path("name").isTextual()) {
        attrs.put(PluginContext.CLIENT_NAME, meta.path(Generation.CLIENT_INFO).path("name").textValue());
      }
      attributes = Map.copyOf(attrs);
    }
    return next.get();
  }

  /**
   * Waits until an {@code initialize} on its way has been answered, so that what the client sent
   * after it reaches the upstreams after it. Returns at once otherwise.
   */
  void awaitInitializeOnItsWay() {
    CompletableFuture<Boolean> pending = initializing;
    if (pending != null && !initialized) {
      pending.join();
    }
  }

  private static Outcome notInitialized() {
    return Outcome.failed(ErrorCodes.INVALID_REQUEST,
        "Invalid request: the session is not initialized; send 'initialize' first");
  }

  private static Outcome merge(JsonRpcRequest request, Map<String, CompletableFuture<Outcome>> answers) {
    Map<String, JsonRpcResponse> responses = new LinkedHashMap<>();
    answers.forEach((upstream, answer) -> responses.put(upstream, answer.join().toResponse(request.id())));
    JsonRpcResponse merged = InitializeResults.merge(request.id(), responses);
    if (merged.isError()) {
      for (CompletableFuture<Outcome> answer : answers.values()) {
        if (!answer.join().passed()) {
          return answer.join(); // the first failure, as the gateway decided it
        }
      }
    }
    return Outcome.answered(merged);
  }

  private static Map<String, Object> attributesOf(Map<String, Object> session, @Nullable JsonNode params) {
    Map<String, Object> attrs = new LinkedHashMap<>(session);
    if (params != null && params.path("protocolVersion").isTextual()) {
      attrs.put(PluginContext.PROTOCOL_VERSION, params.get("protocolVersion").textValue());
    }
    if (params != null && params.path("clientInfo").path("name").isTextual()) {
      attrs.put(PluginContext.CLIENT_NAME, params.get("clientInfo").get("name").textValue());
    }
    return Map.copyOf(attrs);
  }
}
