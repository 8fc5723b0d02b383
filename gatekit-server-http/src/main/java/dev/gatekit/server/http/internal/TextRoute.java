package dev.gatekit.server.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * that moment (such as Prometheus metrics), {@code HEAD} its headers; any other method 405. The
 * front's {@code Origin} and {@code Host} checks apply as at the MCP endpoint (403), and with bearer
 * tokens configured the same token is required (401 otherwise). Every other path goes to the next
 * handler.
 */
public final class TextRoute extends Handler.Wrapper {

  private static final Logger log = LoggerFactory.getLogger(TextRoute.class);

  private final String path;
  private final String contentType;
  private final Supplier<String> body;
  private final FrontConfig config;

  /**
   * @param config the front's checks: its bearer tokens (none means no authentication)
   * @param next the handler of every other path
   */
  public TextRoute(String path, String contentType, Supplier<String> body, FrontConfig config, Handler next) {
    super(next);
    this.path = path;
    this.contentType = contentType;
    this.body = body;
    this.config = config;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (!path.equals(request.getHttpURI().getPath())) {
      return super.handle(request, response, callback);
    }
    String origin = request.getHeaders().get(HttpHeader.ORIGIN);
    String host = request.getHttpURI().getHost();
    if (origin != null && !config.allowsOrigin(origin) || host != null && !config.allowsHost(host)) {
      plain(response, callback, 403, "Forbidden: " + (origin != null && !config.allowsOrigin(origin)
          ? "Origin " + origin + " is not allowed\n" : "Host " + host + " is not this machine's loopback\n"));
      return true;
    }
    if (!config.bearerTokens().isEmpty() && !config.acceptsBearer(request.getHeaders().get(HttpHeader.AUTHORIZATION))) {
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

  private static void plain(Response response, Callback callback, int status, String text) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.write(true, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), callback);
  }
}
