package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Decides which upstream serves a client request, and translates names between the client's view
 * and an upstream's.
 *
 * <p>With namespacing on (the default with several upstreams), tools, prompts and resource templates
 * appear to the client as {@code upstream__name}; calls are routed by that prefix and reach the
 * upstream under the plain name. Resources keep their URIs; reads and subscriptions go to the
 * upstream that listed the URI, or whose URI template's fixed prefix matches. Lists are fanned out to
 * every upstream; {@code logging/setLevel} is broadcast. Without namespacing (the default with one
 * upstream), everything goes to the single upstream unchanged. Thread-safe.
 */
public final class Router {

  /** Separates the upstream's name from an item's name: {@code upstream__tool}. */
  public static final String SEPARATOR = "__";

  /** The list methods, each with the member of its result that holds the items. */
  public static final Map<String, String> LIST_MEMBERS =
      Map.of(
          McpMethods.TOOLS_LIST, "tools",
          McpMethods.PROMPTS_LIST, "prompts",
          McpMethods.RESOURCES_LIST, "resources",
          McpMethods.RESOURCES_TEMPLATES_LIST, "resourceTemplates");

  private final List<String> upstreams;
  private final boolean namespaced;
  private final Map<String, String> resourceOwners = new ConcurrentHashMap<>();
  private final Map<String, String> templatePrefixes = new ConcurrentHashMap<>();

  public Router(List<String> upstreams, boolean namespaced) {
    this.upstreams = List.copyOf(upstreams);
    this.namespaced = namespaced;
  }

  /** Where a request goes. */
  public sealed interface Route {}

  /** To one upstream, as {@code request} (names made plain). */
  public record To(String upstream, JsonRpcRequest request) implements Route {}

  /** To every upstream, results merged: lists (with {@code member} holding the items) and broadcasts. */
  public record ToAll(@Nullable String member) implements Route {}

  /** Nowhere: answer the client with this error. */
  public record Refuse(int code, String message) implements Route {}

  /** Returns whether names are namespaced. */
  public boolean namespaced() {
    return namespaced;
  }

  /** Returns the upstream names in order. */
  public List<String> upstreams() {
    return upstreams;
  }

  /** Decides where a request goes. */
  public Route route(JsonRpcRequest request) {
    if (!namespaced) {
      return new To(upstreams.get(0), request);
    }
    String method = request.method();
    if (LIST_MEMBERS.containsKey(method)) {
      return new ToAll(LIST_MEMBERS.get(method));
    }
    if (method.equals(McpMethods.LOGGING_SET_LEVEL)) {
      return new ToAll(null);
    }
    JsonNode params = request.params();
    switch (method) {
      case McpMethods.TOOLS_CALL:
        return byName(request, params, "name", "tool");
      case McpMethods.PROMPTS_GET:
        return byName(request, params, "name", "prompt");
      case McpMethods.RESOURCES_READ:
      case McpMethods.RESOURCES_SUBSCRIBE:
      case McpMethods.RESOURCES_UNSUBSCRIBE:
        return byUri(request, params == null ? null : params.get("uri"));
      case McpMethods.COMPLETION_COMPLETE:
        return completion(request, params);
      default:
        // A method the proxy does not know: by a prefixed name if it has one, else the first upstream.
        if (params != null && params.path("name").isTextual()) {
          String[] split = split(params.get("name").textValue());
          if (split != null) {
            return new To(split[0], request.withParams(withText(params, "name", split[1])));
          }
        }
        return new To(upstreams.get(0), request);
    }
  }

  /** Returns {@code upstream__name}. */
  public static String qualify(String upstream, String name) {
    return upstream + SEPARATOR + name;
  }

  /** Splits {@code upstream__name} when the prefix is a known upstream; else null. */
  public String @Nullable [] split(String qualified) {
    int at = qualified.indexOf(SEPARATOR);
    while (at > 0) {
      String prefix = qualified.substring(0, at);
      if (upstreams.contains(prefix)) {
        return new String[] {prefix, qualified.substring(at + SEPARATOR.length())};
      }
      at = qualified.indexOf(SEPARATOR, at + 1);
    }
    return null;
  }

  /**
   * Rewrites one upstream's list items for the client, in place on a copy the caller owns: names are
   * qualified, and resource URIs and template prefixes are remembered for routing reads.
   */
  public void adoptListItems(String upstream, String member, JsonNode items) {
    for (JsonNode item : items) {
      if (!(item instanceof ObjectNode object)) {
        continue;
      }
      switch (member) {
        case "resources" -> {
          if (object.path("uri").isTextual()) {
            resourceOwners.put(object.get("uri").textValue(), upstream);
          }
        }
        case "resourceTemplates" -> {
          if (object.path("uriTemplate").isTextual()) {
            templatePrefixes.put(fixedPrefix(object.get("uriTemplate").textValue()), upstream);
          }
          qualifyName(upstream, object);
        }
        default -> qualifyName(upstream, object);
      }
    }
  }

  private static void qualifyName(String upstream, ObjectNode item) {
    if (item.path("name").isTextual()) {
      item.put("name", qualify(upstream, item.get("name").textValue()));
    }
  }

  private Route byName(JsonRpcRequest request, @Nullable JsonNode params, String member, String what) {
    JsonNode name = params == null ? null : params.get(member);
    if (name == null || !name.isTextual()) {
      return new Refuse(ErrorCodes.INVALID_PARAMS, "Invalid params: '" + member + "' must be a string");
    }
    String[] split = split(name.textValue());
    if (split == null) {
      return new Refuse(
          ErrorCodes.INVALID_PARAMS,
          "Unknown " + what + " '" + name.textValue() + "': names have the form upstream" + SEPARATOR
              + what + ", and the upstreams are " + upstreams);
    }
    return new To(split[0], request.withParams(withText(params, member, split[1])));
  }

  private Route byUri(JsonRpcRequest request, @Nullable JsonNode uri) {
    if (uri == null || !uri.isTextual()) {
      return new Refuse(ErrorCodes.INVALID_PARAMS, "Invalid params: 'uri' must be a string");
    }
    String owner = ownerOf(uri.textValue());
    if (owner == null) {
      return new Refuse(
          ErrorCodes.INVALID_PARAMS,
          "Unknown resource '" + uri.textValue() + "': no upstream of " + upstreams
              + " has listed it or a template that matches it; list resources first");
    }
    return new To(owner, request);
  }

  private Route completion(JsonRpcRequest request, @Nullable JsonNode params) {
    JsonNode ref = params == null ? null : params.get("ref");
    if (ref == null || !ref.isObject()) {
      return new Refuse(ErrorCodes.INVALID_PARAMS, "Invalid params: 'ref' must be an object");
    }
    if (ref.path("uri").isTextual()) {
      return byUri(request, ref.get("uri"));
    }
    JsonNode name = ref.get("name");
    if (name == null || !name.isTextual()) {
      return new Refuse(ErrorCodes.INVALID_PARAMS, "Invalid params: 'ref.name' must be a string");
    }
    String[] split = split(name.textValue());
    if (split == null) {
      return new Refuse(
          ErrorCodes.INVALID_PARAMS,
          "Unknown prompt '" + name.textValue() + "': the upstreams are " + upstreams);
    }
    ObjectNode newParams = params.deepCopy();
    ((ObjectNode) newParams.get("ref")).put("name", split[1]);
    return new To(split[0], request.withParams(newParams));
  }

  /**
   * Returns the upstream a resource URI belongs to: the one that listed it, else the one with the
   * longest template prefix that matches it; null when none has.
   */
  public @Nullable String ownerOf(String uri) {
    String owner = resourceOwners.get(uri);
    if (owner != null) {
      return owner;
    }
    String best = null;
    int bestLength = -1;
    for (Map.Entry<String, String> template : templatePrefixes.entrySet()) {
      if (uri.startsWith(template.getKey()) && template.getKey().length() > bestLength) {
        best = template.getValue();
        bestLength = template.getKey().length();
      }
    }
    return best;
  }

  private static String fixedPrefix(String uriTemplate) {
    int brace = uriTemplate.indexOf('{');
    return brace < 0 ? uriTemplate : uriTemplate.substring(0, brace);
  }

  private static JsonNode withText(JsonNode params, String member, String value) {
    ObjectNode copy = ((ObjectNode) params).deepCopy();
    copy.put(member, value);
    return copy;
  }

  /**
   * Returns whether a name is usable for an upstream: non-empty letters, digits, {@code -}, {@code .}
   * and {@code _}, without the separator and not ending in {@code _} (with upstreams {@code a} and
   * {@code a_}, {@code a___x} would be both {@code a}'s {@code _x} and {@code a_}'s {@code x}).
   */
  public static boolean isValidUpstreamName(String name) {
    return !name.isEmpty() && !name.contains(SEPARATOR) && !name.endsWith("_")
        && Set.of('_', '-', '.').containsAll(
        name.chars().filter(c -> !Character.isLetterOrDigit(c)).mapToObj(c -> (char) c).toList());
  }
}
