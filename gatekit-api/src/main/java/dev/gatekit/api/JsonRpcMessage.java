package dev.gatekit.api;

/**
 * A JSON-RPC 2.0 message: a {@link JsonRpcRequest}, a {@link JsonRpcNotification} or a
 * {@link JsonRpcResponse}.
 *
 * <p>Messages are immutable values. Their payloads ({@code params}, {@code result}, {@code error.data})
 * are Jackson trees owned by the message: whoever builds a message hands its tree over and must not
 * change it afterwards, and whoever reads one must copy a tree ({@code JsonNode.deepCopy()}) before
 * changing it. The {@code with...} methods return new messages and leave the original untouched.
 */
public sealed interface JsonRpcMessage permits JsonRpcRequest, JsonRpcNotification, JsonRpcResponse {

  /** The protocol version every message carries in its {@code jsonrpc} member. */
  String VERSION = "2.0";
}
