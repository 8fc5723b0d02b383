package dev.gatekit.benchmarks;

import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServlet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The official MCP Java SDK's server with one tool, echo, on an embedded Jetty 12 servlet container:
 * either its session transport ({@code HttpServletStreamableServerTransportProvider}, which answers
 * every POST with an event stream of its own) or its stateless one ({@code
 * HttpServletStatelessServerTransport}, which answers with {@code application/json} and keeps no
 * session).
 */
final class SdkMcpServer implements BenchmarkMcpServer {

  private static final McpSchema.Tool ECHO =
      McpSchema.Tool.builder().name("echo").description("Returns its text").inputSchema(Map.of("type", "object")).build();

  private final Server jetty = new Server();
  private final ServerConnector connector = BenchmarkMcpServer.connector(jetty);
  private final AutoCloseable mcp;

  SdkMcpServer(boolean stateless) throws Exception {
    HttpServlet servlet;
    McpSchema.ServerCapabilities capabilities = McpSchema.ServerCapabilities.builder().tools(true).build();
    if (stateless) {
      HttpServletStatelessServerTransport transport =
          HttpServletStatelessServerTransport.builder().messageEndpoint("/mcp").build();
      var server =
          McpServer.sync(transport)
              .serverInfo("benchmark-echo", "1.0")
              .capabilities(capabilities)
              .tools(
                  McpStatelessServerFeatures.SyncToolSpecification.builder()
                      .tool(ECHO)
                      .callHandler((context, request) -> echo(request))
                      .build())
              .build();
      mcp = server::close;
      servlet = transport;
    } else {
      HttpServletStreamableServerTransportProvider provider =
          HttpServletStreamableServerTransportProvider.builder().mcpEndpoint("/mcp").build();
      var server =
          McpServer.sync(provider)
              .serverInfo("benchmark-echo", "1.0")
              .capabilities(capabilities)
              .tools(
                  McpServerFeatures.SyncToolSpecification.builder()
                      .tool(ECHO)
                      .callHandler((exchange, request) -> echo(request))
                      .build())
              .build();
      mcp = server::closeGracefully;
      servlet = provider;
    }
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder holder = new ServletHolder(servlet);
    holder.setAsyncSupported(true);
    context.addServlet(holder, "/mcp");
    jetty.setHandler(context);
    jetty.start();
  }

  private static McpSchema.CallToolResult echo(McpSchema.CallToolRequest request) {
    return McpSchema.CallToolResult.builder().addTextContent(String.valueOf(request.arguments().get("text"))).build();
  }

  @Override
  public String base() {
    return "http://127.0.0.1:" + connector.getLocalPort();
  }

  @Override
  public void stop() throws Exception {
    try {
      mcp.close();
    } finally {
      jetty.stop();
    }
  }
}
