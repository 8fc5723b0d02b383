package dev.gatekit.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The MCP endpoint as HTTP sees it: its client, its address, the configured headers and the
 * session's id and protocol version, and how each kind of request to it looks.
 *
 * <p>Every request carries the configured headers, the session id when there is one and {@code
 * MCP-Protocol-Version} once the initialize result agreed one (an initialize POST carries neither).
 * A POST of a request whose {@code params._meta} holds a W3C {@code traceparent} (and {@code
 * tracestate}) also carries them as HTTP headers, so the server's HTTP layer joins the trace; values
 * that are not valid W3C trace context are left out of the headers (they stay in {@code _meta}).
 * A message of the stateless 2026 generation goes without the session ({@link #postStateless}).
 */
public final class Endpoint {

  public static final String SESSION_HEADER = "Mcp-Session-Id";
  public static final String VERSION_HEADER = "MCP-Protocol-Version";
  public static final String EVENT_STREAM = "text/event-stream";
  private static final String ACCEPT_BOTH = "application/json, text/event-stream";
  private static final Pattern TRACEPARENT =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[0-9a-zA-Z._-]*)?");
  private static final Pattern TRACESTATE = Pattern.compile("[\\x20-\\x7e]{1,512}");

  private final URI uri;
  private final Map<String, String> headers;
  private final HttpClient client;
  private volatile @Nullable String sessionId;
  private volatile @Nullable String protocolVersion;

  public Endpoint(URI uri, Map<String, String> headers, HttpClient client) {
    this.uri = uri;
    this.headers = Map.copyOf(headers);
    this.client = client;
  }

  public HttpClient client() {
    return client;
  }

  /**
   * Sends a request asynchronously; the start of the exchange runs on the client's pool, not on the
   * calling thread (see {@link ClientExecutor}).
   */
  public <T> CompletableFuture<HttpResponse<T>> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return ClientExecutor.send(() -> client.sendAsync(request, handler));
  }

  /** Returns the session id the server assigned, or null (before initialize, or a sessionless server). */
  public @Nullable String sessionId() {
    return sessionId;
  }

  public void sessionId(@Nullable String value) {
    sessionId = value;
  }

  public @Nullable String protocolVersion() {
    return protocolVersion;
  }

  public void protocolVersion(@Nullable String value) {
    protocolVersion = value;
  }

  /** A request to the endpoint with the configured headers and, unless for initialize, the session's. */
  public HttpRequest.Builder request(@Nullable String session, boolean initialize) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
    headers.forEach(builder::header);
    if (session != null) {
      builder.header(SESSION_HEADER, session);
    }
    String version = protocolVersion;
    if (version != null && !initialize) {
      builder.header(VERSION_HEADER, version);
    }
    return builder;
  }

  /** The POST of one JSON-RPC message; {@code params} are the message's, for its trace context. */
  public HttpRequest post(byte[] body, @Nullable String session, boolean initialize, @Nullable JsonNode params) {
    HttpRequest.Builder builder =
        request(session, initialize)
            .header("Content-Type", "application/json")
            .header("Accept", ACCEPT_BOTH)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    traceHeaders(builder, params);
    return builder.build();
  }

  /**
   * The POST of a message of the stateless generation (MCP 2026-07-28, see {@link Stateless}): no
   * session, {@code MCP-Protocol-Version} as given, {@code Mcp-Method}, and {@code Mcp-Name} when the
   * method names something.
   */
  public HttpRequest postStateless(byte[] body, String version, String method, @Nullable JsonNode params) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
    headers.forEach(builder::header);
    builder
        .header(VERSION_HEADER, Stateless.headerValue(version))
        .header(Stateless.METHOD_HEADER, Stateless.headerValue(method))
        .header("Content-Type", "application/json")
        .header("Accept", ACCEPT_BOTH)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    String name = Stateless.name(method, params);
    if (name != null) {
      builder.header(Stateless.NAME_HEADER, Stateless.headerValue(name));
    }
    traceHeaders(builder, params);
    return builder.build();
  }

  private static void traceHeaders(HttpRequest.Builder builder, @Nullable JsonNode params) {
    JsonNode meta = params == null ? null : params.get("_meta");
    if (meta != null && meta.isObject()) {
      JsonNode traceparent = meta.get("traceparent");
      if (traceparent != null && traceparent.isTextual() && TRACEPARENT.matcher(traceparent.textValue()).matches()) {
        builder.header("traceparent", traceparent.textValue());
        JsonNode tracestate = meta.get("tracestate");
        if (tracestate != null && tracestate.isTextual() && TRACESTATE.matcher(tracestate.textValue()).matches()) {
          builder.header("tracestate", tracestate.textValue());
        }
      }
    }
  }

  /** A GET for the event stream: the server's own (no {@code lastEventId}), or one to resume. */
  public HttpRequest get(@Nullable String session, @Nullable String lastEventId) {
    HttpRequest.Builder builder = request(session, false).header("Accept", EVENT_STREAM).GET();
    if (lastEventId != null) {
      builder.header("Last-Event-ID", lastEventId);
    }
    return builder.build();
  }

  /** The DELETE that ends a session. */
  public HttpRequest delete(String session, Duration timeout) {
    return request(session, false).DELETE().timeout(timeout).build();
  }
}
