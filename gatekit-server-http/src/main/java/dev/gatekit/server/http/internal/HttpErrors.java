package dev.gatekit.server.http.internal;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/**
 * Ends an HTTP exchange with a status and a JSON-RPC error body, the answer to every bad input. A
 * request refused before its body was read gets {@code Connection: close}, so that no client sends
 * its next request on a connection whose unread body the server may still have to skip.
 */
final class HttpErrors {

  /** A request attribute set once the request's body has been read to its end. */
  static final String BODY_READ = "dev.gatekit.server.http.bodyRead";

  private HttpErrors() {}

  static void send(Response response, Callback callback, int status, int code, String message) {
    send(response, callback, status, code, message, null);
  }

  static void send(Response response, Callback callback, int status, int code, String message,
      @Nullable RequestId id) {
    send(response, callback, status, JsonRpcError.of(code, message), id);
  }

  static void send(Response response, Callback callback, int status, JsonRpcError error, @Nullable RequestId id) {
    byte[] body = JsonRpcCodec.get().encode(JsonRpcResponse.failure(id, error));
    Request request = response.getRequest();
    if (request.getAttribute(BODY_READ) == null && request.getLength() != 0) {
      // Refused before its body was read: the connection cannot carry another request reliably.
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
