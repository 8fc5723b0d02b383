package dev.gatekit.proxy.plugins;

import dev.gatekit.api.plugin.PluginKind;
import java.util.Map;
import java.util.Objects;

/**
 * One plugin as a configuration states it: under {@code plugins.<kind>.<scope>[i]}, a handler name
 * and its {@code config} map (which holds the common options {@code enabled}, {@code priority},
 * {@code critical} and the plugin's own).
 *
 * @param kind the section it is under
 * @param scope {@link #GLOBAL} or an upstream's name
 * @param handler the handler name a {@link dev.gatekit.api.plugin.PluginProvider} answers to
 * @param config the options, as parsed (strings, numbers, booleans, lists, maps); immutable
 * @param path where it is, for error messages, such as {@code plugins.security._global[0]}
 * @param order its position among all entries of the configuration, breaking priority ties
 */
public record PluginEntry(
    PluginKind kind, String scope, String handler, Map<String, Object> config, String path, int order) {

  /** The scope that applies to every upstream. */
  public static final String GLOBAL = "_global";

  /** Copies the config. */
  public PluginEntry {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(handler, "handler");
    Objects.requireNonNull(path, "path");
    config = Map.copyOf(config);
  }

  /** Returns whether it applies to every upstream. */
  public boolean isGlobal() {
    return GLOBAL.equals(scope);
  }
}
