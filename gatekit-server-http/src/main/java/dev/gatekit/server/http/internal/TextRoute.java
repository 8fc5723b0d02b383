package dev.gatekit.server.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One extra path served beside the MCP endpoint: {@code GET} gets the text its supplier returns at
 * that moment (such as Prometheus metrics), {@code HEAD} its headers; any other method 405. With
 * bearer tokens configured the same token is required as at the MCP endpoint (401 otherwise). Every
 * other path goes to the next handler.
 */
public final class TextRoute extends Handler.Wrapper {

  private static final Logger log = LoggerFactory.getLogger(TextRoute.class);

  private final String path;
  private final String contentType;
  private final Supplier<String> body;
  private final List<byte[]> bearerTokens;

  /**
   * @param next the handler of every other path
   * @param bearerTokens the accepted tokens, UTF-8; empty means no authentication
   */
  public TextRoute(String path, String contentType, Supplier<String> body, List<byte[]> bearerTokens,
      Handler next) {
    super(next);
    this.path = path;
    this.contentType = contentType;
    this.body = body;
    this.bearerTokens = List.copyOf(bearerTokens);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!path.equals(request.getHttpURI().getPath())) {
      return super.handle(request, response, callback);
    }
    if (!bearerTokens.isEmpty() && !authenticated(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
      response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer realm=\"gatekit\"");
      plain(response, callback, 401, "Unauthorized: send Authorization: Bearer <token>\n");
      return true;
    }
    boolean head = "HEAD".equals(request.getMethod());
    if (!head && !"GET".equals(request.getMethod())) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      plain(response, callback, 405, "Method not allowed: " + path + " takes GET\n");
      return true;
    }
    String text;
    try {
      text = body.get();
    } catch (RuntimeException e) {
      log.warn("Serving {} failed", path, e);
      plain(response, callback, 500, "Internal error\n");
      return true;
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    response.write(true, head ? ByteBuffer.allocate(0) : ByteBuffer.wrap(bytes), callback);
    return true;
  }

  /** Compares the token with every accepted one in constant time. */
  private boolean authenticated(@org.jspecify.annotations.Nullable String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (byte[] token : bearerTokens) {
      match |= MessageDigest.isEqual(token, given);
    }
    return match;
  }

  private static void plain(Response response, Callback callback, int status, String text) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.write(true, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
