package dev.gatekit.api.plugin;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;

/**
 * Allows or blocks messages, and may rewrite them (for example to redact a secret). May return
 * {@link PluginResult.Decision#ALLOW ALLOW}, {@link PluginResult.Decision#MODIFY MODIFY} or
 * {@link PluginResult.Decision#BLOCK BLOCK}.
 *
 * <p>Security plugins fail closed: when one throws, the gateway blocks the message and logs the
 * exception; the client sees a generic reason. Every method allows by default, so a plugin overrides
 * only what it checks.
 */
public interface SecurityPlugin extends Plugin {

  /** Checks a request on its way to the upstream. */
  default PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
    return PluginResult.allow();
  }

  /** Checks a response on its way back to the client; {@code request} is what went upstream. */
  default PluginResult checkResponse(
      JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
    return PluginResult.allow();
  }

  /** Checks a notification, in either direction. */
  default PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
    return PluginResult.allow();
  }
}
