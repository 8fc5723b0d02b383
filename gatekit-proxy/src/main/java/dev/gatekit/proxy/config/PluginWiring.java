package dev.gatekit.proxy.config;

import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.proxy.GatekitProxy;
import java.util.List;

/**
 * Turns the plugin entries of a {@link GatekitConfig} ({@link GatekitConfig#plugins()}) into plugins
 * of a proxy. The configuration layer only checks the shape of the {@code plugins:} section; which
 * handlers exist and what options they take is this seam's business.
 *
 * <p>Both methods are called before any upstream is started: {@link #check} by {@code gatekit check}
 * and before serving, {@link #wire} when the proxy is built. {@link #NONE} ignores the entries.
 */
public interface PluginWiring {

  /** Adds no plugins and finds no problems. */
  PluginWiring NONE = new PluginWiring() {
    @Override
    public List<ConfigProblem> check(GatekitConfig config) {
      return List.of();
    }

    @Override
    public void wire(GatekitConfig config, GatekitProxy.Builder proxy) {}
  };

  /**
   * Returns every problem of the plugin entries (unknown handler, with a "did you mean"; invalid
   * options), with paths such as {@code plugins.security._global[0].config.action}; empty when they
   * can be built. Must not start anything.
   */
  List<ConfigProblem> check(GatekitConfig config);

  /**
   * Builds the plugins of {@code config} and adds them to {@code proxy}, with their scope and
   * priority.
   *
   * @throws ConfigException if an entry cannot be built
   */
  void wire(GatekitConfig config, GatekitProxy.Builder proxy) throws ConfigException;
}
