package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The MCP protocol versions the gateway speaks with its clients, and the checks of a deployment's
 * choice among them ({@code GatekitProxy.Builder.protocolVersions}). Stateless.
 */
public final class ProtocolVersions {

  /** Every version the gateway speaks with clients, newest first. */
  public static final List<String> KNOWN = McpMethods.PROTOCOL_VERSIONS;

  private ProtocolVersions() {}

  /**
   * Returns {@code versions} without repeats, in their order.
   *
   * @throws IllegalArgumentException if it is empty or names a version the gateway does not speak
   */
  public static List<String> validated(List<String> versions) {
    Objects.requireNonNull(versions, "versions");
    if (versions.isEmpty()) {
      throw new IllegalArgumentException("protocolVersions must name at least one of " + KNOWN);
    }
    List<String> unknown = new ArrayList<>();
    for (String version : versions) {
      if (!KNOWN.contains(version)) {
        unknown.add(version);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("protocolVersions: the gateway does not speak " + unknown
          + "; it speaks " + KNOWN);
    }
    return List.copyOf(new LinkedHashSet<>(versions));
  }

  /**
   * Returns the error a 2025-era {@code initialize} gets when it asks for a version not in {@code
   * accepted} (-32602 "Unsupported protocol version", its {@code data} naming the supported versions
   * and the requested one, as the specification's lifecycle shows), else null. An {@code initialize}
   * that names no version is left to the upstream.
   */
  static @Nullable JsonRpcError unsupportedInitialize(JsonRpcRequest request, List<String> accepted) {
    JsonNode requested = request.params() == null ? null : request.params().get("protocolVersion");
    if (requested == null || !requested.isTextual() || accepted.contains(requested.textValue())) {
      return null;
    }
    ObjectNode data = JsonNodeFactory.instance.objectNode();
    accepted.forEach(data.putArray("supported")::add);
    data.put("requested", requested.textValue());
    return new JsonRpcError(ErrorCodes.INVALID_PARAMS, "Unsupported protocol version", data);
  }
}
