package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * A lean MCP Streamable HTTP server on Jetty 12's core handler API (no servlet, no SSE): enough of
 * the protocol for a benchmark. A POST of {@code initialize} is answered with a new {@code
 * Mcp-Session-Id}; {@code tools/list} and {@code tools/call echo} with an {@code application/json}
 * body; a notification or a response with 202; a GET with 405 (no GET stream, as the spec allows);
 * a DELETE with 200. Every request after initialize must carry the session id (404 otherwise).
 */
final class LeanMcpServer implements BenchmarkMcpServer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Server jetty = new Server();
  private final ServerConnector connector = BenchmarkMcpServer.connector(jetty);
  private final String session = UUID.randomUUID().toString();

  LeanMcpServer() throws Exception {
    jetty.addConnector(connector);
    jetty.setHandler(new McpHandler());
    jetty.start();
  }

  @Override
  public String base() {
    return "http://127.0.0.1:" + connector.getLocalPort();
  }

  @Override
  public void stop() throws Exception {
    jetty.stop();
  }

  private final class McpHandler extends Handler.Abstract.NonBlocking {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      switch (request.getMethod()) {
        case "POST" -> Content.Source.asString(
            request,
            StandardCharsets.UTF_8,
            new Promise<>() {
              @Override
              public void succeeded(String body) {
                post(request, response, callback, body);
              }

              @Override
              public void failed(Throwable error) {
                Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400);
              }
            });
        case "GET" -> {
          response.setStatus(HttpStatus.METHOD_NOT_ALLOWED_405);
          callback.succeeded();
        }
        case "DELETE" -> callback.succeeded();
        default -> Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
      }
      return true;
    }

    private void post(Request request, Response response, Callback callback, String body) {
      JsonNode message;
      try {
        message = JSON.readTree(body);
      } catch (Exception e) {
        Response.writeError(request, response, callback, HttpStatus.BAD_REQUEST_400);
        return;
      }
      String method = message.path("method").asText("");
      if (!"initialize".equals(method) && !session.equals(request.getHeaders().get("Mcp-Session-Id"))) {
        Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
        return;
      }
      if (!message.has("id") || !message.has("method")) {
        response.setStatus(HttpStatus.ACCEPTED_202);
        callback.succeeded();
        return;
      }
      ObjectNode answer = JSON.createObjectNode().put("jsonrpc", "2.0");
      answer.set("id", message.get("id"));
      switch (method) {
        case "initialize" -> {
          ObjectNode result = answer.putObject("result");
          result.put("protocolVersion", message.path("params").path("protocolVersion").asText("2025-06-18"));
          result.putObject("capabilities").putObject("tools");
          result.putObject("serverInfo").put("name", "benchmark-lean").put("version", "1.0");
          response.getHeaders().put("Mcp-Session-Id", session);
        }
        case "tools/list" -> {
          ObjectNode tool = answer.putObject("result").putArray("tools").addObject();
          tool.put("name", "echo").put("description", "Returns its text");
          tool.putObject("inputSchema").put("type", "object");
        }
        case "tools/call" -> {
          ObjectNode result = answer.putObject("result");
          result.putArray("content").addObject()
              .put("type", "text")
              .put("text", message.path("params").path("arguments").path("text").asText());
          result.put("isError", false);
        }
        case "ping" -> answer.putObject("result");
        default -> answer.putObject("error").put("code", -32601).put("message", "Method not found: " + method);
      }
      byte[] out;
      try {
        out = JSON.writeValueAsBytes(answer);
      } catch (Exception e) {
        Response.writeError(request, response, callback, HttpStatus.INTERNAL_SERVER_ERROR_500);
        return;
      }
      response.setStatus(HttpStatus.OK_200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, out.length);
      response.write(true, ByteBuffer.wrap(out), callback);
    }
  }
}
