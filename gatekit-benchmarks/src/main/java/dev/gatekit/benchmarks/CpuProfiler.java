package dev.gatekit.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler that reports CPU time per operation, in microseconds: {@code cpu.client} for the
 * benchmark's own JVM (every thread: the client under test, JMH, the JIT, the GC) and {@code
 * cpu.upstream} for its child processes (the upstream server). Unlike wall-clock scores, CPU time per
 * request says how much work each side does, and stays meaningful on a machine loaded by other
 * work. Use with {@code -prof dev.gatekit.benchmarks.CpuProfiler}. Child CPU time comes from the
 * operating system in clock ticks (10 ms on Linux), so iterations should be seconds long.
 */
public final class CpuProfiler implements InternalProfiler {

  /** The last CPU time seen of each child process, for children that end before JMH asks. */
  private static final Map<Long, Long> lastSeen = new ConcurrentHashMap<>();

  private long clientStart;
  private Map<Long, Long> upstreamStart = Map.of();

  /**
   * Records the CPU time of this JVM's child processes so far. The benchmarks call it just before
   * they end their upstreams at trial teardown, which JMH runs before it asks the profiler about the
   * last iteration.
   */
  static void noteUpstreams() {
    lastSeen.putAll(children());
  }

  @Override
  public String getDescription() {
    return "CPU time per operation of this JVM and of its child processes (the upstream)";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    lastSeen.clear();
    clientStart = clientCpuNanos();
    upstreamStart = children();
  }

  @Override
  public List<? extends Result<?>> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long client = clientCpuNanos() - clientStart;
    Map<Long, Long> now = new HashMap<>(lastSeen);
    now.putAll(children());
    long upstream = 0;
    for (Map.Entry<Long, Long> child : now.entrySet()) {
      // A child that started during the iteration (the first one) counts from zero.
      upstream += child.getValue() - upstreamStart.getOrDefault(child.getKey(), 0L);
    }
    long ops = result.getMetadata().getAllOps();
    if (ops <= 0 || client < 0) {
      return List.of();
    }
    return List.of(
        new ScalarResult("cpu.client", client / 1_000.0 / ops, "us/op", AggregationPolicy.AVG),
        new ScalarResult("cpu.upstream", upstream / 1_000.0 / ops, "us/op", AggregationPolicy.AVG));
  }

  private static long clientCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private static Map<Long, Long> children() {
    Map<Long, Long> cpu = new HashMap<>();
    ProcessHandle.current()
        .descendants()
        .forEach(
            child ->
                child
                    .info()
                    .totalCpuDuration()
                    .ifPresent(time -> cpu.put(child.pid(), time.toNanos())));
    return cpu;
  }
}
