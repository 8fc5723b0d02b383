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
 *
 * <p>The same methods see both directions: {@link #checkRequest} sees client requests and
 * server-to-client requests ({@code sampling/createMessage}, {@code elicitation/create},
 * {@code roots/list}, ...), {@link #checkResponse} sees the answers to both; {@link
 * PluginContext#direction()} tells them apart. Blocking a server-to-client request answers the
 * upstream with an error and the client never sees it; blocking the client's answer to one sends the
 * upstream an error in its place.
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

  /**
   * Returns whether {@code text} holds something this plugin would block or redact wherever it
   * appeared in a message. The gateway asks before any text of a message leaves it by another way
   * than the message itself (a field of an audit record such as the method, the request id, a reason
   * or metadata) and replaces text for which any enabled security plugin answers {@code true}. The
   * default answers {@code false}; a content filter should override it.
   */
  default boolean isSensitive(String text) {
    return false;
  }

  /** Checks a notification, in either direction. */
  default PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
    return PluginResult.allow();
  }
}
