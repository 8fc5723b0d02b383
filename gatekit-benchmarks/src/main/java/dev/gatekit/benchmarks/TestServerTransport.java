package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.time.Duration;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The test kit's MCP server ({@link TestServer#command(String...)}, default JVM options) behind a
 * {@link StdioTransport} alone, one server per trial: handshake done, echo checked and {@value
 * Priming#PRIME_REQUESTS} echo calls sent before JMH's warmup. The transport runs with {@code
 * maxInFlight} {@value #MAX_IN_FLIGHT}.
 */
@State(Scope.Benchmark)
public class TestServerTransport {

  /** The in-flight limit of the transport: at least the largest window any benchmark keeps. */
  static final int MAX_IN_FLIGHT = 1_000;

  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  StdioTransport transport;
  Caller caller;
  JsonRpcRequest echo;

  /**
   * Returns an unstarted transport to a new test server, with {@code options}: what this state
   * uses, and what a proxy under test is given as its upstream.
   */
  static StdioTransport build(TransportOptions options) {
    return StdioTransport.builder(TestServer.command()).name("test-server").options(options).build();
  }

  /** The options of this state's transport: {@value #MAX_IN_FLIGHT} in flight, a minute each. */
  static TransportOptions options() {
    return TransportOptions.builder().maxInFlight(MAX_IN_FLIGHT).requestTimeout(REQUEST_TIMEOUT).build();
  }

  /** Starts the server, makes the MCP handshake, checks echo and primes. */
  @Setup(Level.Trial)
  public void start() {
    transport = build(options());
    transport.start();
    caller = Caller.of(transport);
    McpCalls.handshake(caller);
    echo = McpCalls.echo();
    Priming.prime(caller);
  }

  /** Closes the transport, which ends the server. */
  @TearDown(Level.Trial)
  public void close() {
    CpuProfiler.noteUpstreams();
    transport.close();
  }
}
