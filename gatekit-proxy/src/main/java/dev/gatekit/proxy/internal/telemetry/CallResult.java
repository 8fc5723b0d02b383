package dev.gatekit.proxy.internal.telemetry;

/**
 * What a request came to, in the words of the {@code gatekit.outcome} attribute: a small, fixed set,
 * so that a metric keeps few series.
 */
public enum CallResult {
  /** Answered with a result. */
  OK("ok"),
  /** Answered with an error the upstream (or a middleware plugin) gave. */
  ERROR("error"),
  /** Stopped by a security plugin or a critical auditor. */
  BLOCKED("blocked"),
  /** Not answered in time. */
  TIMED_OUT("timed_out"),
  /** Refused because too many requests were in flight to the upstream. */
  REJECTED("rejected"),
  /** Failed in the gateway: upstream unavailable, a plugin failed, bad routing. */
  FAILED("failed"),
  /** Cancelled by the client. */
  CANCELLED("cancelled");

  private final String value;

  CallResult(String value) {
    this.value = value;
  }

  /** Returns the attribute value. */
  public String value() {
    return value;
  }
}
