package dev.gatekit.api.plugin;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;

/**
 * Rewrites messages, or answers a request itself without going upstream. May return
 * {@link PluginResult.Decision#ALLOW ALLOW}, {@link PluginResult.Decision#MODIFY MODIFY} and, for
 * requests, {@link PluginResult.Decision#COMPLETE COMPLETE}.
 *
 * <p>A middleware plugin that throws fails that one request with an internal error; the connection
 * goes on. Every method passes the message on by default.
 */
public interface MiddlewarePlugin extends Plugin {

  /** Processes a request on its way to the upstream. */
  default PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
    return PluginResult.allow();
  }

  /** Processes a response on its way back to the client; {@code request} is what went upstream. */
  default PluginResult processResponse(
      JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
    return PluginResult.allow();
  }

  /** Processes a notification, in either direction. */
  default PluginResult processNotification(JsonRpcNotification notification, PluginContext context) {
    return PluginResult.allow();
  }
}
