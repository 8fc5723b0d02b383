package dev.gatekit.api.support;

import dev.gatekit.api.TransportStats;
import java.util.concurrent.atomic.LongAdder;

/**
 * The monotonic counters of a transport, cheap to bump from many threads; together with an
 * {@link InFlightLimiter} they make a {@link TransportStats} snapshot.
 */
public final class TransportCounters {

  public final LongAdder sent = new LongAdder();
  public final LongAdder completed = new LongAdder();
  public final LongAdder failed = new LongAdder();
  public final LongAdder timedOut = new LongAdder();
  public final LongAdder cancelled = new LongAdder();
  public final LongAdder rejected = new LongAdder();
  public final LongAdder restarts = new LongAdder();
  public final LongAdder deaths = new LongAdder();
  public final LongAdder dropped = new LongAdder();

  /** Returns a snapshot of these counters and of the limiter's gauges. */
  public TransportStats snapshot(InFlightLimiter limiter) {
    return new TransportStats(
        limiter.inFlight(),
        limiter.maxInFlight(),
        limiter.queued(),
        sent.sum(),
        completed.sum(),
        failed.sum(),
        timedOut.sum(),
        cancelled.sum(),
        rejected.sum(),
        restarts.sum(),
        deaths.sum(),
        dropped.sum());
  }
}
