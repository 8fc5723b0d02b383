package dev.gatekit.server.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpFields;
import org.jspecify.annotations.Nullable;

/**
 * What the HTTP front checks of a 2026-07-28 (stateless) POST before it goes to the proxy, in the
 * order the specification's reference implementation checks: the {@code MCP-Protocol-Version} header
 * is present (else {@code HeaderMismatch}), {@code _meta} names the protocol version and the client
 * capabilities (else -32602), the header equals {@code _meta}'s version (else {@code HeaderMismatch}),
 * the version is accepted (else {@code UnsupportedProtocolVersion} naming the accepted ones), {@code
 * Mcp-Method} equals the body's method and {@code Mcp-Name} the tool name, prompt name, resource URI or
 * task id the body names (else {@code HeaderMismatch}; values are compared after trimming, and {@code
 * =?base64?…?=} values decoded), and the method is not one that 2026-07-28 removed ({@code initialize},
 * {@code ping}, {@code logging/setLevel}, {@code resources/subscribe}, {@code resources/unsubscribe}:
 * -32601). Each refusal carries the HTTP status the specification gives it: 400, 404 for -32601.
 */
final class StatelessCheck {

  /** The specification's error for HTTP headers that are missing or do not match the body. */
  static final int HEADER_MISMATCH = -32020;
  /** The specification's error for a request that needs a client capability not declared. */
  static final int MISSING_CLIENT_CAPABILITY = -32021;
  /** The specification's error for a protocol version the server does not speak. */
  static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;
  static final String METHOD_HEADER = "Mcp-Method";
  static final String NAME_HEADER = "Mcp-Name";
  static final String PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";
  static final String CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities";
  static final String SERVER_DISCOVER = "server/discover";
  private static final Set<String> REMOVED = Set.of(McpMethods.INITIALIZE, "ping", "logging/setLevel",
      "resources/subscribe", "resources/unsubscribe");
  private static final Pattern BASE64 = Pattern.compile("^=\\?base64\\?(.*)\\?=$");

  /** A refusal: the HTTP status and the JSON-RPC error. */
  record Refusal(int status, JsonRpcError error) {}

  private StatelessCheck() {}

  /**
   * Whether a POST without a session id is 2026-era (stateless) traffic: a request whose {@code _meta}
   * names a protocol version, or a {@code server/discover}, or a request (other than a 2025-era
   * {@code initialize}) whose {@code MCP-Protocol-Version} header is not a version with sessions.
   */
  static boolean isStateless(HttpFields headers, JsonRpcMessage message, Set<String> sessionVersions) {
    if (!(message instanceof JsonRpcRequest request)) {
      return false;
    }
    if (SERVER_DISCOVER.equals(request.method()) || meta(request).has(PROTOCOL_VERSION)) {
      return true;
    }
    String version = headers.get(McpHandler.VERSION_HEADER);
    return version != null && !sessionVersions.contains(version.trim())
        && !McpMethods.INITIALIZE.equals(request.method());
  }

  /** Returns why the front refuses a stateless request, or null when it may go to the proxy. */
  static @Nullable Refusal check(HttpFields headers, JsonRpcRequest request, List<String> accepted) {
    String header = trimmed(headers.get(McpHandler.VERSION_HEADER));
    if (header == null) {
      return mismatch("Header mismatch: no " + McpHandler.VERSION_HEADER + " header; a 2026-07-28 request carries"
          + " the version of its _meta");
    }
    JsonNode meta = meta(request);
    JsonNode version = meta.path(PROTOCOL_VERSION);
    if (!version.isTextual() || !meta.path(CLIENT_CAPABILITIES).isObject()) {
      return new Refusal(400, new JsonRpcError(ErrorCodes.INVALID_PARAMS, "Invalid params: _meta must carry "
          + PROTOCOL_VERSION + " (a string) and " + CLIENT_CAPABILITIES + " (an object)", null));
    }
    if (!header.equals(version.textValue())) {
      return mismatch("Header mismatch: " + McpHandler.VERSION_HEADER + " is " + header + " but _meta names "
          + version.textValue());
    }
    if (!accepted.contains(header)) {
      ObjectNode data = JsonNodeFactory.instance.objectNode();
      ArrayNode supported = data.putArray("supported");
      accepted.forEach(supported::add);
      data.put("requested", header);
      return new Refusal(400, new JsonRpcError(UNSUPPORTED_PROTOCOL_VERSION,
          "Unsupported protocol version: " + header + "; this gateway accepts " + accepted, data));
    }
    String method = trimmed(headers.get(METHOD_HEADER));
    if (method == null) {
      return mismatch("Header mismatch: no " + METHOD_HEADER + " header; it must name the method, "
          + request.method());
    }
    if (!method.equals(request.method())) {
      return mismatch("Header mismatch: " + METHOD_HEADER + " is " + method + " but the body's method is "
          + request.method());
    }
    String name = nameOf(request);
    String nameHeader = trimmed(headers.get(NAME_HEADER));
    if (name != null) {
      if (nameHeader == null) {
        return mismatch("Header mismatch: no " + NAME_HEADER + " header; for " + request.method()
            + " it must be " + name);
      }
      String decoded = decode(nameHeader);
      if (!name.equals(decoded)) {
        return mismatch("Header mismatch: " + NAME_HEADER + " is " + nameHeader + " but the body names " + name);
      }
    }
    if (REMOVED.contains(request.method())) {
      return new Refusal(404, new JsonRpcError(ErrorCodes.METHOD_NOT_FOUND, "Method not found: "
          + request.method() + " is not part of MCP 2026-07-28", null));
    }
    return null;
  }

  /**
   * The HTTP status of a stateless request's answer sent as JSON, as the specification gives it: 404
   * for -32601, 400 for the errors of bad parameters, headers, capabilities and versions, else 200.
   */
  static int statusOf(@Nullable JsonRpcError error) {
    if (error == null) {
      return 200;
    }
    return switch (error.code()) {
      case ErrorCodes.METHOD_NOT_FOUND -> 404;
      case ErrorCodes.INVALID_PARAMS, HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION -> 400;
      default -> 200;
    };
  }

  /** The value {@code Mcp-Name} must carry for this request, or null when it names nothing. */
  static @Nullable String nameOf(JsonRpcRequest request) {
    JsonNode params = request.params();
    if (params == null) {
      return null;
    }
    JsonNode value = switch (request.method()) {
      case "tools/call", "prompts/get" -> params.get("name");
      case "resources/read" -> params.get("uri");
      case "tasks/get", "tasks/update", "tasks/cancel" -> params.get("taskId");
      default -> null;
    };
    return value != null && value.isTextual() ? value.textValue() : null;
  }

  /** A header value as the specification encodes it: {@code =?base64?…?=} decoded, else as it is; null if malformed. */
  private static @Nullable String decode(String value) {
    Matcher base64 = BASE64.matcher(value);
    if (!base64.matches()) {
      return value;
    }
    try {
      return new String(Base64.getDecoder().decode(base64.group(1)), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Refusal mismatch(String message) {
    return new Refusal(400, new JsonRpcError(HEADER_MISMATCH, message, null));
  }

  private static @Nullable String trimmed(@Nullable String value) {
    return value == null ? null : value.trim();
  }

  private static JsonNode meta(JsonRpcRequest request) {
    JsonNode params = request.params();
    return params == null ? JsonNodeFactory.instance.missingNode() : params.path("_meta");
  }
}
