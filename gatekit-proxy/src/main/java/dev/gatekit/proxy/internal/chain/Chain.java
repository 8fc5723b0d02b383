package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A list of stages and an index: the whole pipeline of the gateway. {@link #proceed} hands a message
 * to the stage at the index, with a chain whose index is one further, so each stage calls the rest
 * of the chain exactly as OkHttp's interceptors do. The last stage is the far side and never
 * proceeds. Order is data: who builds the list decides it (see {@link Stages}).
 *
 * <p>Immutable; one chain object per step of one message.
 */
public final class Chain {

  private static final Logger log = LoggerFactory.getLogger(Chain.class);

  private final List<Stage> stages;
  private final int index;
  private final Passage passage;
  private final JsonRpcMessage message;

  private Chain(List<Stage> stages, int index, Passage passage, JsonRpcMessage message) {
    this.stages = stages;
    this.index = index;
    this.passage = passage;
    this.message = message;
  }

  /** Runs {@code message} through {@code stages} from the first. */
  public static CompletableFuture<Outcome> run(List<Stage> stages, Passage passage, JsonRpcMessage message) {
    return new Chain(stages, 0, passage, message).proceed(message);
  }

  /** Returns what this message's passage knows: its context, where it started, when. */
  public Passage passage() {
    return passage;
  }

  /** Returns the message as it reached this stage. */
  public JsonRpcMessage message() {
    return message;
  }

  /** Passes {@code next} (the message, or its rewrite) to the rest of the chain. */
  public CompletableFuture<Outcome> proceed(JsonRpcMessage next) {
    if (index >= stages.size()) {
      throw new IllegalStateException("the last stage of a chain has nothing to proceed to");
    }
    Stage stage = stages.get(index);
    try {
      return stage.intercept(new Chain(stages, index + 1, passage, next));
    } catch (RuntimeException e) {
      log.error("Stage {} failed on {}", stage, passage.context().method(), e);
      return CompletableFuture.completedFuture(
          Outcome.failed(ErrorCodes.INTERNAL_ERROR, "Internal error in the gateway"));
    }
  }
}
