package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.api.plugin.PluginResult;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code tool_manager}: a middleware plugin that makes an allow-list of an upstream's tools, and may
 * rename them and give them new descriptions. Configure it under the upstream's scope; it sees the
 * upstream's own tool names (the gateway adds and strips namespaces around plugins).
 *
 * <p>Options: {@code tools}, a list of {@code {tool, display_name?, display_description?}}. A
 * {@code tools/list} result keeps only listed tools, shown under their display names and
 * descriptions. A {@code tools/call} of a display name reaches the upstream under the original name; a
 * call of an unlisted tool, or of a renamed tool's original name, is answered with
 * {@link ErrorCodes#INVALID_PARAMS} without reaching the upstream. The policy applies to every list,
 * so it holds after {@code notifications/tools/list_changed} too.
 *
 * <p>What it tells: the refusal's error message, reason ({@code "tool not allowed"}) and metadata
 * ({@code tool_manager: refused}) never name the tool asked for, which may be a hidden tool's name
 * or any text a client sends (it runs before the security filters see the request). The reason of a
 * rename names the display name only, never the upstream's name it hides; a filtered list's reason
 * gives counts only.
 */
public final class ToolManagerProvider implements PluginProvider {

  /** The handler name. */
  public static final String HANDLER = "tool_manager";

  /** Creates the provider (found by {@link java.util.ServiceLoader}). */
  public ToolManagerProvider() {}

  @Override
  public String handler() {
    return HANDLER;
  }

  @Override
  public PluginKind kind() {
    return PluginKind.MIDDLEWARE;
  }

  @Override
  public Plugin create(PluginConfig config) {
    if (!config.has("tools")) {
      config.problem("tools", "a list of {tool, display_name?, display_description?}", "missing");
    }
    Map<String, Rule> byOriginal = new LinkedHashMap<>();
    Map<String, String> shownToOriginal = new HashMap<>();
    for (PluginConfig entry : config.objectList("tools")) {
      entry.rejectUnknownKeys(Set.of("tool", "display_name", "display_description"));
      String tool = entry.requireString("tool");
      String displayName = entry.string("display_name");
      String description = entry.string("display_description");
      if (displayName != null && displayName.isBlank()) {
        entry.problem("display_name", "a non-empty name", "an empty string");
        displayName = null;
      }
      if (tool.isBlank()) {
        continue;
      }
      if (byOriginal.containsKey(tool)) {
        entry.problem("tool", "each tool listed once", "'" + tool + "' again");
        continue;
      }
      String shown = displayName != null ? displayName : tool;
      String clash = shownToOriginal.putIfAbsent(shown, tool);
      if (clash != null) {
        entry.problem(displayName != null ? "display_name" : "tool", "a name no other listed tool shows",
            "'" + shown + "', already shown for '" + clash + "'");
      }
      byOriginal.put(tool, new Rule(tool, shown, description));
    }
    config.rejectUnknownKeys(Set.of("tools"));
    config.validate();
    return new ToolManager(byOriginal, shownToOriginal);
  }

  private record Rule(String original, String shown, @Nullable String description) {
    boolean renamed() {
      return !original.equals(shown);
    }
  }

  private static final class ToolManager implements MiddlewarePlugin {
    static final String NOT_AVAILABLE = "The requested tool is not available through this gateway";
    static final String REFUSED = "tool not allowed";

    private final Map<String, Rule> byOriginal;
    private final Map<String, String> shownToOriginal;

    ToolManager(Map<String, Rule> byOriginal, Map<String, String> shownToOriginal) {
      this.byOriginal = Map.copyOf(byOriginal);
      this.shownToOriginal = Map.copyOf(shownToOriginal);
    }

    @Override
    public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
      if (!McpMethods.TOOLS_CALL.equals(request.method())) {
        return PluginResult.allow();
      }
      JsonNode params = request.params();
      JsonNode name = params == null ? null : params.get("name");
      if (name == null || !name.isTextual()) {
        return PluginResult.allow(); // malformed: the upstream answers as it does
      }
      String original = shownToOriginal.get(name.textValue());
      if (original == null) {
        // The name the client asked for appears nowhere: not in the answer (which the audit log may
        // keep), the reason or the metadata. It may be a hidden tool's name, or anything a client
        // sends, secrets included; middleware runs before the security filters could see it.
        return PluginResult.complete(
            JsonRpcResponse.failure(request.id(), ErrorCodes.INVALID_PARAMS, NOT_AVAILABLE), REFUSED)
            .withMetadata("tool_manager", "refused");
      }
      if (original.equals(name.textValue())) {
        return PluginResult.allow();
      }
      ObjectNode rewritten = ((ObjectNode) params).deepCopy();
      rewritten.put("name", original);
      // The upstream's name of a renamed tool is hidden from the client: the reason keeps it out too.
      return PluginResult.modify(new JsonRpcRequest(request.id(), request.method(), rewritten),
          "tool '" + name.textValue() + "' called under its upstream name");
    }

    @Override
    public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
      if (!McpMethods.TOOLS_LIST.equals(request.method()) || response.result() == null) {
        return PluginResult.allow();
      }
      JsonNode tools = response.result().get("tools");
      if (tools == null || !tools.isArray()) {
        return PluginResult.allow();
      }
      ObjectNode result = (ObjectNode) response.result().deepCopy();
      ArrayNode kept = result.putArray("tools");
      int hidden = 0;
      for (JsonNode tool : tools) {
        Rule rule = tool.path("name").isTextual() ? byOriginal.get(tool.path("name").textValue()) : null;
        if (rule == null || !(tool instanceof ObjectNode object)) {
          hidden++;
          continue;
        }
        ObjectNode shown = object.deepCopy();
        shown.put("name", rule.shown());
        if (rule.description() != null) {
          shown.put("description", rule.description());
        }
        if (rule.renamed() && shown.has("title")) {
          shown.remove("title"); // the upstream's title describes the name the client no longer sees
        }
        kept.add(shown);
      }
      if (hidden == 0 && byOriginal.values().stream().noneMatch(r -> r.renamed() || r.description() != null)) {
        return PluginResult.allow();
      }
      return PluginResult.modify(JsonRpcResponse.success(request.id(), result),
          "tool list filtered: " + kept.size() + " shown, " + hidden + " hidden");
    }

    @Override
    public String toString() {
      return HANDLER + byOriginal.keySet();
    }
  }
}
