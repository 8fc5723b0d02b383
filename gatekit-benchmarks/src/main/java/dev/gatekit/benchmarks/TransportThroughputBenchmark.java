package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
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
 * #PRIME_REQUESTS} requests sent through the client before JMH's warmup starts. Every request is
 * {@code tools/call echo} with the same short text; one operation is one request answered.
 *
 * <ul>
 *   <li>{@code *Pipelined}: throughput in requests per second with {@code inFlight} requests kept in
 *       flight by a {@link Pump} (each answer sends the next request at once), measured over
 *       batches of {@value #BATCH} answers per invocation. {@code StdioTransport} runs with
 *       {@code maxInFlight} {@value #MAX_IN_FLIGHT}; the SDK has no limit of its own.
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

  /** The in-flight limit of the transport under test: at least the largest {@code inFlight}. */
  static final int MAX_IN_FLIGHT = 1_000;

  /** The text every echo call sends. */
  static final String TEXT = "hello from the gatekit benchmarks";

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Requests sent through each client at trial setup, {@value #PRIME_IN_FLIGHT} in flight, before
   * JMH's own warmup: the same count for both clients, so that the upstream server (a JVM started
   * fresh for each trial) and the client are compiled before the timed warmup begins, however
   * fast either client is.
   */
  static final int PRIME_REQUESTS = 30_000;

  static final int PRIME_IN_FLIGHT = 100;

  /** The {@code initialize} request, with id 0, as an MCP client of this protocol version sends it. */
  static JsonRpcRequest initializeRequest() {
    ObjectNode params = JsonRpcCodec.get().mapper().createObjectNode();
    params.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "gatekit-benchmarks").put("version", "0");
    return new JsonRpcRequest(RequestId.of(0), McpMethods.INITIALIZE, params);
  }

  /**
   * The echo call, with id 1. Ids may repeat: {@code StdioTransport} sends each request under a wire
   * id of its own, so one request value serves every call.
   */
  static JsonRpcRequest echoRequest() {
    ObjectNode params = JsonRpcCodec.get().mapper().createObjectNode();
    params.put("name", "echo");
    params.putObject("arguments").put("text", TEXT);
    return new JsonRpcRequest(RequestId.of(1), McpMethods.TOOLS_CALL, params);
  }

  /** Sends {@value #PRIME_REQUESTS} requests through a pump, then lets it drain. */
  static void prime(Pump pump) {
    long start = System.nanoTime();
    pump.start();
    pump.awaitCompletions(PRIME_REQUESTS);
    pump.stop();
    System.out.printf(
        "# Primed with %,d requests in %,d ms%n",
        PRIME_REQUESTS,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  /** A pump of echo calls through a {@link StdioTransport}. */
  static Pump gatekitPump(StdioTransport transport, JsonRpcRequest echo, int window) {
    return new Pump(window) {
      @Override
      protected void send() {
        transport
            .sendAndReceive(echo)
            .whenComplete(
                (response, error) ->
                    completed(
                        error != null
                            ? error
                            : response.isError()
                                ? new IllegalStateException("error response: " + response)
                                : null));
      }
    };
  }

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

  /** The test server behind a {@link StdioTransport}, handshake done. */
  @State(Scope.Benchmark)
  public static class GatekitUpstream {
    StdioTransport transport;
    JsonRpcRequest echo;

    /** Starts the server, makes the MCP handshake, and checks that echo answers. */
    @Setup(Level.Trial)
    public void start() {
      transport =
          StdioTransport.builder(TestServer.command())
              .name("test-server")
              .options(
                  TransportOptions.builder()
                      .maxInFlight(MAX_IN_FLIGHT)
                      .requestTimeout(REQUEST_TIMEOUT)
                      .build())
              .build();
      transport.start();
      JsonRpcResponse initialized =
          transport
              .sendAndReceive(initializeRequest())
              .orTimeout(30, TimeUnit.SECONDS)
              .join();
      if (initialized.isError()) {
        throw new IllegalStateException("initialize failed: " + initialized.error());
      }
      transport.sendNotification(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));

      echo = echoRequest();
      checkEcho(transport.sendAndReceive(echo).orTimeout(30, TimeUnit.SECONDS).join());
      prime(gatekitPump(transport, echo, PRIME_IN_FLIGHT));
    }

    /** Closes the transport, which ends the server. */
    @TearDown(Level.Trial)
    public void close() {
      CpuProfiler.noteUpstreams();
      transport.close();
    }

    private static void checkEcho(JsonRpcResponse response) {
      JsonNode result = response.result();
      if (result == null || !TEXT.equals(result.path("content").path(0).path("text").asText())) {
        throw new IllegalStateException("echo did not answer with its text: " + response);
      }
    }
  }

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
      echo = McpSchema.CallToolRequest.builder("echo").arguments(Map.of("text", TEXT)).build();
      McpSchema.CallToolResult result = client.callTool(echo).block(Duration.ofSeconds(30));
      if (result == null
          || Boolean.TRUE.equals(result.isError())
          || !(result.content().get(0) instanceof McpSchema.TextContent text)
          || !TEXT.equals(text.text())) {
        throw new IllegalStateException("echo did not answer with its text: " + result);
      }
      prime(sdkPump(client, echo, PRIME_IN_FLIGHT));
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

  /** Keeps {@code inFlight} echo calls in flight through the {@link StdioTransport}. */
  @State(Scope.Thread)
  public static class GatekitPipeline {
    @Param({"1", "10", "100", "1000"})
    public int inFlight;

    Pump pump;

    /** Fills the window; the pipeline then runs through the whole iteration. */
    @Setup(Level.Iteration)
    public void start(GatekitUpstream upstream) {
      pump = gatekitPump(upstream.transport, upstream.echo, inFlight);
      pump.start();
    }

    /** Lets what is in flight finish. */
    @TearDown(Level.Iteration)
    public void stop() {
      pump.stop();
    }
  }

  /** Keeps {@code inFlight} echo calls in flight through the SDK's async client. */
  @State(Scope.Thread)
  public static class SdkPipeline {
    @Param({"1", "10", "100", "1000"})
    public int inFlight;

    Pump pump;

    /** Fills the window; the pipeline then runs through the whole iteration. */
    @Setup(Level.Iteration)
    public void start(SdkUpstream upstream) {
      pump = sdkPump(upstream.client, upstream.echo, inFlight);
      pump.start();
    }

    /** Lets what is in flight finish. */
    @TearDown(Level.Iteration)
    public void stop() {
      pump.stop();
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
  public JsonRpcResponse gatekitSequential(GatekitUpstream upstream) {
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
