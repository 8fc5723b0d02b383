package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.McpMethods;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Who the test server is, and its answer to {@code initialize}. */
final class ServerInfo {

  static final String NAME = "gatekit-test-server";
  static final String VERSION = "1.0.0";
  static final String INSTRUCTIONS = "Gatekit test server";

  /** The protocol versions the server speaks, the preferred (latest) first. */
  static final List<String> PROTOCOL_VERSIONS =
      List.of(McpMethods.LATEST_PROTOCOL_VERSION, "2025-06-18", "2025-03-26");

  private ServerInfo() {}

  /**
   * Returns the {@code initialize} result: the client's protocol version if the server speaks it,
   * else the latest; capabilities {@code {"tools":{"listChanged":true},"logging":{}}}; server info
   * and instructions.
   */
  static ObjectNode initializeResult(@Nullable JsonNode params) {
    JsonNode requested = params == null ? null : params.get("protocolVersion");
    String version =
        requested != null
                && requested.isTextual()
                && PROTOCOL_VERSIONS.contains(requested.textValue())
            ? requested.textValue()
            : PROTOCOL_VERSIONS.get(0);
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put("protocolVersion", version);
    ObjectNode capabilities = result.putObject("capabilities");
    capabilities.putObject("tools").put("listChanged", true);
    capabilities.putObject("logging");
    result.putObject("serverInfo").put("name", NAME).put("version", VERSION);
    result.put("instructions", INSTRUCTIONS);
    return result;
  }
}
