package dev.gatekit.benchmarks;

import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * An MCP Streamable HTTP server with one tool, {@code echo}, at {@code base() + "/mcp"}, in the
 * benchmark's JVM on the loopback: what {@link HttpTransportBenchmark}'s and {@link
 * HttpEngineBenchmark}'s clients talk to. Every kind speaks HTTP/1.1 and, on the same port, HTTP/2
 * in clear text (h2c) to a client that starts with the HTTP/2 preface (prior knowledge).
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

  /**
   * The connector every kind listens on: 127.0.0.1, a free port, HTTP/1.1 and h2c (a connection
   * that opens with the HTTP/2 preface is served as HTTP/2; the rest stay HTTP/1.1).
   */
  static ServerConnector connector(Server jetty) {
    HttpConfiguration config = new HttpConfiguration();
    ServerConnector connector =
        new ServerConnector(jetty, new HttpConnectionFactory(config), new HTTP2CServerConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    return connector;
  }
}
