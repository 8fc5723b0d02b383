package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A security plugin that looks for sensitive text in every string value of a message's JSON tree
 * (request params, response result and error data, notification params) and blocks, redacts or only
 * reports it. Reasons and metadata name the detectors, never the text found.
 */
abstract class DetectorFilter implements SecurityPlugin {

  /** What to do on a match. */
  enum Action {
    BLOCK, REDACT, AUDIT_ONLY;

    static final List<String> NAMES = List.of("block", "redact", "audit_only");

    static Action parse(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT));
    }
  }

  static final String REDACTED = "[REDACTED]";

  private final Action action;
  private final List<Detector> detectors;
  private final String what;
  private final String metadataKey;

  DetectorFilter(Action action, List<Detector> detectors, String what, String metadataKey) {
    this.action = action;
    this.detectors = List.copyOf(detectors);
    this.what = what;
    this.metadataKey = metadataKey;
  }

  @Override
  public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
    JsonNode params = request.params();
    return check(params, "request", rewritten -> new JsonRpcRequest(request.id(), request.method(), rewritten));
  }

  @Override
  public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
    if (response.result() != null) {
      return check(response.result(), "response",
          rewritten -> JsonRpcResponse.success(request.id(), rewritten));
    }
    JsonRpcError error = response.error();
    if (error == null) {
      return PluginResult.allow();
    }
    ObjectNode wrapper = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    wrapper.put("message", error.message());
    if (error.data() != null) {
      wrapper.set("data", error.data());
    }
    return check(wrapper, "response", rewritten -> JsonRpcResponse.failure(response.id(),
        new JsonRpcError(error.code(), rewritten.path("message").asText(), rewritten.get("data"))));
  }

  @Override
  public PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
    return check(notification.params(), "notification",
        rewritten -> new JsonRpcNotification(notification.method(), rewritten));
  }

  private interface Rebuild {
    dev.gatekit.api.JsonRpcMessage with(JsonNode rewritten);
  }

  private PluginResult check(@Nullable JsonNode tree, String kind, Rebuild rebuild) {
    if (tree == null) {
      return PluginResult.allow();
    }
    Set<String> found = new LinkedHashSet<>();
    scan(tree, found);
    if (found.isEmpty()) {
      return PluginResult.allow();
    }
    List<String> names = List.copyOf(found);
    String summary = what + " detected in " + kind + " (" + String.join(", ", names) + ")";
    PluginResult result = switch (action) {
      case BLOCK -> PluginResult.block(summary);
      case REDACT -> PluginResult.modify(rebuild.with(redacted(tree.deepCopy())), summary + "; redacted");
      case AUDIT_ONLY -> PluginResult.allow(summary);
    };
    return result.withMetadata(metadataKey, names).withMetadata(metadataKey + "_action", action.name().toLowerCase(Locale.ROOT));
  }

  private void scan(JsonNode node, Set<String> found) {
    if (node.isTextual()) {
      String text = node.textValue();
      for (Detector detector : detectors) {
        if (!found.contains(detector.name()) && detector.find(text)) {
          found.add(detector.name());
        }
      }
    } else if (node.isContainerNode()) {
      for (JsonNode child : node) {
        scan(child, found);
      }
    }
  }

  /** Redacts the tree in place (it is a copy) and returns it; a bare string becomes a new node. */
  private JsonNode redacted(JsonNode node) {
    if (node.isTextual()) {
      return TextNode.valueOf(redact(node.textValue()));
    }
    if (node instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      for (String name : names) {
        object.set(name, redacted(object.get(name)));
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        array.set(i, redacted(array.get(i)));
      }
    }
    return node;
  }

  private String redact(String text) {
    String result = text;
    for (Detector detector : detectors) {
      result = detector.redact(result, REDACTED);
    }
    return result;
  }

  /** Reads {@code <types_key>: {name: {enabled: bool}}}, reporting unknown names; returns enabled names. */
  static Set<String> enabledTypes(
      dev.gatekit.api.plugin.PluginConfig config, String key, Map<String, Boolean> defaults) {
    Set<String> enabled = new LinkedHashSet<>();
    dev.gatekit.api.plugin.PluginConfig types = config.object(key);
    types.rejectUnknownKeys(defaults.keySet());
    for (Map.Entry<String, Boolean> entry : defaults.entrySet()) {
      boolean on = entry.getValue();
      if (types.has(entry.getKey())) {
        dev.gatekit.api.plugin.PluginConfig type = types.object(entry.getKey());
        type.rejectUnknownKeys(Set.of("enabled"));
        on = type.bool("enabled", true);
      }
      if (on) {
        enabled.add(entry.getKey());
      }
    }
    return enabled;
  }
}
