package dev.gatekit.proxy.config;

import dev.gatekit.api.Transport;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.transport.http.HttpTransport;
import dev.gatekit.transport.http.ReconnectPolicy;
import dev.gatekit.transport.stdio.RestartPolicy;
import dev.gatekit.transport.stdio.StdioTransport;

/**
 * Builds a proxy, and a transport for each of its upstreams, from a {@link GatekitConfig}: the one
 * place where a configuration becomes running parts. Nothing is started here: the transports start
 * when the proxy connects.
 */
public final class ProxyFactory {

  private ProxyFactory() {}

  /**
   * Returns a proxy builder with the configuration's {@code initialize} timeout, the protocol
   * versions it accepts from clients ({@code proxy.protocol_versions}), its upstreams (in
   * the file's order, under their names) and the plugins {@code plugins} adds. An upstream marked
   * {@code shared} is one transport that every client session uses ({@link
   * GatekitProxy.Builder#upstream}); any other gets a new transport for each session ({@link
   * GatekitProxy.Builder#upstreamPerSession}): for a command, its own process. The stdio front has
   * one session, so there both come to one transport per upstream.
   *
   * @throws ConfigException if {@code plugins} cannot build an entry
   */
  public static GatekitProxy.Builder proxyBuilder(GatekitConfig config, PluginWiring plugins) throws ConfigException {
    GatekitProxy.Builder builder = GatekitProxy.builder().initializeTimeout(config.connectionTimeout())
        .protocolVersions(config.protocolVersions());
    for (GatekitConfig.Upstream upstream : config.upstreams()) {
      if (upstream.shared()) {
        builder.upstream(upstream.name(), transport(config, upstream));
      } else {
        builder.upstreamPerSession(upstream.name(), () -> transport(config, upstream));
      }
    }
    plugins.wire(config, builder);
    return builder;
  }

  /**
   * Returns the unstarted transport to {@code upstream}: an {@link HttpTransport} for a url upstream
   * ({@link #httpTransportBuilder}), a {@link StdioTransport} for a command ({@link #transportBuilder}).
   */
  public static Transport transport(GatekitConfig config, GatekitConfig.Upstream upstream) {
    return upstream.isRemote() ? httpTransportBuilder(config, upstream).build() : transportBuilder(config, upstream).build();
  }

  /**
   * Returns a builder of the transport to a command {@code upstream}: its command, environment,
   * working directory and restart policy, with the transport options and line limit of {@code config}.
   *
   * @throws IllegalArgumentException for a url upstream
   */
  public static StdioTransport.Builder transportBuilder(GatekitConfig config, GatekitConfig.Upstream upstream) {
    if (upstream.isRemote()) {
      throw new IllegalArgumentException("upstream '" + upstream.name() + "' is a url, not a command: use httpTransportBuilder");
    }
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

  /**
   * Returns a builder of the transport to a url {@code upstream}: its URL and headers, the transport
   * options of {@code config}, its line limit as the bound on a response body or stream event, and
   * {@code restart_on_failure}/{@code max_restart_attempts} as the {@link ReconnectPolicy} (a new
   * session after the server forgot the old one), with the same attempts and backoff.
   *
   * @throws IllegalArgumentException for a command upstream
   */
  public static HttpTransport.Builder httpTransportBuilder(GatekitConfig config, GatekitConfig.Upstream upstream) {
    if (!upstream.isRemote()) {
      throw new IllegalArgumentException("upstream '" + upstream.name() + "' is a command, not a url: use transportBuilder");
    }
    RestartPolicy restart = upstream.restartPolicy();
    ReconnectPolicy reconnect = restart.enabled()
        ? new ReconnectPolicy(restart.maxAttempts(), restart.initialBackoff(), restart.maxBackoff())
        : ReconnectPolicy.never();
    return HttpTransport.builder(upstream.url())
        .name(upstream.name())
        .headers(upstream.headers())
        .options(config.options())
        .maxMessageBytes(config.maxLineLength())
        .reconnectPolicy(reconnect);
  }
}
