package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.proxy.GatekitProxy;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the proxy adds: the same {@code tools/call echo} calls as {@link
 * TransportThroughputBenchmark} ({@link McpCalls#echo()}), to the same upstream (the test kit's
 * server over stdio, no delay, one per trial, primed), through {@code StdioTransport} alone
 * ({@code transport*}, the {@link TestServerTransport} state) and through a {@link GatekitProxy}
 * in front of such a transport ({@code proxy*}), its client in the same JVM ({@link ProxyClient}).
 * {@code plugins} is {@code none}, or {@code builtin}: the four built-in plugins built through the
 * plugin loader as a configuration file builds them ({@link BuiltinPlugins}); or {@code
 * audit-plain}, {@code audit-chained}, {@code audit-signed}: {@code audit_jsonl} alone without its
 * hash chain, with it, and with signed checkpoints, which weighs the chain. {@code telemetry} is
 * {@code off}, the proxy's default (the OpenTelemetry API without an SDK), or {@code on}: the SDK
 * records every metric and samples every span ({@link RecordingTelemetry}). One operation is one
 * request answered.
 *
 * <ul>
 *   <li>{@code *Pipelined}: requests per second with {@code inFlight} (100) kept in flight by a
 *       {@link Pump}, over batches of {@value TransportThroughputBenchmark#BATCH} answers per
 *       invocation.
 *   <li>{@code *Sequential}: the round trip of one request at a time, in microseconds.
 * </ul>
 *
 * <p>{@code proxyExecutor} is as in {@link ProxyScenarioBenchmark}. With {@code -prof gc}, {@code
 * gc.alloc.rate.norm} is bytes per request (all threads of this JVM, not the upstream's).
 */
@Fork(3)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 5)
public class ProxyOverheadBenchmark {

  static final int BATCH = TransportThroughputBenchmark.BATCH;

  /** A proxy in front of the test server over stdio, handshake done through it, primed. */
  @State(Scope.Benchmark)
  public static class Proxied {
    /**
     * {@code none}; {@code builtin} for the four built-in plugins; or {@code audit_jsonl} alone:
     * {@code audit-plain} (without the hash chain), {@code audit-chained}, {@code audit-signed}
     * (signed checkpoints), to weigh the chain ({@code -p plugins=audit-plain,audit-chained,audit-signed}).
     */
    @Param({"none", "builtin"})
    public String plugins;

    /**
     * {@code off}: the OpenTelemetry API alone, the default; {@code on}: the SDK records metrics and
     * every span ({@code -p telemetry=off,on}); {@code metrics} or {@code traces}: only that one; {@code sampled}: {@code on} with 1 trace in 100.
     */
    @Param({"off"})
    public String telemetry;

    /** {@code default}, or the {@code fork-join} experiment (see {@link Gateway}). */
    @Param({"default"})
    public String proxyExecutor;

    Gateway gateway;
    JsonRpcRequest echo;
    private @Nullable BuiltinPlugins builtins;
    private @Nullable RecordingTelemetry recording;

    /** Starts the server behind a transport behind the proxy, makes the handshake and primes. */
    @Setup(Level.Trial)
    public void start() {
      builtins =
          switch (plugins) {
            case "none" -> null;
            case "builtin" -> BuiltinPlugins.create();
            case "audit-plain", "audit-chained", "audit-signed" ->
                BuiltinPlugins.auditOnly(plugins.substring("audit-".length()));
            default ->
                throw new IllegalArgumentException(
                    "plugins must be none, builtin, audit-plain, audit-chained or audit-signed, was " + plugins);
          };
      recording = RecordingTelemetry.forParam(telemetry);
      gateway =
          Gateway.start(TestServerTransport.build(TestServerTransport.options()), builtins, proxyExecutor,
              recording == null ? null : recording.openTelemetry);
      echo = McpCalls.echo();
    }

    /** Closes the proxy, which ends the server, then deletes the audit log. */
    @TearDown(Level.Trial)
    public void close() {
      CpuProfiler.noteUpstreams();
      gateway.close();
      if (builtins != null) {
        builtins.close();
      }
      if (recording != null) {
        recording.close();
      }
    }
  }

  /** Keeps {@code inFlight} echo calls in flight through {@code StdioTransport} alone. */
  @State(Scope.Thread)
  public static class TransportPipeline extends PumpState {
    @Param({"100"})
    public int inFlight;

    /** Fills the window; the pipeline then runs through the whole iteration. */
    @Setup(Level.Iteration)
    public void start(TestServerTransport upstream) {
      run(Pump.of(upstream.caller, upstream.echo, inFlight));
    }
  }

  /** Keeps {@code inFlight} echo calls in flight through the proxy. */
  @State(Scope.Thread)
  public static class ProxyPipeline extends PumpState {
    @Param({"100"})
    public int inFlight;

    /** Fills the window; the pipeline then runs through the whole iteration. */
    @Setup(Level.Iteration)
    public void start(Proxied proxied) {
      run(Pump.of(proxied.gateway.client, proxied.echo, inFlight));
    }
  }

  /** Requests per second through {@code StdioTransport} alone. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void transportPipelined(TransportPipeline pipeline) {
    pipeline.pump.awaitCompletions(BATCH);
  }

  /** Requests per second through the proxy. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void proxyPipelined(ProxyPipeline pipeline) {
    pipeline.pump.awaitCompletions(BATCH);
  }

  /** The round trip of one request through {@code StdioTransport} alone. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public JsonRpcResponse transportSequential(TestServerTransport upstream) {
    return upstream.caller.call(upstream.echo).join();
  }

  /** The round trip of one request through the proxy. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public JsonRpcResponse proxySequential(Proxied proxied) {
    return proxied.gateway.client.call(proxied.echo).join();
  }
}
