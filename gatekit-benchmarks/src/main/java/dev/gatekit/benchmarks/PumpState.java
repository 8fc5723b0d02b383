package dev.gatekit.benchmarks;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The base of a pipelined benchmark's state: a {@link Pump} filled when an iteration starts (by the
 * subclass's {@code @Setup(Level.Iteration)}, which knows the path) and drained when it ends, so the
 * window stays full across the iteration's invocations.
 */
public abstract class PumpState {

  Pump pump;

  /** Starts {@code filled} and keeps it for the iteration. */
  final void run(Pump filled) {
    pump = filled;
    pump.start();
  }

  /** Lets what is in flight finish. */
  @TearDown(Level.Iteration)
  public void stop() {
    pump.stop();
  }
}
