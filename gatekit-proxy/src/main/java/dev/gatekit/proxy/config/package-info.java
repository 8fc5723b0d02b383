/**
 * The YAML configuration of a Gatekit gateway: {@link dev.gatekit.proxy.config.ConfigLoader} reads
 * and validates a file into an immutable {@link dev.gatekit.proxy.config.GatekitConfig}, which builds
 * the upstream transports and the proxy.
 */
@NullMarked
package dev.gatekit.proxy.config;

import org.jspecify.annotations.NullMarked;
