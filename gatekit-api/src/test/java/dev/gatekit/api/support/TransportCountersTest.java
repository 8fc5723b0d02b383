package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TransportCountersTest {

  @Test
  @DisplayName("a snapshot combines the counters with the limiter's gauges")
  void snapshot() {
    InFlightLimiter limiter =
        new InFlightLimiter(
            TransportOptions.builder().maxInFlight(2).overflowPolicy(OverflowPolicy.QUEUE).build());
    limiter.admit(() -> true);
    limiter.admit(() -> true);
    limiter.admit(() -> true);
    limiter.release();
    TransportCounters counters = new TransportCounters();
    counters.sent.add(10);
    counters.completed.add(6);
    counters.failed.increment();
    counters.timedOut.add(2);
    counters.cancelled.increment();
    counters.rejected.add(4);
    counters.restarts.add(3);

    assertThat(counters.snapshot(limiter)).isEqualTo(new TransportStats(2, 2, 0, 10, 6, 1, 2, 1, 4, 3));
  }

  @Test
  @DisplayName("a fresh snapshot is all zeros")
  void freshSnapshot() {
    TransportStats stats =
        new TransportCounters().snapshot(new InFlightLimiter(TransportOptions.defaults()));

    assertThat(stats).isEqualTo(new TransportStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  }
}
