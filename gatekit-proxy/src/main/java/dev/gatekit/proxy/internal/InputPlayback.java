package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Plays the client side of 2026-07-28 multi-round-trip requests for a 2025-era client, which knows
 * server-to-client requests but not {@code input_required} results. A request goes to the 2026-era
 * upstream; while the upstream answers {@code resultType: "input_required"}, each of its {@code
 * inputRequests} goes to the client as an ordinary server-to-client request (through the handler the
 * upstream's own requests take, so through the plugin chain towards the client), and once the client
 * has answered them all the original request is sent again with those answers as {@code
 * inputResponses} and the upstream's {@code requestState} echoed as it came (never parsed or kept
 * beyond the round). The first answer that is not {@code input_required} is the client's answer,
 * under the client's id.
 *
 * <p>The round ends the whole request when the client answers an input request with an error (or a
 * plugin refuses it), when the upstream's {@code input_required} result is malformed, or after
 * {@link #MAX_ROUNDS} rounds; the client then gets an error naming why. A round with only a {@code
 * requestState} (the upstream shedding load) is retried after {@link #STATE_ONLY_PACING}. Cancelling
 * the returned future cancels the leg in flight. Thread-safe.
 */
final class InputPlayback {

  /** How many {@code input_required} rounds one request may take (the TypeScript SDK's default). */
  static final int MAX_ROUNDS = 10;
  /** The pause before retrying a round that asked for nothing but carried a {@code requestState}. */
  static final Duration STATE_ONLY_PACING = Duration.ofMillis(250);

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final String name;
  private final Transport upstream;
  private final Supplier<@Nullable InboundHandler> client;
  private final AtomicLong nextId = new AtomicLong();

  /**
   * @param name the upstream's name, for error messages
   * @param upstream where the request and its retries go
   * @param client takes the input requests towards the client, as it takes the upstream's own
   */
  InputPlayback(String name, Transport upstream, Supplier<@Nullable InboundHandler> client) {
    this.name = name;
    this.upstream = upstream;
    this.client = client;
  }

  /** Sends {@code request} (already in the upstream's form) and plays its rounds to a complete answer. */
  CompletableFuture<JsonRpcResponse> play(JsonRpcRequest request, Duration timeout) {
    Play play = new Play(request, timeout);
    play.leg(request);
    return play.result;
  }

  /** Returns whether an answer is a 2026-era {@code input_required} result. */
  static boolean isInputRequired(JsonRpcResponse answer) {
    return !answer.isError() && answer.result() != null
        && "input_required".equals(answer.result().path(Generation.RESULT_TYPE).textValue());
  }

  /** One request's rounds. Its legs run one after another, each started by the previous one's end. */
  private final class Play {
    final JsonRpcRequest original;
    final Duration timeout;
    final CompletableFuture<JsonRpcResponse> result = new CompletableFuture<>();
    /** What is in flight now: a leg upstream, or the client's answers to a round's input requests. */
    volatile @Nullable CompletableFuture<?> current;
    /** Touched by one leg's completion at a time; each leg starts after the previous completed. */
    int rounds;

    Play(JsonRpcRequest original, Duration timeout) {
      this.original = original;
      this.timeout = timeout;
      result.whenComplete((answer, failure) -> {
        CompletableFuture<?> inFlight = current;
        if (result.isCancelled() && inFlight != null) {
          inFlight.cancel(false);
        }
      });
    }

    void leg(JsonRpcRequest send) {
      if (result.isDone()) {
        return; // cancelled meanwhile
      }
      CompletableFuture<JsonRpcResponse> sent;
      try {
        sent = upstream.sendAndReceive(send, timeout);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      inFlight(sent);
      sent.whenComplete((answer, failure) -> {
        if (failure != null) {
          result.completeExceptionally(unwrap(failure));
        } else if (!isInputRequired(answer)) {
          result.complete(answer.withId(original.id()));
        } else {
          round(answer.result());
        }
      });
    }

    private void round(JsonNode inputRequired) {
      if (++rounds > MAX_ROUNDS) {
        fail(ErrorCodes.INTERNAL_ERROR, "Upstream '" + name + "' still required input for '" + original.method()
            + "' after " + MAX_ROUNDS + " rounds");
        return;
      }
      JsonNode requests = inputRequired.path("inputRequests");
      JsonNode state = inputRequired.get(Generation.REQUEST_STATE);
      if (!(requests.isMissingNode() || requests.isObject()) || (state != null && !state.isTextual())) {
        malformed("inputRequests must be an object and requestState a string");
        return;
      }
      if (requests.isEmpty() && state == null) {
        malformed("it carries neither inputRequests nor requestState");
        return;
      }
      Map<String, CompletableFuture<JsonRpcResponse>> asked = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = requests.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        JsonNode method = entry.getValue().path("method");
        JsonNode params = entry.getValue().get("params");
        if (!method.isTextual() || (params != null && !params.isObject())) {
          asked.values().forEach(f -> f.cancel(false));
          malformed("input request '" + entry.getKey() + "' needs a method and object params");
          return;
        }
        asked.put(entry.getKey(), toClient(new JsonRpcRequest(
            RequestId.of("gatekit-input-" + nextId.incrementAndGet()), method.textValue(), params)));
      }
      if (asked.isEmpty()) { // only a requestState: the upstream asks to be asked again, later
        CompletableFuture<Void> pause = CompletableFuture.runAsync(() -> { },
            CompletableFuture.delayedExecutor(STATE_ONLY_PACING.toMillis(), TimeUnit.MILLISECONDS));
        inFlight(pause);
        pause.thenRun(() -> leg(retry(null, state)));
        return;
      }
      CompletableFuture<Void> all = CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new));
      inFlight(all);
      all.whenComplete((ignored, failure) -> {
        if (result.isDone()) {
          return;
        }
        ObjectNode responses = JSON.objectNode();
        for (Map.Entry<String, CompletableFuture<JsonRpcResponse>> entry : asked.entrySet()) {
          JsonRpcResponse answer = entry.getValue().isCompletedExceptionally() ? null : entry.getValue().join();
          if (answer == null || answer.isError()) {
            fail(answer == null ? ErrorCodes.INTERNAL_ERROR : answer.error().code(),
                "The client did not answer the input request '" + entry.getKey() + "' of upstream '" + name
                    + "': " + (answer == null ? "the request to the client failed" : answer.error().message()));
            return;
          }
          responses.set(entry.getKey(), answer.result() == null ? JSON.objectNode() : answer.result());
        }
        leg(retry(responses, state));
      });
    }

    /** The original request again, with this round's answers and the upstream's state as it came. */
    private JsonRpcRequest retry(@Nullable ObjectNode responses, @Nullable JsonNode state) {
      ObjectNode params = original.params() instanceof ObjectNode p ? p.deepCopy() : JSON.objectNode();
      params.remove(Generation.INPUT_RESPONSES);
      params.remove(Generation.REQUEST_STATE);
      if (responses != null) {
        params.set(Generation.INPUT_RESPONSES, responses);
      }
      if (state != null) {
        params.set(Generation.REQUEST_STATE, state);
      }
      return original.withParams(params);
    }

    private CompletableFuture<JsonRpcResponse> toClient(JsonRpcRequest ask) {
      InboundHandler handler = client.get();
      if (handler == null) {
        return CompletableFuture.completedFuture(JsonRpcResponse.failure(ask.id(), ErrorCodes.INTERNAL_ERROR,
            "no client is connected"));
      }
      try {
        return handler.onRequest(ask).toCompletableFuture();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    private void inFlight(CompletableFuture<?> future) {
      current = future;
      if (result.isCancelled()) {
        future.cancel(false);
      }
    }

    private void malformed(String why) {
      fail(ErrorCodes.INTERNAL_ERROR, "Upstream '" + name + "' answered '" + original.method()
          + "' with a malformed input_required result: " + why);
    }

    private void fail(int code, String message) {
      result.complete(JsonRpcResponse.failure(original.id(), code, message));
    }
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException wrapped && wrapped.getCause() != null ? wrapped.getCause() : failure;
  }
}
