package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.proxy.GatekitProxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The seed's scenarios: a batch of {@code requests} calls of {@code tools/call sleep {ms: 50}}
 * against a 50 ms upstream, through a {@link GatekitProxy} with no plugins, its client in the same
 * JVM ({@link ProxyClient}). One operation is one whole batch answered; the score is the average
 * time per batch, in milliseconds.
 *
 * <ul>
 *   <li>{@code concurrent}: the batch's requests are all handed to the proxy at once, then awaited;
 *       {@code requests} = 10, 50, 100, 1,000 and 10,000. The ideal is 50 ms whatever the size.
 *   <li>{@code sequential}: one request at a time, each answered before the next is sent; {@code
 *       requests} = 10, 50 and 100 only (1,000 would take 50 s a batch). The ideal is {@code
 *       requests} × 50 ms.
 * </ul>
 *
 * <p>{@code upstream} is the kind of the 50 ms upstream ({@link ScenarioUpstream}): {@code mock},
 * the test kit's {@code MockTransport} in this JVM, or {@code stdio}, the test kit's MCP server
 * over a real pipe behind {@code StdioTransport}; either holds 20,000 requests in flight before it
 * refuses or queues one. One proxy and upstream per trial, primed with {@value
 * Priming#PRIME_REQUESTS} echo calls before JMH's warmup.
 *
 * <p>{@code proxyExecutor} is {@code default} (the proxy's own executor, a cached thread pool);
 * {@code -p proxyExecutor=default,fork-join} adds a run on a two-thread {@code ForkJoinPool} given
 * through the proxy's builder, which shows what the default pool costs under a burst.
 *
 * <p>{@code telemetry} is {@code off} (the proxy's default, the OpenTelemetry API without an SDK) or
 * {@code on} (the SDK records every metric and samples every span, {@link RecordingTelemetry}): what
 * instrumentation costs a batch of real calls.
 *
 * <p>Efficiency is {@value #LATENCY_MS} ms divided by the batch time; {@link ScenarioReport} prints
 * it, with the allocation per request, from a JSON result file. With {@code -prof gc}, {@code
 * gc.alloc.rate.norm} is per batch (all threads of this JVM, not the upstream's): divide it by
 * {@code requests}.
 */
@Fork(3)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 5)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ProxyScenarioBenchmark {

  /** The upstream's answer time for every request of a batch. */
  static final long LATENCY_MS = 50;

  /** A proxy with no plugins in front of a 50 ms upstream, handshake done, primed. */
  @State(Scope.Benchmark)
  public static class Proxied {
    /** {@code mock} or {@code stdio}. */
    @Param({"mock", "stdio"})
    public String upstream;

    /**
     * The proxy's executor: {@code default}, its own; {@code fork-join}, an experiment (see {@link
     * Gateway}).
     */
    @Param({"default"})
    public String proxyExecutor;

    /**
     * {@code off}: the OpenTelemetry API alone, the default; {@code on}: the SDK records every metric
     * and every span ({@code -p telemetry=off,on}); {@code metrics}, {@code traces}, {@code sampled}
     * as in {@link ProxyOverheadBenchmark}.
     */
    @Param({"off"})
    public String telemetry;

    private @Nullable RecordingTelemetry recording;
    Gateway gateway;
    JsonRpcRequest sleep;
    String slept;

    /** Starts the upstream and the proxy, makes the handshake and primes. */
    @Setup(Level.Trial)
    public void start() {
      recording = RecordingTelemetry.forParam(telemetry);
      gateway =
          Gateway.start(ScenarioUpstream.create(upstream), null, proxyExecutor,
              recording == null ? null : recording.openTelemetry);
      sleep = McpCalls.sleep(LATENCY_MS);
      slept = "slept " + LATENCY_MS + " ms";
    }

    /** Closes the proxy, which ends the upstream. */
    @TearDown(Level.Trial)
    public void close() {
      CpuProfiler.noteUpstreams();
      gateway.close();
      if (recording != null) {
        recording.close();
      }
    }

    /** Throws unless {@code response} is the sleep's answer. */
    JsonRpcResponse check(JsonRpcResponse response) {
      if (response.result() == null
          || !slept.equals(response.result().path("content").path(0).path("text").asText())) {
        throw new IllegalStateException("sleep did not answer as it should: " + response);
      }
      return response;
    }
  }

  /** The size of a concurrent batch. */
  @State(Scope.Benchmark)
  public static class ConcurrentBatch {
    @Param({"10", "50", "100", "1000", "10000"})
    public int requests;
  }

  /** The size of a sequential batch: at most 100, as 1,000 would take 50 s a batch. */
  @State(Scope.Benchmark)
  public static class SequentialBatch {
    @Param({"10", "50", "100"})
    public int requests;
  }

  /** {@code requests} calls handed to the proxy at once; the time until the last is answered. */
  @Benchmark
  public JsonRpcResponse concurrent(Proxied proxied, ConcurrentBatch batch) {
    @SuppressWarnings("unchecked")
    CompletableFuture<JsonRpcResponse>[] answers = new CompletableFuture[batch.requests];
    for (int i = 0; i < answers.length; i++) {
      answers[i] = proxied.gateway.client.call(proxied.sleep);
    }
    JsonRpcResponse last = null;
    for (CompletableFuture<JsonRpcResponse> answer : answers) {
      last = proxied.check(answer.join());
    }
    return last;
  }

  /** {@code requests} calls one after another; the time until the last is answered. */
  @Benchmark
  public JsonRpcResponse sequential(Proxied proxied, SequentialBatch batch) {
    JsonRpcResponse last = null;
    for (int i = 0; i < batch.requests; i++) {
      last = proxied.check(proxied.gateway.client.call(proxied.sleep).join());
    }
    return last;
  }
}
