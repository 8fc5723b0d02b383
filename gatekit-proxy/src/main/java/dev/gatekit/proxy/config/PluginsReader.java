package dev.gatekit.proxy.config;

import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code plugins:} section into {@link PluginEntry}s: by kind ({@code security}, {@code
 * middleware}, {@code auditing}), then by scope ({@value PluginEntry#GLOBAL} or an upstream's name),
 * a list of {@code {handler, config}}. Only the shape is checked here; which handlers exist and what
 * options they take is the {@link PluginWiring}'s business. Variables in options are expanded.
 */
final class PluginsReader {

  private static final Map<String, PluginKind> KINDS = kinds();
  private static final Set<String> ENTRY_KEYS = Set.of("handler", "config");

  private PluginsReader() {}

  /**
   * Returns the well-formed entries in the file's order, each numbered by its position among them.
   *
   * @param upstreams the names of the configured upstreams: the valid scopes besides {@value
   *     PluginEntry#GLOBAL}
   */
  static List<PluginEntry> read(ConfigNode plugins, Set<String> upstreams) {
    List<PluginEntry> entries = new ArrayList<>();
    if (plugins.isAbsent()) {
      return entries;
    }
    if (!plugins.isMapping()) {
      plugins.expected("a mapping of security, middleware and auditing");
      return entries;
    }
    plugins.rejectUnknownKeys(KINDS.keySet());
    Set<String> scopes = new LinkedHashSet<>();
    scopes.add(PluginEntry.GLOBAL);
    scopes.addAll(upstreams);
    for (Map.Entry<String, PluginKind> kind : KINDS.entrySet()) {
      ConfigNode section = plugins.get(kind.getKey());
      if (section.isAbsent()) {
        continue;
      }
      if (!section.isMapping()) {
        section.expected("a mapping of _global or upstream names to lists of plugins");
        continue;
      }
      for (String scope : section.keys()) {
        ConfigNode list = section.get(scope);
        if (!scopes.contains(scope)) {
          list.problem("_global or an upstream's name (" + (upstreams.isEmpty() ? "none valid" : String.join(", ", upstreams)) + ")",
              ConfigNode.quote(scope) + ConfigNode.didYouMean(scope, scopes));
        }
        if (!list.isList()) {
          list.expected("a list of plugins ({handler, config})");
          continue;
        }
        for (int i = 0; i < list.size(); i++) {
          PluginEntry entry = entry(list.at(i), kind.getValue(), scope, entries.size());
          if (entry != null) {
            entries.add(entry);
          }
        }
      }
    }
    return entries;
  }

  /** One {@code {handler, config}}; null when it has a problem. */
  private static @Nullable PluginEntry entry(ConfigNode node, PluginKind kind, String scope, int order) {
    if (!node.isMapping()) {
      node.expected("a mapping with handler and config");
      return null;
    }
    node.rejectUnknownKeys(ENTRY_KEYS);
    ConfigNode h = node.get("handler");
    String handler = null;
    if (h.isMissing()) {
      h.problem("a handler name", "missing");
    } else {
      handler = h.string();
      if (handler != null && handler.isBlank()) {
        h.problem("a handler name", "an empty string");
        handler = null;
      }
    }
    ConfigNode c = node.get("config");
    Map<String, Object> config = null;
    if (c.isMissing()) {
      c.problem("a mapping of options (at least {})", "missing");
    } else if (!c.isMapping()) {
      c.expected("a mapping of options");
    } else {
      config = c.toMap();
    }
    if (handler == null || config == null) {
      return null;
    }
    return new PluginEntry(kind, scope, handler, config, node.path(), order);
  }

  private static Map<String, PluginKind> kinds() {
    Map<String, PluginKind> kinds = new LinkedHashMap<>();
    kinds.put("security", PluginKind.SECURITY);
    kinds.put("middleware", PluginKind.MIDDLEWARE);
    kinds.put("auditing", PluginKind.AUDITING);
    return kinds;
  }
}
