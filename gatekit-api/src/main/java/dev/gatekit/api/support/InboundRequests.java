package dev.gatekit.api.support;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * How a transport answers a request its upstream sent unasked, as {@link InboundHandler} prescribes:
 * the handler's answer goes back under the upstream's own id whatever id the handler gave it, and a
 * handler that throws, returns no stage, or whose stage fails is answered with an internal error
 * naming the method.
 */
public final class InboundRequests {

  private InboundRequests() {}

  /**
   * Asks {@code handler} for the answer to {@code request} and gives it to {@code reply} once it is
   * there (on the thread that completes the handler's stage, or this one). {@code reply} is called
   * exactly once, with a response that carries {@code request}'s id.
   */
  public static void answer(InboundHandler handler, JsonRpcRequest request, Consumer<JsonRpcResponse> reply) {
    CompletionStage<JsonRpcResponse> answer;
    try {
      answer = handler.onRequest(request);
      if (answer == null) {
        answer = CompletableFuture.failedFuture(new IllegalStateException("the handler returned no answer"));
      }
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((response, error) -> reply.accept(
        error == null && response != null
            ? response.withId(request.id())
            : JsonRpcResponse.failure(request.id(), ErrorCodes.INTERNAL_ERROR,
                "The client could not answer '" + request.method() + "': " + error)));
  }
}
