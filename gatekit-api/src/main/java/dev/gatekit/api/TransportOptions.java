package dev.gatekit.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Options every {@link Transport} implementation honours: the in-flight limit, what happens past it,
 * and the request timeout. Immutable; build with {@link #builder()}.
 *
 * <p>Defaults: 100 requests in flight, {@link OverflowPolicy#REJECT}, a queue of 1,000 (used only
 * under {@link OverflowPolicy#QUEUE}), and a 60 second request timeout.
 */
public final class TransportOptions {

  /** The default in-flight limit. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 100;

  /** The default queue length under {@link OverflowPolicy#QUEUE}. */
  public static final int DEFAULT_MAX_QUEUED = 1_000;

  /** The default request timeout. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private static final TransportOptions DEFAULTS = builder().build();

  private final int maxInFlight;
  private final OverflowPolicy overflowPolicy;
  private final int maxQueued;
  private final Duration requestTimeout;

  private TransportOptions(Builder builder) {
    this.maxInFlight = builder.maxInFlight;
    this.overflowPolicy = builder.overflowPolicy;
    this.maxQueued = builder.maxQueued;
    this.requestTimeout = builder.requestTimeout;
  }

  /** Returns the default options. */
  public static TransportOptions defaults() {
    return DEFAULTS;
  }

  /** Returns a builder with the default values. */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns a builder holding these options, to change some of them. */
  public Builder toBuilder() {
    return new Builder()
        .maxInFlight(maxInFlight)
        .overflowPolicy(overflowPolicy)
        .maxQueued(maxQueued)
        .requestTimeout(requestTimeout);
  }

  /** The most requests sent and not yet answered at any moment. */
  public int maxInFlight() {
    return maxInFlight;
  }

  /** What happens to a request past {@link #maxInFlight()}. */
  public OverflowPolicy overflowPolicy() {
    return overflowPolicy;
  }

  /** The most requests waiting for a slot under {@link OverflowPolicy#QUEUE}. */
  public int maxQueued() {
    return maxQueued;
  }

  /** How long a request may wait for its response (queue time included) before it fails. */
  public Duration requestTimeout() {
    return requestTimeout;
  }

  /**
   * Returns the message of the error for a request refused past the limit: it states the limit and
   * how to raise it, so every transport words it the same way.
   */
  public String overloadedMessage() {
    if (overflowPolicy == OverflowPolicy.QUEUE) {
      return "Upstream overloaded: "
          + maxInFlight
          + " requests in flight and "
          + maxQueued
          + " waiting (the limit); raise max_requests_in_flight or max_queued_requests"
          + " (TransportOptions.maxInFlight/maxQueued)";
    }
    return "Upstream overloaded: "
        + maxInFlight
        + " requests already in flight (the limit); raise max_requests_in_flight"
        + " (TransportOptions.maxInFlight) or set overflow_policy: queue to wait instead";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TransportOptions other
        && maxInFlight == other.maxInFlight
        && overflowPolicy == other.overflowPolicy
        && maxQueued == other.maxQueued
        && requestTimeout.equals(other.requestTimeout);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxInFlight, overflowPolicy, maxQueued, requestTimeout);
  }

  @Override
  public String toString() {
    return "TransportOptions{maxInFlight="
        + maxInFlight
        + ", overflowPolicy="
        + overflowPolicy
        + ", maxQueued="
        + maxQueued
        + ", requestTimeout="
        + requestTimeout
        + '}';
  }

  /** Builds {@link TransportOptions}; every setter checks its argument at once. */
  public static final class Builder {
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private OverflowPolicy overflowPolicy = OverflowPolicy.REJECT;
    private int maxQueued = DEFAULT_MAX_QUEUED;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

    private Builder() {}

    /** Sets the in-flight limit; at least 1. */
    public Builder maxInFlight(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxInFlight must be at least 1, was " + value);
      }
      this.maxInFlight = value;
      return this;
    }

    /** Sets the overflow policy. */
    public Builder overflowPolicy(OverflowPolicy value) {
      this.overflowPolicy = Objects.requireNonNull(value, "overflowPolicy");
      return this;
    }

    /** Sets the queue length under {@link OverflowPolicy#QUEUE}; at least 0. */
    public Builder maxQueued(int value) {
      if (value < 0) {
        throw new IllegalArgumentException("maxQueued must not be negative, was " + value);
      }
      this.maxQueued = value;
      return this;
    }

    /** Sets the request timeout; positive. */
    public Builder requestTimeout(Duration value) {
      Objects.requireNonNull(value, "requestTimeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive, was " + value);
      }
      this.requestTimeout = value;
      return this;
    }

    /** Returns the options. */
    public TransportOptions build() {
      return new TransportOptions(this);
    }
  }
}
