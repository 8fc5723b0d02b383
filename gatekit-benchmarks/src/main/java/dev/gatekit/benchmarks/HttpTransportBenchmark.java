package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.transport.http.HttpTransport;
import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.time.Duration;
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
 * {@code HttpTransport} against the official MCP Java SDK's Streamable HTTP client ({@code
 * McpAsyncClient} over {@code HttpClientStreamableHttpTransport}), on the same server, chosen with
 * {@code server} (see {@link BenchmarkMcpServer#start(String)}): {@code lean}, a Jetty-core handler
 * that answers with {@code application/json}; {@code sdk-sse}, the SDK's session servlet, which
 * answers every POST with an event stream; {@code sdk-json}, the SDK's stateless servlet. The server
 * runs in this JVM, one per trial, over HTTP/1.1 on the loopback. Each client makes the MCP
 * handshake and sends {@value Priming#PRIME_REQUESTS} requests before JMH's warmup starts. Every
 * request is {@code tools/call echo} with the same short text; one operation is one request answered.
 *
 * <ul>
 *   <li>{@code *Pipelined}: requests per second with {@code inFlight} requests kept in flight by a
 *       {@link Pump}, over batches of {@value #BATCH} answers per invocation.
 *   <li>{@code *Sequential}: the round trip of one request at a time, in microseconds.
 * </ul>
 */
@Fork(3)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 5)
public class HttpTransportBenchmark {

  static final int BATCH = 1_000;

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  // ---------------------------------------------------------------------------------------------
  // The upstreams

  /** The server behind {@code HttpTransport}, initialized and primed. */
  @State(Scope.Benchmark)
  public static class GatekitUpstream {
    @Param({"lean", "sdk-sse", "sdk-json"})
    public String server;

    BenchmarkMcpServer upstream;
    HttpTransport transport;
    Caller caller;

    @Setup(Level.Trial)
    public void start() throws Exception {
      upstream = BenchmarkMcpServer.start(server);
      transport =
          HttpTransport.builder(URI.create(upstream.base() + "/mcp"))
              .name("benchmark-echo")
              .options(TransportOptions.builder().maxInFlight(1_000).requestTimeout(REQUEST_TIMEOUT).build())
              .build();
      transport.start();
      caller = Caller.of(transport);
      McpCalls.handshake(caller);
      Priming.prime(caller);
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
      try {
        transport.close();
      } finally {
        upstream.stop();
      }
    }
  }

  /** The server behind the SDK's {@code McpAsyncClient}, initialized and primed. */
  @State(Scope.Benchmark)
  public static class SdkUpstream {
    @Param({"lean", "sdk-sse", "sdk-json"})
    public String server;

    BenchmarkMcpServer upstream;
    McpAsyncClient client;
    McpSchema.CallToolRequest echo;

    @Setup(Level.Trial)
    public void start() throws Exception {
      upstream = BenchmarkMcpServer.start(server);
      HttpClientStreamableHttpTransport http =
          HttpClientStreamableHttpTransport.builder(upstream.base()).endpoint("/mcp").build();
      client = McpClient.async(http).requestTimeout(REQUEST_TIMEOUT).build();
      client.initialize().block(Duration.ofSeconds(30));
      echo = McpSchema.CallToolRequest.builder("echo").arguments(Map.of("text", McpCalls.TEXT)).build();
      McpSchema.CallToolResult result = client.callTool(echo).block(Duration.ofSeconds(30));
      if (result == null
          || Boolean.TRUE.equals(result.isError())
          || !(result.content().get(0) instanceof McpSchema.TextContent text)
          || !McpCalls.TEXT.equals(text.text())) {
        throw new IllegalStateException("echo did not answer with its text: " + result);
      }
      Priming.prime(TransportThroughputBenchmark.sdkPump(client, echo, Priming.PRIME_IN_FLIGHT));
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
      try {
        client.closeGracefully().block(Duration.ofSeconds(10));
      } finally {
        client.close();
        upstream.stop();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The pipelines

  /** Keeps {@code inFlight} echo calls in flight through {@code HttpTransport}. */
  @State(Scope.Thread)
  public static class GatekitPipeline extends PumpState {
    @Param({"1", "10", "100"})
    public int inFlight;

    @Setup(Level.Iteration)
    public void start(GatekitUpstream upstream) {
      run(Pump.of(upstream.caller, McpCalls.echo(), inFlight));
    }
  }

  /** Keeps {@code inFlight} echo calls in flight through the SDK's async client. */
  @State(Scope.Thread)
  public static class SdkPipeline extends PumpState {
    @Param({"1", "10", "100"})
    public int inFlight;

    @Setup(Level.Iteration)
    public void start(SdkUpstream upstream) {
      run(TransportThroughputBenchmark.sdkPump(upstream.client, upstream.echo, inFlight));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The benchmarks

  /** Requests per second through {@code HttpTransport} with {@code inFlight} in flight. */
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

  /** The round trip of one request at a time through {@code HttpTransport}. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public JsonRpcResponse gatekitSequential(GatekitUpstream upstream) {
    return upstream.transport.sendAndReceive(McpCalls.echo()).join();
  }

  /** The round trip of one request at a time through the SDK client. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public McpSchema.CallToolResult sdkSequential(SdkUpstream upstream) {
    return upstream.client.callTool(upstream.echo).block(REQUEST_TIMEOUT);
  }
}
