package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a failure of the far side into the outcome a client sees: the failure's own JSON-RPC code
 * and a message a person can act on — never text the upstream wrote (such as its stderr), which
 * stays in the gateway's log and in the exception for embedders.
 */
public final class Failures {

  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  private Failures() {}

  /** Returns the outcome of a call to the far side that ended with {@code failure}. */
  public static Outcome outcomeOf(@Nullable Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof RequestTimeoutException timeout) {
      return Outcome.timedOut(String.valueOf(timeout.getMessage()));
    }
    if (cause instanceof TransportClosedException closed) {
      return Outcome.failed(closed.errorCode(), closed.clientMessage());
    }
    if (cause instanceof GatekitException e) {
      return Outcome.failed(e.errorCode(), String.valueOf(e.getMessage()));
    }
    if (cause instanceof CancellationException) {
      return Outcome.failed(ErrorCodes.INTERNAL_ERROR, "Request cancelled");
    }
    log.error("Unexpected failure", cause);
    return Outcome.failed(ErrorCodes.INTERNAL_ERROR, "Internal error in the gateway");
  }

  /** Returns the failure a dependent stage wrapped in a {@link CompletionException}. */
  public static @Nullable Throwable unwrap(@Nullable Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }
}
