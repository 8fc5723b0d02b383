package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.testkit.server.TestServer;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * {@code StdioTransport} against the official MCP Java SDK's stdio client ({@code McpAsyncClient}
 * over {@code StdioClientTransport}), on the same upstream: the test kit's MCP server started by
 * {@link TestServer#command(String...)} with its default JVM options, one server per trial, the
 * MCP handshake ({@code initialize}, then {@code notifications/initialized}) done and {@value
 * Priming#PRIME_REQUESTS} requests sent through the client before JMH's warmup starts ({@link
 * TestServerTransport} for {@code StdioTransport}). Every request is {@code tools/call echo} with
 * the same short text ({@link McpCalls#echo()}); one operation is one request answered.
 *
 * <ul>
 *   <li>{@code *Pipelined}: throughput in requests per second with {@code inFlight} requests kept in
 *       flight by a {@link Pump} (each answer sends the next request at once), measured over
 *       batches of {@value #BATCH} answers per invocation. {@code StdioTransport} runs with
 *       {@code maxInFlight} {@value TestServerTransport#MAX_IN_FLIGHT}; the SDK has no limit of its
 *       own.
 *   <li>{@code *Sequential}: the round trip of one request at a time, sent and awaited by the
 *       benchmark thread, in microseconds.
 * </ul>
 */
@Fork(3)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 5)
public class TransportThroughputBenchmark {

  /** Answers awaited per invocation of a pipelined benchmark. */
  static final int BATCH = 1_000;

  static final Duration REQUEST_TIMEOUT = TestServerTransport.REQUEST_TIMEOUT;

  /**
   * A pump of echo calls through the SDK's async client. The calls are subscribed one thread at a
   * time: in SDK 2.1.0 {@code StdioClientTransport.sendMessage} uses {@code tryEmitNext} on a
   * unicast sink, so two threads sending at once make one request fail with "Failed to enqueue
   * message" (modelcontextprotocol/java-sdk issue 875). Here that race is between the benchmark
   * thread filling the window and the SDK's inbound thread sending the next request.
   */
  static Pump sdkPump(McpAsyncClient client, McpSchema.CallToolRequest echo, int window) {
    return new Pump(window) {
      @Override
      protected synchronized void send() {
        client
            .callTool(echo)
            .subscribe(
                result ->
                    completed(
                        Boolean.TRUE.equals(result.isError())
                            ? new IllegalStateException("error result: " + result)
                            : null),
                this::completed);
      }
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The upstreams

  /** The test server behind the SDK's {@code McpAsyncClient}, initialized. */
  @State(Scope.Benchmark)
  public static class SdkUpstream {
    McpAsyncClient client;
    McpSchema.CallToolRequest echo;

    /** Starts the server, initializes the client, and checks that echo answers. */
    @Setup(Level.Trial)
    public void start() {
      List<String> command = TestServer.command();
      ServerParameters parameters =
          ServerParameters.builder(command.get(0))
              .args(command.subList(1, command.size()))
              .build();
      StdioClientTransport stdio = new StdioClientTransport(parameters, McpJsonDefaults.getMapper());
      client = McpClient.async(stdio).requestTimeout(REQUEST_TIMEOUT).build();
      client.initialize().block(Duration.ofSeconds(30));
      echo =
          McpSchema.CallToolRequest.builder("echo").arguments(Map.of("text", McpCalls.TEXT)).build();
      McpSchema.CallToolResult result = client.callTool(echo).block(Duration.ofSeconds(30));
      if (result == null
          || Boolean.TRUE.equals(result.isError())
          || !(result.content().get(0) instanceof McpSchema.TextContent text)
          || !McpCalls.TEXT.equals(text.text())) {
        throw new IllegalStateException("echo did not answer with its text: " + result);
      }
      Priming.prime(sdkPump(client, echo, Priming.PRIME_IN_FLIGHT));
    }

    /** Closes the client, which ends the server. */
    @TearDown(Level.Trial)
    public void close() {
      CpuProfiler.noteUpstreams();
      try {
        client.closeGracefully().block(Duration.ofSeconds(10));
      } finally {
        client.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The pipelines

  /** Keeps {@code inFlight} echo calls in flight through {@code StdioTransport}. */
  @State(Scope.Thread)
  public static class GatekitPipeline extends PumpState {
    @Param({"1", "10", "100", "1000"})
    public int inFlight;

    /** Fills the window; the pipeline then runs through the whole iteration. */
    @Setup(Level.Iteration)
    public void start(TestServerTransport upstream) {
      run(Pump.of(upstream.caller, upstream.echo, inFlight));
    }
  }

  /** Keeps {@code inFlight} echo calls in flight through the SDK's async client. */
  @State(Scope.Thread)
  public static class SdkPipeline extends PumpState {
    @Param({"1", "10", "100", "1000"})
    public int inFlight;

    /** Fills the window; the pipeline then runs through the whole iteration. */
    @Setup(Level.Iteration)
    public void start(SdkUpstream upstream) {
      run(sdkPump(upstream.client, upstream.echo, inFlight));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The benchmarks

  /** Requests per second through {@code StdioTransport} with {@code inFlight} in flight. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void gatekitPipelined(GatekitPipeline pipeline) {
    pipeline.pump.awaitCompletions(BATCH);
  }

  /** Requests per second through the SDK client with {@code inFlight} in flight. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void sdkPipelined(SdkPipeline pipeline) {
    pipeline.pump.awaitCompletions(BATCH);
  }

  /** The round trip of one request at a time through {@code StdioTransport}. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public JsonRpcResponse gatekitSequential(TestServerTransport upstream) {
    return upstream.transport.sendAndReceive(upstream.echo).join();
  }

  /** The round trip of one request at a time through the SDK client. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public McpSchema.CallToolResult sdkSequential(SdkUpstream upstream) {
    return upstream.client.callTool(upstream.echo).block(REQUEST_TIMEOUT);
  }
}
