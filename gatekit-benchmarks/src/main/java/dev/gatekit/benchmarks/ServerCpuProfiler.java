package dev.gatekit.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * A JMH profiler that reports the CPU time per operation, in microseconds, of the in-JVM Jetty
 * server's threads ({@code cpu.server}: live threads named {@code qtp...}, the default name of a
 * Jetty server's pool, selectors included) and of every other live thread ({@code cpu.rest}: the
 * client under test, JMH, the JIT, the GC). A thread that ends during the iteration is missed,
 * so the figures are a floor; Jetty's pool keeps its threads for a minute when idle. Use with
 * {@code -prof dev.gatekit.benchmarks.ServerCpuProfiler} beside {@link CpuProfiler}.
 */
public final class ServerCpuProfiler implements InternalProfiler {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private Map<Long, Long> before = Map.of();

  @Override
  public String getDescription() {
    return "CPU time per operation of the in-JVM Jetty server's threads (qtp*) and of the other threads";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    before = cpuByThread();
  }

  @Override
  public List<? extends Result<?>> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long ops = result.getMetadata().getAllOps();
    if (ops <= 0) {
      return List.of();
    }
    long server = 0;
    long rest = 0;
    long[] ids = THREADS.getAllThreadIds();
    ThreadInfo[] infos = THREADS.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      long now = THREADS.getThreadCpuTime(ids[i]);
      if (now < 0 || infos[i] == null) {
        continue;
      }
      long spent = now - before.getOrDefault(ids[i], 0L);
      if (infos[i].getThreadName().startsWith("qtp")) {
        server += spent;
      } else {
        rest += spent;
      }
    }
    return List.of(
        new ScalarResult("cpu.server", server / 1_000.0 / ops, "us/op", AggregationPolicy.AVG),
        new ScalarResult("cpu.rest", rest / 1_000.0 / ops, "us/op", AggregationPolicy.AVG));
  }

  private static Map<Long, Long> cpuByThread() {
    Map<Long, Long> cpu = new HashMap<>();
    for (long id : THREADS.getAllThreadIds()) {
      long time = THREADS.getThreadCpuTime(id);
      if (time >= 0) {
        cpu.put(id, time);
      }
    }
    return cpu;
  }
}
