package dev.gatekit.api;

/**
 * What a transport does with a request that arrives while
 * {@link TransportOptions#maxInFlight()} requests are already in flight.
 */
public enum OverflowPolicy {

  /**
   * Fail the request at once with an {@link OverloadedException} (the original Gatekit's behaviour).
   */
  REJECT,

  /**
   * Let the request wait, in arrival order, in a queue of at most {@link TransportOptions#maxQueued()}
   * requests; it is sent when a slot frees up. Its timeout runs while it waits. A request that finds
   * the queue full is rejected as under {@link #REJECT}.
   */
  QUEUE
}
