package dev.gatekit.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler that reports the threads of the benchmark's JVM in each iteration: {@code
 * threads.peak}, the most live at once, and {@code threads.started}, the threads started per
 * operation. A pool that starts a thread whenever none is idle shows here under a burst, as a cost
 * that CPU profiles spread over thread start-up, scheduling and memory. Use with {@code -prof
 * dev.gatekit.benchmarks.ThreadsProfiler}.
 */
public final class ThreadsProfiler implements InternalProfiler {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private long startedBefore;

  @Override
  public String getDescription() {
    return "Live threads at peak, and threads started per operation, in this JVM";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    THREADS.resetPeakThreadCount();
    startedBefore = THREADS.getTotalStartedThreadCount();
  }

  @Override
  public List<? extends Result<?>> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long started = THREADS.getTotalStartedThreadCount() - startedBefore;
    long ops = result.getMetadata().getAllOps();
    if (ops <= 0) {
      return List.of();
    }
    return List.of(
        new ScalarResult("threads.peak", THREADS.getPeakThreadCount(), "threads", AggregationPolicy.MAX),
        new ScalarResult(
            "threads.started", (double) started / ops, "threads/op", AggregationPolicy.AVG));
  }
}
