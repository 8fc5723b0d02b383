package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The last stage of a chain in tests, doing what {@link UpstreamStage} and {@link ClientStage} do
 * around the call: it departs (so that a critical auditor can stop the message), delivers a
 * notification, and answers a request with whatever {@code answer} gives, under the client's id; a
 * failed answer becomes the outcome {@link Failures} makes of it. It keeps every message it saw.
 */
final class FarSide implements Stage {

  private final Function<JsonRpcRequest, CompletableFuture<JsonRpcResponse>> answer;
  private final List<JsonRpcMessage> seen = Collections.synchronizedList(new ArrayList<>());

  private FarSide(Function<JsonRpcRequest, CompletableFuture<JsonRpcResponse>> answer) {
    this.answer = answer;
  }

  /** Answers every request at once with {@code response}. */
  static FarSide answering(JsonRpcResponse response) {
    return new FarSide(request -> CompletableFuture.completedFuture(response));
  }

  /** Answers every request with the future {@code answer} gives. */
  static FarSide answering(Function<JsonRpcRequest, CompletableFuture<JsonRpcResponse>> answer) {
    return new FarSide(answer);
  }

  /** Fails every request with {@code failure}, as a transport's future does. */
  static FarSide failingWith(Throwable failure) {
    return new FarSide(request -> CompletableFuture.failedFuture(failure));
  }

  /** Returns every message that reached the far side, in order. */
  List<JsonRpcMessage> seen() {
    synchronized (seen) {
      return List.copyOf(seen);
    }
  }

  @Override
  public CompletableFuture<Outcome> intercept(Chain chain) {
    Passage passage = chain.passage();
    JsonRpcMessage message = chain.message();
    if (!passage.depart(message)) {
      return CompletableFuture.completedFuture(AuditStage.refused());
    }
    seen.add(message);
    if (message instanceof JsonRpcNotification notification) {
      return CompletableFuture.completedFuture(Outcome.answered(notification));
    }
    return answer.apply((JsonRpcRequest) message).handle((response, failure) -> response != null
        ? Outcome.answered(response.withId(passage.context().requestId()))
        : Failures.outcomeOf(failure));
  }

  @Override
  public String toString() {
    return "far side (test)";
  }
}
