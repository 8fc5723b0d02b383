package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Merges the {@code initialize} results of several upstreams into the one answer the client gets:
 * the first answering upstream's protocol version, the union of capabilities (a flag such as
 * {@code listChanged} is on if any upstream has it), the gateway as server, and every upstream's
 * instructions under its name. An upstream that failed is named in the instructions and logged; it
 * fails the whole only when no upstream answered.
 */
final class InitializeResults {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private InitializeResults() {}

  static JsonRpcResponse merge(RequestId id, Map<String, JsonRpcResponse> answers) {
    ObjectNode merged = JSON.objectNode();
    ObjectNode capabilities = JSON.objectNode();
    List<String> instructions = new ArrayList<>();
    JsonRpcResponse firstError = null;
    String protocolVersion = null;
    for (Map.Entry<String, JsonRpcResponse> answer : answers.entrySet()) {
      JsonRpcResponse response = answer.getValue();
      String upstream = answer.getKey();
      if (response.isError()) {
        firstError = firstError == null ? response : firstError;
        instructions.add("Upstream '" + upstream + "' is unavailable: " + response.error().message());
        continue;
      }
      JsonNode result = response.result();
      if (protocolVersion == null && result.path("protocolVersion").isTextual()) {
        protocolVersion = result.get("protocolVersion").textValue();
      }
      mergeCapabilities(capabilities, result.path("capabilities"));
      if (result.path("instructions").isTextual()) {
        instructions.add(upstream + ": " + result.get("instructions").textValue());
      }
    }
    if (protocolVersion == null) {
      return firstError == null ? JsonRpcResponse.failure(id, -32603, "No upstream") : firstError.withId(id);
    }
    merged.put("protocolVersion", protocolVersion);
    merged.set("capabilities", capabilities);
    ObjectNode serverInfo = merged.putObject("serverInfo");
    serverInfo.put("name", "gatekit");
    serverInfo.put("version", Versions.GATEKIT);
    if (!instructions.isEmpty()) {
      merged.put("instructions", String.join("\n", instructions));
    }
    return JsonRpcResponse.success(id, merged);
  }

  static void mergeCapabilities(ObjectNode into, JsonNode from) {
    Iterator<Map.Entry<String, JsonNode>> fields = from.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      JsonNode existing = into.get(field.getKey());
      if (existing == null) {
        into.set(field.getKey(), field.getValue().deepCopy());
      } else if (existing instanceof ObjectNode target && field.getValue().isObject()) {
        Iterator<Map.Entry<String, JsonNode>> flags = field.getValue().fields();
        while (flags.hasNext()) {
          Map.Entry<String, JsonNode> flag = flags.next();
          JsonNode current = target.get(flag.getKey());
          if (current == null || (flag.getValue().isBoolean() && flag.getValue().booleanValue())) {
            target.set(flag.getKey(), flag.getValue().deepCopy());
          }
        }
      }
    }
  }
}
