package dev.gatekit.server.http.internal;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;

/** Ends an HTTP exchange with a status and a JSON-RPC error body, the answer to every bad input. */
final class HttpErrors {

  private HttpErrors() {}

  static void send(Response response, Callback callback, int status, int code, String message) {
    send(response, callback, status, code, message, null);
  }

  static void send(Response response, Callback callback, int status, int code, String message,
      @Nullable RequestId id) {
    byte[] body = JsonRpcCodec.get().encode(JsonRpcResponse.failure(id, code, message));
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
