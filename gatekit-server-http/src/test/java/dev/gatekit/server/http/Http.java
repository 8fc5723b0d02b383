package dev.gatekit.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/** A raw HTTP/1.1 client of the front for the tests: every header as the test says, nothing added. */
final class Http {

  static final String BOTH = "application/json, text/event-stream";

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI endpoint;

  Http(URI endpoint) {
    this.endpoint = endpoint;
  }

  /** The usual headers of a POST: JSON body, both media types accepted. */
  static Map<String, String> postHeaders(String sessionId) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("Accept", BOTH);
    if (sessionId != null) {
      headers.put("Mcp-Session-Id", sessionId);
    }
    return headers;
  }

  HttpResponse<String> send(String method, String body, Map<String, String> headers) {
    return send(endpoint, method, body, headers);
  }

  HttpResponse<String> send(URI uri, String method, String body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<String> post(String sessionId, String body) {
    return send("POST", body, postHeaders(sessionId));
  }

  /** Initializes a session and sends notifications/initialized; returns the session id. */
  String initialize() {
    HttpResponse<String> response = post(null, initializeRequest(1));
    if (response.statusCode() != 200) {
      throw new AssertionError("initialize: " + response.statusCode() + " " + response.body());
    }
    String id = response.headers().firstValue("Mcp-Session-Id").orElseThrow();
    HttpResponse<String> initialized = post(id, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    if (initialized.statusCode() != 202) {
      throw new AssertionError("notifications/initialized: " + initialized.statusCode());
    }
    return id;
  }

  static String initializeRequest(int id) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}";
  }

  static String toolCall(int id, String tool, String progressToken) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":{}" + (progressToken == null ? "" : ",\"_meta\":{\"progressToken\":\"" + progressToken + "\"}")
        + "}}";
  }

  /** Opens an SSE stream (a POST's or a GET's); events are read as they come. */
  Sse stream(String method, String body, Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(request::header);
    try {
      return new Sse(client.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(String text) {
    try {
      return JsonRpcCodec.get().mapper().readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One event of a stream. */
  record Event(String id, JsonNode data) {}

  /** An SSE response, read event by event; closing it drops the connection. */
  static final class Sse implements AutoCloseable {
    final HttpResponse<Stream<String>> response;
    private final Iterator<String> lines;

    Sse(HttpResponse<Stream<String>> response) {
      this.response = response;
      this.lines = response.body().iterator();
    }

    /** The next event, or null at the end of the stream. */
    Event next() {
      String id = null;
      StringBuilder data = new StringBuilder();
      while (lines.hasNext()) {
        String line = lines.next();
        if (line.isEmpty()) {
          if (data.length() > 0) {
            return new Event(id, json(data.toString()));
          }
          continue;
        }
        if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
      return null;
    }

    @Override
    public void close() {
      response.body().close();
    }
  }
}
