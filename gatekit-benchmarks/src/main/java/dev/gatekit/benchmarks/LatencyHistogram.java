package dev.gatekit.benchmarks;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Request latencies in whole microseconds, up to one second (slower ones count as one second),
 * recorded from many threads without locks; percentiles exact to the microsecond.
 */
final class LatencyHistogram {

  private static final int MAX_MICROS = 1_000_000;

  private final AtomicLongArray counts = new AtomicLongArray(MAX_MICROS + 1);

  /** Records one latency. */
  void record(long nanos) {
    counts.incrementAndGet((int) Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
  }

  /** Adds every latency of {@code other}. */
  void add(LatencyHistogram other) {
    for (int i = 0; i <= MAX_MICROS; i++) {
      long n = other.counts.get(i);
      if (n != 0) {
        counts.addAndGet(i, n);
      }
    }
  }

  /** The number of latencies recorded. */
  long count() {
    long total = 0;
    for (int i = 0; i <= MAX_MICROS; i++) {
      total += counts.get(i);
    }
    return total;
  }

  /** The latency, in microseconds, that {@code quantile} (0 to 1) of the requests did not exceed; -1 when empty. */
  long percentileMicros(double quantile) {
    long total = count();
    if (total == 0) {
      return -1;
    }
    long rank = (long) Math.ceil(quantile * total);
    long seen = 0;
    for (int i = 0; i <= MAX_MICROS; i++) {
      seen += counts.get(i);
      if (seen >= Math.max(1, rank)) {
        return i;
      }
    }
    return MAX_MICROS;
  }
}
