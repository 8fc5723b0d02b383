package dev.gatekit.server.http.internal;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.support.JsonRpcLineScanner;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP Streamable HTTP endpoint as a Jetty core handler. Checks come in this order, each answered
 * with its status and a JSON-RPC error, before anything is started: path (404), {@code Origin} (403),
 * bearer token (401), method (405), {@code Accept} (406), content type (415), body size (413), JSON
 * (400, -32700), message validity and batches (400, -32600); then a request without a session id that
 * is 2026-07-28 traffic ({@link StatelessCheck#isStateless}) gets the stateless checks ({@link
 * StatelessCheck}) and goes to the front's {@link StatelessSession}; anything else is checked for
 * {@code MCP-Protocol-Version} (400) and session id (400 when missing, 404 when unknown or ended),
 * session cap or drain (503). A GET or DELETE of a 2026-07-28 client (no session id) gets 405. Nothing here
 * blocks: a request's answer completes its callback later, from whichever thread delivers it, and
 * opening or closing a session (which may wait for upstream processes) happens on the sessions' own
 * threads.
 */
public final class McpHandler extends Handler.Abstract.NonBlocking {

  private static final Logger log = LoggerFactory.getLogger(McpHandler.class);

  /** The header that carries the session id. */
  public static final String SESSION_HEADER = "Mcp-Session-Id";
  /** The header that carries the negotiated protocol version. */
  public static final String VERSION_HEADER = "MCP-Protocol-Version";
  /** The protocol versions with sessions whose HTTP transport this front knows. */
  public static final Set<String> VERSIONS = Set.copyOf(FrontConfig.SESSION_VERSIONS);
  private static final String ALLOW = "GET, POST, DELETE";
  /**
   * A request whose body holds these bytes anywhere is decoded: it may ask for progress on its POST
   * (also when the name could be written with unicode escapes: any backslash followed by u).
   */
  private static final byte[] PROGRESS_TOKEN = "progressToken".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ESCAPE = "\\u".getBytes(StandardCharsets.US_ASCII);

  private final FrontConfig config;
  private final Sessions sessions;
  private final Set<String> sessionVersions;
  private final List<String> statelessVersions;
  private final JsonRpcCodec codec = JsonRpcCodec.get();

  public McpHandler(FrontConfig config, Sessions sessions) {
    this.config = config;
    this.sessions = sessions;
    this.sessionVersions = config.sessionVersions();
    this.statelessVersions = config.statelessVersions();
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      dispatch(request, response, callback);
    } catch (RuntimeException e) {
      fail(response, callback, e);
    }
    return true;
  }

  private void dispatch(Request request, Response response, Callback callback) {
    HttpFields headers = request.getHeaders();
    String path = request.getHttpURI().getPath();
    if (!config.path().equals(path)) {
      HttpErrors.send(response, callback, 404, ErrorCodes.INVALID_REQUEST,
          "Not found: the MCP endpoint is " + config.path());
      return;
    }
    String origin = headers.get(HttpHeader.ORIGIN);
    if (origin != null && !config.allowsOrigin(origin)) {
      log.warn("Refused a request from Origin {} (not allowed)", origin);
      HttpErrors.send(response, callback, 403, ErrorCodes.SECURITY_VIOLATION,
          "Forbidden: Origin " + origin + " is not allowed");
      return;
    }
    String host = request.getHttpURI().getHost();
    if (host != null && !config.allowsHost(host)) {
      log.warn("Refused a request for Host {} (the front is bound to the loopback)", host);
      HttpErrors.send(response, callback, 403, ErrorCodes.SECURITY_VIOLATION,
          "Forbidden: Host " + host + " is not this machine's loopback (the front serves the loopback only)");
      return;
    }
    if (!config.bearerTokens().isEmpty() && !authenticated(headers, response, callback)) {
      return;
    }
    switch (request.getMethod()) {
      case "POST" -> post(request, response, callback);
      case "GET" -> get(request, response, callback);
      case "DELETE" -> delete(request, response, callback);
      default -> {
        response.getHeaders().put(HttpHeader.ALLOW, ALLOW);
        HttpErrors.send(response, callback, 405, ErrorCodes.INVALID_REQUEST,
            "Method not allowed: " + request.getMethod() + "; the MCP endpoint takes " + ALLOW);
      }
    }
  }

  /** Checks the bearer token in constant time; answers 401 and returns false when it is not right. */
  private boolean authenticated(HttpFields headers, Response response, Callback callback) {
    String authorization = headers.get(HttpHeader.AUTHORIZATION);
    if (!FrontConfig.isBearer(authorization)) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"gatekit\"");
      HttpErrors.send(response, callback, 401, ErrorCodes.SECURITY_VIOLATION,
          "Unauthorized: send Authorization: Bearer <token>");
      return false;
    }
    boolean match = config.acceptsBearer(authorization);
    if (!match) {
      log.warn("Refused a request with a wrong bearer token");
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE,
          "Bearer realm=\"gatekit\", error=\"invalid_token\"");
      HttpErrors.send(response, callback, 401, ErrorCodes.SECURITY_VIOLATION, "Unauthorized: the bearer token is not valid");
    }
    return match;
  }

  // ---- POST ----

  private void post(Request request, Response response, Callback callback) {
    HttpFields headers = request.getHeaders();
    Accepts accepts = Accepts.of(headers.getValuesList(HttpHeader.ACCEPT));
    if (!accepts.any()) {
      HttpErrors.send(response, callback, 406, ErrorCodes.INVALID_REQUEST,
          "Not acceptable: Accept must list application/json and text/event-stream");
      return;
    }
    String contentType = headers.get(HttpHeader.CONTENT_TYPE);
    if (contentType == null || !"application/json".equals(mediaType(contentType))) {
      HttpErrors.send(response, callback, 415, ErrorCodes.INVALID_REQUEST,
          "Unsupported media type " + contentType + ": the body must be application/json");
      return;
    }
    long length = request.getLength();
    if (length > config.maxBodyBytes()) {
      tooLarge(response, callback, length);
      return;
    }
    Content.Source.asByteArrayAsync(request, config.maxBodyBytes()).whenComplete((body, failure) -> {
      try {
        if (failure != null) {
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
          if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException) {
            tooLarge(response, callback, -1);
          } else {
            log.debug("Reading a POST body failed", cause);
            callback.failed(cause);
          }
          return;
        }
        request.setAttribute(HttpErrors.BODY_READ, Boolean.TRUE);
        onMessage(request, response, callback, accepts, body);
      } catch (RuntimeException e) {
        fail(response, callback, e);
      }
    });
  }

  private void tooLarge(Response response, Callback callback, long length) {
    HttpErrors.send(response, callback, 413, ErrorCodes.INVALID_REQUEST,
        "Payload too large: " + (length >= 0 ? length + " bytes are" : "the body is") + " over the limit of "
            + config.maxBodyBytes() + " bytes");
  }

  private void onMessage(Request request, Response response, Callback callback, Accepts accepts, byte[] body) {
    if (passedAsBytes(request, response, callback, accepts, body)) {
      return;
    }
    JsonRpcMessage message;
    try {
      message = codec.decode(body);
    } catch (ProtocolException e) {
      HttpErrors.send(response, callback, 400, e.errorCode(), e.getMessage(), e.id());
      return;
    }
    HttpFields headers = request.getHeaders();
    String sessionId = headers.get(SESSION_HEADER);
    if (sessionId == null && StatelessCheck.isStateless(headers, message, VERSIONS)) {
      stateless((JsonRpcRequest) message, headers, accepts, response, callback);
      return;
    }
    boolean initialize = message instanceof JsonRpcRequest r && McpMethods.INITIALIZE.equals(r.method());
    if (!initialize && !versionSupported(headers, response, callback)) {
      return;
    }
    if (sessionId == null) {
      if (!initialize) {
        HttpErrors.send(response, callback, 400, ErrorCodes.INVALID_REQUEST,
            "Bad request: no " + SESSION_HEADER + " header; send initialize first, then the id it returns");
        return;
      }
      sessions.createLater().whenComplete((creation, failure) -> {
        try {
          if (failure != null) {
            throw new IllegalStateException("opening a session failed", failure);
          }
          opened(creation, (JsonRpcRequest) message, accepts, response, callback);
        } catch (RuntimeException e) {
          fail(response, callback, e);
        }
      });
      return;
    }
    HttpSession session = sessions.get(sessionId);
    if (session == null) {
      sessionNotFound(response, callback);
      return;
    }
    session.touch();
    if (message instanceof JsonRpcRequest clientRequest) {
      if (!session.submit(clientRequest, accepts, response, callback)) {
        sessionNotFound(response, callback);
      }
    } else {
      session.upstream().receive(message);
      if (message instanceof JsonRpcNotification notification
          && McpMethods.NOTIFICATIONS_CANCELLED.equals(notification.method())) {
        RequestId cancelled = cancelledId(notification);
        if (cancelled != null) {
          session.cancelled(cancelled);
        }
      }
      response.setStatus(202);
      response.write(true, ByteBuffer.allocate(0), callback);
    }
  }

  /**
   * The way without decoding: a request of an open session that the scanner is sure of (not {@code
   * initialize}, no progress token that could turn its POST into a stream) goes to the proxy as its
   * bytes, which passes it upstream as they are when it can ({@link HttpSession#submitLine}). Returns
   * whether the request was answered or taken; false when it is to be decoded and handled as usual.
   */
  private boolean passedAsBytes(Request request, Response response, Callback callback, Accepts accepts, byte[] body) {
    HttpFields headers = request.getHeaders();
    String sessionId = headers.get(SESSION_HEADER);
    if (sessionId == null || contains(body, PROGRESS_TOKEN) || contains(body, ESCAPE)) {
      return false;
    }
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(body, 0, body.length);
    if (members == null || !members.isRequest() || McpMethods.INITIALIZE.equals(members.method())) {
      return false;
    }
    if (!versionSupported(headers, response, callback)) {
      return true;
    }
    HttpSession session = sessions.get(sessionId);
    if (session == null) {
      sessionNotFound(response, callback);
      return true;
    }
    session.touch();
    switch (session.submitLine(body, members, accepts, response, callback)) {
      case PASSED -> {
        return true;
      }
      case CLOSED -> {
        sessionNotFound(response, callback);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /**
   * A 2026-07-28 request without a session: checked ({@link StatelessCheck}), then served by the
   * front's one {@link StatelessSession}, its answer on this POST.
   */
  private void stateless(JsonRpcRequest message, HttpFields headers, Accepts accepts, Response response,
      Callback callback) {
    StatelessCheck.Refusal refusal = StatelessCheck.check(headers, message, statelessVersions);
    if (refusal != null) {
      HttpErrors.send(response, callback, refusal.status(), refusal.error(), message.id());
      return;
    }
    sessions.stateless().whenComplete((session, failure) -> {
      try {
        if (failure != null) {
          log.warn("Opening the stateless session failed", failure);
          HttpErrors.send(response, callback, 503, ErrorCodes.UPSTREAM_UNAVAILABLE,
              "Service unavailable: " + (failure.getCause() != null ? failure.getCause() : failure).getMessage(),
              message.id());
        } else if (!session.submit(message, accepts, response, callback)) {
          HttpErrors.send(response, callback, 503, ErrorCodes.UPSTREAM_UNAVAILABLE,
              "Service unavailable: the gateway is shutting down", message.id());
        }
      } catch (RuntimeException e) {
        fail(response, callback, e);
      }
    });
  }

  /** Whether {@code bytes} holds {@code part} anywhere. */
  static boolean contains(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i <= bytes.length - part.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** Answers initialize in the session just opened, or says why there is none. */
  private void opened(Sessions.Creation creation, JsonRpcRequest initialize, Accepts accepts, Response response,
      Callback callback) {
    if (creation instanceof Sessions.Creation.Refused refused) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
      HttpErrors.send(response, callback, 503, ErrorCodes.OVERLOADED, "Service unavailable: " + refused.reason());
      return;
    }
    if (creation instanceof Sessions.Creation.Failed failed) {
      log.warn("Opening a session failed", failed.cause());
      HttpErrors.send(response, callback, 503, ErrorCodes.UPSTREAM_UNAVAILABLE,
          "Service unavailable: the session could not be opened: " + failed.cause().getMessage());
      return;
    }
    HttpSession session = ((Sessions.Creation.Created) creation).session();
    response.getHeaders().put(SESSION_HEADER, session.id());
    if (!session.submit(initialize, accepts, response, callback)) {
      sessionNotFound(response, callback);
    }
  }

  private static void fail(Response response, Callback callback, RuntimeException e) {
    log.error("Handling a request failed", e);
    if (!response.isCommitted()) {
      HttpErrors.send(response, callback, 500, ErrorCodes.INTERNAL_ERROR, "Internal error: " + e);
    } else {
      callback.failed(e);
    }
  }

  // ---- GET and DELETE ----

  private void get(Request request, Response response, Callback callback) {
    HttpFields headers = request.getHeaders();
    if (!Accepts.of(headers.getValuesList(HttpHeader.ACCEPT)).sse()) {
      HttpErrors.send(response, callback, 406, ErrorCodes.INVALID_REQUEST,
          "Not acceptable: GET opens an event stream; Accept must list text/event-stream");
      return;
    }
    HttpSession session = session(headers, response, callback);
    if (session == null) {
      return;
    }
    switch (session.openStream(headers.get("Last-Event-ID"), response, callback)) {
      case OPENED -> { }
      case CONFLICT -> HttpErrors.send(response, callback, 409, ErrorCodes.INVALID_REQUEST,
          "Conflict: this session's GET stream is already open");
      case CLOSED -> sessionNotFound(response, callback);
    }
  }

  private void delete(Request request, Response response, Callback callback) {
    HttpSession session = session(request.getHeaders(), response, callback);
    if (session == null) {
      return;
    }
    session.closeLater().whenComplete((done, failure) -> {
      response.setStatus(204);
      response.write(true, ByteBuffer.allocate(0), callback);
    });
  }

  /** The session a GET or DELETE names, after the version check; null when answered with an error. */
  private @Nullable HttpSession session(HttpFields headers, Response response, Callback callback) {
    String version = headers.get(VERSION_HEADER);
    if (headers.get(SESSION_HEADER) == null && version != null
        && FrontConfig.STATELESS_VERSIONS.contains(version.trim())) {
      response.getHeaders().put(HttpHeader.ALLOW, "POST");
      HttpErrors.send(response, callback, 405, ErrorCodes.INVALID_REQUEST, "Method not allowed: a "
          + version.trim() + " client has no session, so no GET stream and no DELETE; POST subscriptions/listen"
          + " for notifications");
      return null;
    }
    if (!versionSupported(headers, response, callback)) {
      return null;
    }
    String sessionId = headers.get(SESSION_HEADER);
    if (sessionId == null) {
      HttpErrors.send(response, callback, 400, ErrorCodes.INVALID_REQUEST,
          "Bad request: no " + SESSION_HEADER + " header");
      return null;
    }
    HttpSession session = sessions.get(sessionId);
    if (session == null) {
      sessionNotFound(response, callback);
      return null;
    }
    session.touch();
    return session;
  }

  private static void sessionNotFound(Response response, Callback callback) {
    HttpErrors.send(response, callback, 404, ErrorCodes.INVALID_REQUEST,
        "Session not found: it expired or ended; send initialize for a new one");
  }

  private boolean versionSupported(HttpFields headers, Response response, Callback callback) {
    String version = headers.get(VERSION_HEADER);
    if (version != null && !sessionVersions.contains(version)) {
      HttpErrors.send(response, callback, 400, ErrorCodes.INVALID_REQUEST,
          "Bad request: unsupported " + VERSION_HEADER + " " + version + "; supported: "
              + String.join(", ", config.protocolVersions().stream().filter(sessionVersions::contains).toList()));
      return false;
    }
    return true;
  }

  private static @Nullable RequestId cancelledId(JsonRpcNotification notification) {
    JsonNode params = notification.params();
    JsonNode id = params == null ? null : params.get("requestId");
    return id == null ? null : RequestId.fromJson(id);
  }

  private static String mediaType(String contentType) {
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
  }
}
