package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One MCP client session over Streamable HTTP, as plain {@code java.net.http} POSTs: initialize
 * (keeping the {@code Mcp-Session-Id}), {@code notifications/initialized}, then {@code tools/call}s.
 * An answer may come as JSON or as an SSE stream; the last JSON-RPC response in it is taken. The
 * same code drives every front under test, so the client costs the same for each. With a {@link
 * RawHttpClient.Connection} the calls go over it (the handshake and DELETE still use {@code
 * java.net.http}): a client cheap enough that the benchmark measures the front.
 */
final class HttpMcpSession {

  private static final ObjectMapper JSON = new ObjectMapper();
  static final String PROTOCOL_VERSION = "2025-06-18";

  private final HttpClient client;
  private final URI endpoint;
  private final RawHttpClient.@Nullable Connection raw;
  private @Nullable String id;
  private String rawHeaders = "";

  HttpMcpSession(HttpClient client, URI endpoint) {
    this(client, endpoint, null);
  }

  HttpMcpSession(HttpClient client, URI endpoint, RawHttpClient.@Nullable Connection raw) {
    this.client = client;
    this.endpoint = endpoint;
    this.raw = raw;
  }

  /** Initializes the session; throws if the front refuses. */
  void initialize() throws IOException, InterruptedException {
    HttpResponse<String> answer = client.send(request("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
        + "{\"protocolVersion\":\"" + PROTOCOL_VERSION + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}"),
        HttpResponse.BodyHandlers.ofString());
    if (answer.statusCode() != 200) {
      throw new IOException("initialize: HTTP " + answer.statusCode() + " " + answer.body());
    }
    id = answer.headers().firstValue("Mcp-Session-Id").orElse(null);
    if (id != null) {
      rawHeaders = "Mcp-Session-Id: " + id + "\r\nMCP-Protocol-Version: " + PROTOCOL_VERSION + "\r\n";
    }
    message(answer.headers().firstValue("Content-Type").orElse(""), answer.body());
    HttpResponse<String> initialized = client.send(request("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"),
        HttpResponse.BodyHandlers.ofString());
    if (initialized.statusCode() / 100 != 2) {
      throw new IOException("notifications/initialized: HTTP " + initialized.statusCode() + " " + initialized.body());
    }
  }

  /** Sends {@code body} (a JSON-RPC request) and completes with its JSON-RPC answer; fails on an HTTP error. */
  CompletableFuture<JsonNode> call(String body) {
    if (raw != null) {
      return raw.post(rawHeaders, body.getBytes(java.nio.charset.StandardCharsets.UTF_8)).thenApply(answer -> {
        if (answer.status() != 200) {
          throw new IllegalStateException("HTTP " + answer.status() + " " + answer.text());
        }
        try {
          return message(answer.contentType(), answer.text());
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
    }
    return client.sendAsync(request(body), HttpResponse.BodyHandlers.ofString()).thenApply(answer -> {
      if (answer.statusCode() != 200) {
        throw new IllegalStateException("HTTP " + answer.statusCode() + " " + answer.body());
      }
      try {
        return message(answer.headers().firstValue("Content-Type").orElse(""), answer.body());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Ends the session with DELETE; errors are ignored. */
  void close() {
    if (id == null) {
      return;
    }
    try {
      client.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10)).header("Mcp-Session-Id", id).DELETE().build(),
          HttpResponse.BodyHandlers.discarding());
    } catch (IOException e) {
      // the front is going away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HttpRequest request(String body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofSeconds(120))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (id != null) {
      request.header("Mcp-Session-Id", id).header("MCP-Protocol-Version", PROTOCOL_VERSION);
    }
    return request.build();
  }

  private static JsonNode message(String contentType, String body) throws IOException {
    if (!contentType.startsWith("text/event-stream")) {
      return JSON.readTree(body);
    }
    JsonNode last = null;
    for (String line : body.split("\n")) {
      if (line.startsWith("data:")) {
        JsonNode message = JSON.readTree(line.substring(5).strip());
        if (message.has("result") || message.has("error")) {
          last = message;
        }
      }
    }
    if (last == null) {
      throw new IOException("no answer in the event stream: " + body);
    }
    return last;
  }
}
