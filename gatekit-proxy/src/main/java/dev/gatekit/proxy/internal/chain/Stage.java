package dev.gatekit.proxy.internal.chain;

import java.util.concurrent.CompletableFuture;

/**
 * One step of a {@link Chain}. A stage looks at {@link Chain#message()}, then either ends the
 * message's way here (returns an {@link Outcome} of its own) or passes it, perhaps rewritten, to the
 * rest of the chain with {@link Chain#proceed} and may look at what comes back.
 *
 * <p>A stage must not throw: the chain turns an exception into a failed outcome, but a stage knows
 * better what its failure means (a security plugin fails closed).
 */
public interface Stage {

  /** Handles the message of {@code chain}; the future completes with what the message came to. */
  CompletableFuture<Outcome> intercept(Chain chain);
}
