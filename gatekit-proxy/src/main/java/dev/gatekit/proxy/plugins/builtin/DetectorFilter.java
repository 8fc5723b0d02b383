package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A security plugin that looks for sensitive text in every string of a message and blocks, redacts
 * or only reports it. Reasons and metadata name the detectors, never the text found.
 *
 * <p>What is scanned, in requests (from the client or from an upstream), responses (to either) and
 * notifications (either way): the method; a string request id; every string value and every object
 * member name of the params or the result, at any depth, arrays included; an error's message, and
 * the string values and member names of its data. Numbers, booleans and numeric ids are not text and
 * are not scanned. Strings are scanned as decoded, so a JSON escape ({@code \\u0041KIA...}) hides
 * nothing.
 *
 * <p>What happens on a match, by action: {@code block} blocks the message; {@code audit_only} lets it
 * through, with the detectors' names in the reason and metadata; {@code redact} replaces each match
 * in a value or an error message with {@value #REDACTED}, and renames a member whose name holds one
 * (its name redacted the same way, made unique with a {@code " (2)"}, {@code " (3)"}... suffix when
 * that name is taken), keeping the members' order. A method or an id cannot be rewritten without
 * breaking the exchange, so a match there blocks the message in {@code redact} mode too.
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

  /**
   * True when an enabled detector finds something in {@code text} and the action is {@code block} or
   * {@code redact}; an {@code audit_only} filter blocks and redacts nothing, so it answers false.
   */
  @Override
  public boolean isSensitive(String text) {
    if (action == Action.AUDIT_ONLY) {
      return false;
    }
    for (Detector detector : detectors) {
      if (detector.find(text)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
    Findings findings = new Findings();
    findings.fixed(request.method());
    findings.id(request.id());
    findings.tree(request.params());
    return decide(findings, context.fromUpstream() ? "server-to-client request" : "request",
        () -> request.withParams(redacted(request.params())));
  }

  @Override
  public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
    Findings findings = new Findings();
    findings.id(response.id());
    JsonRpcError error = response.error();
    if (error != null) {
      findings.text(error.message());
      findings.tree(error.data());
    } else {
      findings.tree(response.result());
    }
    return decide(findings, context.fromUpstream() ? "answer to a server-to-client request" : "response",
        () -> error == null
            ? JsonRpcResponse.success(Objects.requireNonNull(response.id()), redacted(response.result()))
            : JsonRpcResponse.failure(response.id(),
                new JsonRpcError(error.code(), redact(error.message()), redacted(error.data()))));
  }

  @Override
  public PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
    Findings findings = new Findings();
    findings.fixed(notification.method());
    findings.tree(notification.params());
    return decide(findings, "notification",
        () -> notification.withParams(redacted(notification.params())));
  }

  /** The detectors that found something in one message, and whether any found it where no redaction can go. */
  private final class Findings {
    final Set<String> found = new LinkedHashSet<>();
    boolean inFixedPart;

    /** A method or an id: text that cannot be redacted. */
    void fixed(String text) {
      for (Detector detector : detectors) {
        if (detector.find(text)) {
          found.add(detector.name());
          inFixedPart = true;
        }
      }
    }

    void id(@Nullable RequestId id) {
      if (id instanceof RequestId.StringId string) {
        fixed(string.value());
      }
    }

    void text(String text) {
      for (Detector detector : detectors) {
        if (!found.contains(detector.name()) && detector.find(text)) {
          found.add(detector.name());
        }
      }
    }

    void tree(@Nullable JsonNode node) {
      if (node == null) {
        return;
      }
      if (node.isTextual()) {
        text(node.textValue());
      } else if (node.isObject()) {
        for (Map.Entry<String, JsonNode> member : node.properties()) {
          text(member.getKey());
          tree(member.getValue());
        }
      } else if (node.isArray()) {
        for (JsonNode element : node) {
          tree(element);
        }
      }
    }
  }

  private PluginResult decide(Findings findings, String kind, Supplier<JsonRpcMessage> redactedMessage) {
    if (findings.found.isEmpty()) {
      return PluginResult.allow();
    }
    List<String> names = List.copyOf(findings.found);
    String summary = what + " detected in " + kind + " (" + String.join(", ", names) + ")";
    PluginResult result = switch (action) {
      case BLOCK -> PluginResult.block(summary);
      case REDACT -> findings.inFixedPart
          ? PluginResult.block(summary + "; a method or id cannot be redacted")
          : PluginResult.modify(redactedMessage.get(), summary + "; redacted");
      case AUDIT_ONLY -> PluginResult.allow(summary);
    };
    return result.withMetadata(metadataKey, names).withMetadata(metadataKey + "_action", action.name().toLowerCase(Locale.ROOT));
  }

  /** Returns a redacted copy of the tree; the original is left alone. */
  private @Nullable JsonNode redacted(@Nullable JsonNode node) {
    if (node == null) {
      return null;
    }
    if (node.isTextual()) {
      return TextNode.valueOf(redact(node.textValue()));
    }
    if (node instanceof ArrayNode array) {
      ArrayNode copy = JsonNodeFactory.instance.arrayNode(array.size());
      for (JsonNode element : array) {
        copy.add(redacted(element));
      }
      return copy;
    }
    if (node instanceof ObjectNode object) {
      List<String> names = new ArrayList<>(object.size());
      List<String> newNames = new ArrayList<>(object.size());
      Set<String> taken = new HashSet<>();
      object.fieldNames().forEachRemaining(name -> {
        String newName = redact(name);
        names.add(name);
        newNames.add(newName);
        if (newName.equals(name)) {
          taken.add(name);
        }
      });
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      for (int i = 0; i < names.size(); i++) {
        String name = names.get(i);
        String newName = newNames.get(i);
        if (!newName.equals(name)) {
          String unique = newName;
          for (int n = 2; taken.contains(unique); n++) {
            unique = newName + " (" + n + ")";
          }
          taken.add(unique);
          newName = unique;
        }
        copy.set(newName, redacted(object.get(name)));
      }
      return copy;
    }
    return node.deepCopy();
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
