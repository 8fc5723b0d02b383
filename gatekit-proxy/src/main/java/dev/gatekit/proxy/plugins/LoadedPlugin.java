package dev.gatekit.proxy.plugins;

import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginKind;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A plugin built from a configuration entry, ready to be added to a proxy.
 *
 * <p>One plugin instance may appear in several {@code LoadedPlugin}s: a global entry that an
 * upstream's own entry replaces is registered once for every other upstream.
 *
 * @param kind its kind
 * @param name its handler name, used in logs and block reasons
 * @param scope the upstream it applies to, or {@code null} for every upstream
 * @param priority 0 to 100, lower first: the configured {@code priority}, else the plugin's own
 * @param order the position of its entry in the configuration, breaking priority ties
 * @param plugin the plugin
 */
public record LoadedPlugin(
    PluginKind kind, String name, @Nullable String scope, int priority, int order, Plugin plugin) {

  /** Checks the parts. */
  public LoadedPlugin {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(plugin, "plugin");
    if (priority < 0 || priority > 100) {
      throw new IllegalArgumentException("priority must be 0 to 100, was " + priority);
    }
  }
}
