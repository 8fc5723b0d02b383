/**
 * The YAML configuration of a Gatekit gateway: {@link dev.gatekit.proxy.config.ConfigLoader} reads
 * and validates a file into an immutable {@link dev.gatekit.proxy.config.GatekitConfig};
 * {@link dev.gatekit.proxy.config.ProxyFactory} builds the proxy and its upstream transports from
 * it, with the plugins a {@link dev.gatekit.proxy.config.PluginWiring} adds.
 *
 * <p>This package depends on {@code dev.gatekit.proxy.plugins} (the entries it reads are
 * {@link dev.gatekit.proxy.plugins.PluginEntry}s, which {@link
 * dev.gatekit.proxy.config.ServiceLoaderWiring} builds with the plugin loader), never the other way
 * round.
 */
@NullMarked
package dev.gatekit.proxy.config;

import org.jspecify.annotations.NullMarked;
