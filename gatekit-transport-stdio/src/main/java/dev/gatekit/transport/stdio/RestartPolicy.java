package dev.gatekit.transport.stdio;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and how a {@link StdioTransport} starts its upstream again after it died.
 *
 * <p>After a death the transport waits {@code initialBackoff}, doubling for each consecutive failed
 * attempt up to {@code maxBackoff}, and gives up after {@code maxAttempts} consecutive attempts (the
 * transport then stays {@link dev.gatekit.api.TransportState#FAILED}). The count starts again once a
 * restarted upstream has answered a request.
 *
 * @param maxAttempts consecutive restart attempts before giving up; 0 disables restarts
 * @param initialBackoff the wait before the first attempt
 * @param maxBackoff the longest wait between attempts
 */
public record RestartPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

  private static final RestartPolicy NEVER = new RestartPolicy(0, Duration.ZERO, Duration.ZERO);

  /** Checks the values. */
  public RestartPolicy {
    if (maxAttempts < 0) {
      throw new IllegalArgumentException("maxAttempts must not be negative, was " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "backoff must satisfy 0 <= initialBackoff <= maxBackoff, was "
              + initialBackoff
              + " and "
              + maxBackoff);
    }
  }

  /** Never restart (the default). */
  public static RestartPolicy never() {
    return NEVER;
  }

  /** Restart up to {@code maxAttempts} times in a row, from 500 ms backoff up to 30 s. */
  public static RestartPolicy attempts(int maxAttempts) {
    return new RestartPolicy(maxAttempts, Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  /** Returns whether restarts are enabled. */
  public boolean enabled() {
    return maxAttempts > 0;
  }

  /** Returns the wait before attempt {@code attempt} (1-based). */
  public Duration backoff(int attempt) {
    Duration wait = initialBackoff;
    for (int i = 1; i < attempt && wait.compareTo(maxBackoff) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }
}
