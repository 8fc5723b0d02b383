package dev.gatekit.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
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

  /** Sends {@code request} (made by this endpoint) and reads its answer as {@code answer} chooses. */
  public Call send(Request request, Call.Answer answer) {
    return Call.send(request, answer);
  }

  /** Sends {@code request} and drops its answer's body; see {@link Call#done()}. */
  public Call send(Request request) {
    return Call.send(request, (status, headers) -> null);
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
  public Request request(@Nullable String session, boolean initialize) {
    Request request = client.newRequest(uri);
    headers.forEach((name, value) -> request.headers(fields -> fields.add(name, value)));
    if (session != null) {
      request.headers(fields -> fields.put(SESSION_HEADER, session));
    }
    String version = protocolVersion;
    if (version != null && !initialize) {
      request.headers(fields -> fields.put(VERSION_HEADER, version));
    }
    return request;
  }

  /** The POST of one JSON-RPC message; {@code params} are the message's, for its trace context. */
  public Request post(byte[] body, @Nullable String session, boolean initialize, @Nullable JsonNode params) {
    Request request =
        request(session, initialize)
            .method(HttpMethod.POST)
            .headers(fields -> fields.put("Accept", ACCEPT_BOTH))
            .body(new BytesRequestContent("application/json", body));
    traceHeaders(request, params);
    return request;
  }

  /**
   * The POST of a message of the stateless generation (MCP 2026-07-28, see {@link Stateless}): no
   * session, {@code MCP-Protocol-Version} as given, {@code Mcp-Method}, and {@code Mcp-Name} when the
   * method names something.
   */
  public Request postStateless(byte[] body, String version, String method, @Nullable JsonNode params) {
    Request request = client.newRequest(uri).method(HttpMethod.POST);
    headers.forEach((name, value) -> request.headers(fields -> fields.add(name, value)));
    String name = Stateless.name(method, params);
    request
        .headers(
            fields -> {
              fields.put(VERSION_HEADER, Stateless.headerValue(version));
              fields.put(Stateless.METHOD_HEADER, Stateless.headerValue(method));
              fields.put("Accept", ACCEPT_BOTH);
              if (name != null) {
                fields.put(Stateless.NAME_HEADER, Stateless.headerValue(name));
              }
            })
        .body(new BytesRequestContent("application/json", body));
    traceHeaders(request, params);
    return request;
  }

  private static void traceHeaders(Request request, @Nullable JsonNode params) {
    JsonNode meta = params == null ? null : params.get("_meta");
    if (meta != null && meta.isObject()) {
      JsonNode traceparent = meta.get("traceparent");
      if (traceparent != null && traceparent.isTextual() && TRACEPARENT.matcher(traceparent.textValue()).matches()) {
        request.headers(fields -> fields.put("traceparent", traceparent.textValue()));
        JsonNode tracestate = meta.get("tracestate");
        if (tracestate != null && tracestate.isTextual() && TRACESTATE.matcher(tracestate.textValue()).matches()) {
          request.headers(fields -> fields.put("tracestate", tracestate.textValue()));
        }
      }
    }
  }

  /** A GET for the event stream: the server's own (no {@code lastEventId}), or one to resume. */
  public Request get(@Nullable String session, @Nullable String lastEventId) {
    Request request = request(session, false).method(HttpMethod.GET).headers(fields -> fields.put("Accept", EVENT_STREAM));
    if (lastEventId != null) {
      request.headers(fields -> fields.put("Last-Event-ID", lastEventId));
    }
    return request;
  }

  /** The DELETE that ends a session. */
  public Request delete(String session, Duration timeout) {
    return request(session, false).method(HttpMethod.DELETE).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
