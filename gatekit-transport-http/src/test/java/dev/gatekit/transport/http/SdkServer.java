package dev.gatekit.transport.http;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real Streamable HTTP MCP server for tests: the official MCP Java SDK's servlet transport on an
 * embedded Jetty 12, with tools that echo, wait, report progress, log, and ask the client for
 * sampling and elicitation. A filter in front records what arrives (methods, headers, bodies), can
 * demand a bearer token, and can forget sessions (answering 404 for them).
 */
final class SdkServer implements AutoCloseable {

  /** One HTTP request as it arrived. */
  record Seen(String method, String body, Map<String, String> headers) {}

  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final Set<String> forgotten = ConcurrentHashMap.newKeySet();
  final AtomicInteger slowStarted = new AtomicInteger();
  final AtomicInteger slowInterrupted = new AtomicInteger();
  volatile String requiredToken;

  private final Server jetty;
  private final ServerConnector connector;
  private final McpSyncServer mcp;

  SdkServer() throws Exception {
    HttpServletStreamableServerTransportProvider provider =
        HttpServletStreamableServerTransportProvider.builder().mcpEndpoint("/mcp").build();
    mcp =
        McpServer.sync(provider)
            .serverInfo("sdk-test-server", "1.0")
            .requestTimeout(Duration.ofSeconds(30))
            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).logging().build())
            .tools(echo(), slow(), progress(), sample(), elicit(), log())
            .build();
    jetty = new Server();
    connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder servlet = new ServletHolder(provider);
    servlet.setAsyncSupported(true);
    context.addServlet(servlet, "/mcp");
    FilterHolder filter = new FilterHolder(new Gate());
    filter.setAsyncSupported(true);
    context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
    jetty.setHandler(context);
    jetty.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/mcp");
  }

  /** Bodies of the POSTs that arrived, in order. */
  List<String> postedBodies() {
    return seen.stream().filter(s -> s.method().equals("POST")).map(Seen::body).toList();
  }

  /** Stops Jetty at once, dropping every connection: the server dies. */
  void kill() throws Exception {
    jetty.setStopTimeout(0);
    jetty.stop();
  }

  @Override
  public void close() throws Exception {
    try {
      mcp.closeGracefully();
    } catch (RuntimeException ignored) {
      // best effort
    }
    if (!jetty.isStopped()) {
      jetty.setStopTimeout(0);
      jetty.stop();
    }
  }

  private static String text(CallToolRequest request, String key, String otherwise) {
    Object value = request.arguments() == null ? null : request.arguments().get(key);
    return value == null ? otherwise : value.toString();
  }

  private static CallToolResult result(String text) {
    return CallToolResult.builder().addTextContent(text).build();
  }

  private static McpSchema.Tool tool(String name, String description) {
    return McpSchema.Tool.builder()
        .name(name)
        .description(description)
        .inputSchema(Map.of("type", "object"))
        .build();
  }

  private static SyncToolSpecification echo() {
    return SyncToolSpecification.builder()
        .tool(tool("echo", "Returns its text argument"))
        .callHandler((exchange, request) -> result(text(request, "text", "")))
        .build();
  }

  private SyncToolSpecification slow() {
    return SyncToolSpecification.builder()
        .tool(tool("slow", "Waits ms milliseconds"))
        .callHandler(
            (exchange, request) -> {
              slowStarted.incrementAndGet();
              long ms = Long.parseLong(text(request, "ms", "1000"));
              try {
                Thread.sleep(ms);
              } catch (InterruptedException e) {
                slowInterrupted.incrementAndGet();
                Thread.currentThread().interrupt();
              }
              return result("slept " + ms);
            })
        .build();
  }

  private static SyncToolSpecification progress() {
    return SyncToolSpecification.builder()
        .tool(tool("progress", "Reports three steps of progress"))
        .callHandler(
            (McpSyncServerExchange exchange, CallToolRequest request) -> {
              Object token = request.meta() == null ? null : request.meta().get("progressToken");
              for (int step = 1; step <= 3; step++) {
                if (token != null) {
                  exchange.progressNotification(
                      new McpSchema.ProgressNotification(token, step, 3.0, "step " + step));
                }
              }
              return result("progressed");
            })
        .build();
  }

  private static SyncToolSpecification sample() {
    return SyncToolSpecification.builder()
        .tool(tool("sample", "Asks the client's model"))
        .callHandler(
            (exchange, request) -> {
              McpSchema.CreateMessageResult answer =
                  exchange.createMessage(
                      McpSchema.CreateMessageRequest.builder()
                          .messages(
                              List.of(
                                  new McpSchema.SamplingMessage(
                                      McpSchema.Role.USER, new TextContent(text(request, "prompt", "hi")))))
                          .maxTokens(16)
                          .build());
              return result("model said: " + ((TextContent) answer.content()).text());
            })
        .build();
  }

  private static SyncToolSpecification elicit() {
    return SyncToolSpecification.builder()
        .tool(tool("elicit", "Asks the user"))
        .callHandler(
            (exchange, request) -> {
              McpSchema.ElicitResult answer =
                  exchange.createElicitation(
                      McpSchema.ElicitFormRequest.builder(
                              "Your name?",
                              Map.of(
                                  "type", "object",
                                  "properties", Map.of("name", Map.of("type", "string"))))
                          .build());
              return result("user " + answer.action() + " " + answer.content());
            })
        .build();
  }

  private static SyncToolSpecification log() {
    return SyncToolSpecification.builder()
        .tool(tool("log", "Sends a log message"))
        .callHandler(
            (exchange, request) -> {
              exchange.loggingNotification(
                  McpSchema.LoggingMessageNotification.builder()
                      .level(McpSchema.LoggingLevel.ERROR)
                      .logger("sdk-test")
                      .data(text(request, "text", "logged"))
                      .build());
              return result("logged");
            })
        .build();
  }

  static {
    McpJsonDefaults.getMapper(); // fail early if the SDK finds no JSON mapper
  }

  /** Records, authenticates and forgets sessions. */
  private final class Gate implements Filter {
    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
        throws IOException, ServletException {
      HttpServletRequest request = (HttpServletRequest) servletRequest;
      HttpServletResponse response = (HttpServletResponse) servletResponse;
      byte[] body = request.getInputStream().readAllBytes();
      Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      for (String name : java.util.Collections.list(request.getHeaderNames())) {
        headers.put(name, request.getHeader(name));
      }
      seen.add(new Seen(request.getMethod(), new String(body, StandardCharsets.UTF_8), headers));
      String token = requiredToken;
      if (token != null && !("Bearer " + token).equals(request.getHeader("Authorization"))) {
        response.setHeader("WWW-Authenticate", "Bearer realm=\"test\", error=\"invalid_token\"");
        response.sendError(401);
        return;
      }
      String session = request.getHeader("Mcp-Session-Id");
      if (session != null && forgotten.contains(session)) {
        response.sendError(404);
        return;
      }
      chain.doFilter(new Replayed(request, body), response);
    }
  }

  /** A request whose body was read already, offering it again. */
  private static final class Replayed extends HttpServletRequestWrapper {
    private final byte[] body;

    Replayed(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException();
        }

        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] buffer, int offset, int length) {
          return in.read(buffer, offset, length);
        }
      };
    }

    @Override
    public BufferedReader getReader() {
      return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }
  }
}
