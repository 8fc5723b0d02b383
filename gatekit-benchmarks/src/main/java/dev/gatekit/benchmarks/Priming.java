package dev.gatekit.benchmarks;

import java.util.concurrent.TimeUnit;

/**
 * Warms a client and its upstream before JMH's own warmup: a fixed number of requests, {@value
 * #PRIME_IN_FLIGHT} in flight. Counted in requests, not in time, so a faster client gets no extra
 * warm-up; the upstream server (a JVM started fresh for each trial) and the client are compiled
 * before the timed warmup begins.
 */
final class Priming {

  /** Requests sent at trial setup, the same count for every client. */
  static final int PRIME_REQUESTS = 30_000;

  /** Requests kept in flight while priming. */
  static final int PRIME_IN_FLIGHT = 100;

  private Priming() {}

  /** Sends {@value #PRIME_REQUESTS} echo calls through {@code caller}. */
  static void prime(Caller caller) {
    prime(Pump.of(caller, McpCalls.echo(), PRIME_IN_FLIGHT));
  }

  /** Sends {@value #PRIME_REQUESTS} requests through a pump, then lets it drain. */
  static void prime(Pump pump) {
    long start = System.nanoTime();
    pump.start();
    pump.awaitCompletions(PRIME_REQUESTS);
    pump.stop();
    System.out.printf(
        "# Primed with %,d requests in %,d ms%n",
        PRIME_REQUESTS,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }
}
