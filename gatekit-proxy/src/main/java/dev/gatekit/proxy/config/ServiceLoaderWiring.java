package dev.gatekit.proxy.config;

import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.plugins.LoadedPlugin;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@link PluginWiring} of configuration files: builds the {@code plugins:} section with the
 * {@link PluginLoader} over the providers {@link java.util.ServiceLoader} finds, built-in and
 * third-party alike.
 */
public final class ServiceLoaderWiring implements PluginWiring {

  private final PluginLoader loader;

  private ServiceLoaderWiring(PluginLoader loader) {
    this.loader = loader;
  }

  /** Returns a wiring over the providers on the class path. */
  public static ServiceLoaderWiring fromClassPath() {
    return new ServiceLoaderWiring(PluginLoader.fromClassPath());
  }

  /** Returns a wiring over the given loader. */
  public static ServiceLoaderWiring of(PluginLoader loader) {
    return new ServiceLoaderWiring(loader);
  }

  @Override
  public List<ConfigProblem> check(GatekitConfig config) {
    try {
      List<LoadedPlugin> plugins = loader.load(config.plugins(), upstreamNames(config), folderOf(config));
      for (LoadedPlugin plugin : plugins) {
        plugin.plugin().close(); // built only to validate; nothing has run
      }
      return List.of();
    } catch (PluginConfigException e) {
      return e.problems();
    }
  }

  @Override
  public void wire(GatekitConfig config, GatekitProxy.Builder proxy) throws ConfigException {
    try {
      PluginLoader.addTo(proxy, loader.load(config.plugins(), upstreamNames(config), folderOf(config)));
    } catch (PluginConfigException e) {
      throw new ConfigException(config.file(), e.problems());
    }
  }

  /** Plugin options' relative paths are relative to the configuration file's folder. */
  private static Path folderOf(GatekitConfig config) {
    Path parent = config.file().toAbsolutePath().getParent();
    return parent != null ? parent : config.file().toAbsolutePath();
  }

  private static Set<String> upstreamNames(GatekitConfig config) {
    Set<String> names = new LinkedHashSet<>();
    config.upstreams().forEach(upstream -> names.add(upstream.name()));
    return names;
  }
}
