package dev.gatekit.transport.http;

import java.time.Duration;
import java.util.Objects;

/**
 * Whether and how an {@link HttpTransport} starts a new session after the server ended the one it
 * had (it answered HTTP 404 for the session, as MCP's Streamable HTTP transport says a server does
 * for a session it no longer knows, for instance after a restart).
 *
 * <p>With the policy on, the transport fails what was pending, then replays the {@code initialize}
 * request and the {@code notifications/initialized} its caller last sent, and accepts requests again
 * once the server answered. An attempt that fails is repeated after {@code initialBackoff}, doubling
 * up to {@code maxBackoff}, at most {@code maxAttempts} times in a row; then the transport stays
 * {@link dev.gatekit.api.TransportState#FAILED}. The count starts again once a new session is up.
 *
 * @param maxAttempts consecutive attempts before giving up; 0 disables new sessions
 * @param initialBackoff the wait before the first attempt
 * @param maxBackoff the longest wait between attempts
 */
public record ReconnectPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

  private static final ReconnectPolicy NEVER = new ReconnectPolicy(0, Duration.ZERO, Duration.ZERO);

  /** Checks the values. */
  public ReconnectPolicy {
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

  /** Never start a new session (the default): an expired session leaves the transport failed. */
  public static ReconnectPolicy never() {
    return NEVER;
  }

  /** Up to {@code maxAttempts} attempts in a row, from no wait for the first up to 30 s. */
  public static ReconnectPolicy attempts(int maxAttempts) {
    return new ReconnectPolicy(maxAttempts, Duration.ZERO, Duration.ofSeconds(30));
  }

  /** Returns whether new sessions are started. */
  public boolean enabled() {
    return maxAttempts > 0;
  }

  /** Returns the wait before attempt {@code attempt} (1-based). */
  public Duration backoff(int attempt) {
    Duration wait = initialBackoff;
    if (wait.isZero()) {
      wait = attempt <= 1 ? Duration.ZERO : Duration.ofMillis(250);
    }
    for (int i = 2; i < attempt && wait.compareTo(maxBackoff) < 0; i++) {
      wait = wait.multipliedBy(2);
    }
    return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
  }
}
