package dev.gatekit.benchmarks;

/**
 * An MCP Streamable HTTP server with one tool, {@code echo}, at {@code base() + "/mcp"}, in the
 * benchmark's JVM on the loopback: what {@link HttpTransportBenchmark}'s clients talk to.
 */
interface BenchmarkMcpServer {

  /** Returns {@code http://127.0.0.1:PORT}. */
  String base();

  /** Stops the server. */
  void stop() throws Exception;

  /**
   * Starts the server of that kind: {@code lean} ({@link LeanMcpServer}), {@code sdk-sse} (the SDK's
   * session servlet, which answers every POST with an event stream) or {@code sdk-json} (the SDK's
   * stateless servlet, which answers with {@code application/json}).
   */
  static BenchmarkMcpServer start(String kind) throws Exception {
    return switch (kind) {
      case "lean" -> new LeanMcpServer();
      case "sdk-sse" -> new SdkMcpServer(false);
      case "sdk-json" -> new SdkMcpServer(true);
      default -> throw new IllegalArgumentException("server must be lean, sdk-sse or sdk-json, was '" + kind + "'");
    };
  }
}
