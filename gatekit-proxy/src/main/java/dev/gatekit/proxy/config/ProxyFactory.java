package dev.gatekit.proxy.config;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.transport.stdio.StdioTransport;

/**
 * Builds a proxy, and a transport for each of its upstreams, from a {@link GatekitConfig}: the one
 * place where a configuration becomes running parts. Nothing is started here: the transports start
 * when the proxy connects.
 */
public final class ProxyFactory {

  private ProxyFactory() {}

  /**
   * Returns a proxy builder with the configuration's {@code initialize} timeout, a transport per
   * upstream (in the file's order, under the upstream's name) and the plugins {@code plugins} adds.
   *
   * @throws ConfigException if {@code plugins} cannot build an entry
   */
  public static GatekitProxy.Builder proxyBuilder(GatekitConfig config, PluginWiring plugins) throws ConfigException {
    GatekitProxy.Builder builder = GatekitProxy.builder().initializeTimeout(config.connectionTimeout());
    for (GatekitConfig.Upstream upstream : config.upstreams()) {
      builder.upstream(upstream.name(), transportBuilder(config, upstream).build());
    }
    plugins.wire(config, builder);
    return builder;
  }

  /**
   * Returns a builder of the transport to {@code upstream}: its command, environment, working
   * directory and restart policy, with the transport options and line limit of {@code config}.
   */
  public static StdioTransport.Builder transportBuilder(GatekitConfig config, GatekitConfig.Upstream upstream) {
    StdioTransport.Builder builder = StdioTransport.builder(upstream.command())
        .name(upstream.name())
        .inheritEnvironment(upstream.inheritEnvironment())
        .environment(upstream.environment())
        .options(config.options())
        .maxLineLength(config.maxLineLength())
        .restartPolicy(upstream.restartPolicy());
    if (upstream.directory() != null) {
      builder.directory(upstream.directory());
    }
    return builder;
  }
}
