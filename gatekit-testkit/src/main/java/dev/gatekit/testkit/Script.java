package dev.gatekit.testkit;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the mock upstream does with a request: how long it takes, which fault (if any) applies, and
 * what it answers. Immutable; thread-safe when the handlers and the latency function are.
 */
final class Script {

  private static final Logger log = LoggerFactory.getLogger(Script.class);

  private final Map<String, Function<JsonRpcRequest, JsonRpcResponse>> handlers;
  private final Map<String, Fault> faults;
  private final Function<JsonRpcRequest, Duration> latency;

  Script(
      Map<String, Function<JsonRpcRequest, JsonRpcResponse>> handlers,
      Map<String, Fault> faults,
      Function<JsonRpcRequest, Duration> latency) {
    this.handlers = Map.copyOf(handlers);
    this.faults = Map.copyOf(faults);
    this.latency = latency;
  }

  /**
   * Returns how long the upstream takes to answer {@code request}.
   *
   * @throws IllegalArgumentException if the latency function gives a negative duration
   */
  Duration latencyOf(JsonRpcRequest request) {
    Duration delay = Objects.requireNonNull(latency.apply(request), "latency");
    if (delay.isNegative()) {
      throw new IllegalArgumentException(
          "latency must not be negative, was " + delay + " for '" + request.method() + "'");
    }
    return delay;
  }

  /** Returns the fault injected for the method of {@code request}, or null when there is none. */
  @Nullable Fault faultFor(JsonRpcRequest request) {
    return faults.get(request.method());
  }

  /**
   * Returns the handler's answer to {@code request}, carrying the request's id: "method not found"
   * without a handler, an internal error when the handler throws. Never throws.
   */
  JsonRpcResponse respond(JsonRpcRequest request) {
    Function<JsonRpcRequest, JsonRpcResponse> handler = handlers.get(request.method());
    if (handler == null) {
      return JsonRpcResponse.failure(
          request.id(), ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + request.method());
    }
    try {
      return Objects.requireNonNull(handler.apply(request), "handler returned null")
          .withId(request.id());
    } catch (RuntimeException e) {
      log.warn("Mock handler for '{}' threw; answering with an internal error", request.method(), e);
      return JsonRpcResponse.failure(
          request.id(),
          ErrorCodes.INTERNAL_ERROR,
          "Handler for '" + request.method() + "' failed: " + e);
    }
  }
}
