package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The two generations of MCP a client or an upstream speaks: {@link #Y2025} (the {@code initialize}
 * handshake and a session, 2025-11-25 and before) and {@link #Y2026} (2026-07-28: stateless, the
 * version and client capabilities in every request's {@code _meta}, {@code server/discover} instead
 * of {@code initialize}). Holds the names the two share on the wire.
 */
enum Generation {
  Y2025,
  Y2026;

  /** The 2026-era protocol versions the gateway speaks. */
  static final List<String> SUPPORTED_2026 = List.of("2026-07-28");

  static final String META = "_meta";
  static final String PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  static final String CLIENT_INFO = "io.modelcontextprotocol/clientInfo";
  static final String LOG_LEVEL = "io.modelcontextprotocol/logLevel";
  static final String SERVER_INFO = "io.modelcontextprotocol/serverInfo";
  static final String SERVER_DISCOVER = "server/discover";
  static final String SUBSCRIPTIONS_LISTEN = McpMethods.SUBSCRIPTIONS_LISTEN;
  static final String RESULT_TYPE = "resultType";
  static final String INPUT_RESPONSES = "inputResponses";
  static final String REQUEST_STATE = "requestState";
  /** The specification's error for a protocol version the receiver does not speak. */
  static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

  /** The generation of a client request: 2026-era when its {@code _meta} names a protocol version. */
  static Generation of(JsonRpcRequest request) {
    return protocolVersion(request) != null ? Y2026 : Y2025;
  }

  /** Returns the protocol version a request's {@code _meta} names, or null. */
  static @Nullable String protocolVersion(JsonRpcRequest request) {
    JsonNode version = meta(request.params()).path(PROTOCOL_VERSION);
    return version.isTextual() ? version.textValue() : null;
  }

  /**
   * Returns the specification's {@code UnsupportedProtocolVersion} error when a 2026-era request
   * names a version not in {@code accepted}, else null.
   */
  static @Nullable JsonRpcError unsupportedVersion(JsonRpcRequest request, List<String> accepted) {
    String version = protocolVersion(request);
    if (version == null || accepted.contains(version)) {
      return null;
    }
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    ArrayNode supported = data.putArray("supported");
    accepted.forEach(supported::add);
    data.put("requested", version);
    return new JsonRpcError(UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version: " + version + "; the gateway supports " + accepted, data);
  }

  /** Returns the {@code _meta} object of some params, or a missing node. */
  static JsonNode meta(@Nullable JsonNode params) {
    return params == null ? JsonNodeFactory.instance.missingNode() : params.path(META);
  }
}
