package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Merges the {@code server/discover} results of several upstreams (each already in 2026-07-28 form,
 * bridged or not) into the one answer a 2026-era client gets: the versions the gateway speaks, the
 * union of capabilities, the gateway as server, every upstream's instructions under its name, and
 * no caching. An upstream that failed is named in the instructions; it fails the whole only when no
 * upstream answered.
 */
final class DiscoverResults {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private DiscoverResults() {}

  static JsonRpcResponse merge(RequestId id, Map<String, JsonRpcResponse> answers) {
    ObjectNode capabilities = JSON.objectNode();
    List<String> instructions = new ArrayList<>();
    JsonRpcResponse firstError = null;
    int answered = 0;
    for (Map.Entry<String, JsonRpcResponse> answer : answers.entrySet()) {
      JsonRpcResponse response = answer.getValue();
      if (response.isError()) {
        firstError = firstError == null ? response : firstError;
        instructions.add("Upstream '" + answer.getKey() + "' is unavailable: " + response.error().message());
        continue;
      }
      answered++;
      JsonNode result = response.result();
      InitializeResults.mergeCapabilities(capabilities, result.path("capabilities"));
      if (result.path("instructions").isTextual()) {
        instructions.add(answer.getKey() + ": " + result.get("instructions").textValue());
      }
    }
    if (answered == 0) {
      return firstError == null ? JsonRpcResponse.failure(id, -32603, "No upstream") : firstError.withId(id);
    }
    ObjectNode merged = JSON.objectNode();
    merged.put(Generation.RESULT_TYPE, "complete");
    Generation.SUPPORTED_2026.forEach(merged.putArray("supportedVersions")::add);
    merged.set("capabilities", capabilities);
    if (!instructions.isEmpty()) {
      merged.put("instructions", String.join("\n", instructions));
    }
    merged.put("ttlMs", 0);
    merged.put("cacheScope", "private");
    merged.putObject(Generation.META).putObject(Generation.SERVER_INFO)
        .put("name", "gatekit").put("version", Versions.GATEKIT);
    return JsonRpcResponse.success(id, merged);
  }
}
