/**
 * The plugin SPI: {@link dev.gatekit.api.plugin.SecurityPlugin}s allow or block messages,
 * {@link dev.gatekit.api.plugin.MiddlewarePlugin}s rewrite or answer them, and
 * {@link dev.gatekit.api.plugin.AuditingPlugin}s record every outcome. A
 * {@link dev.gatekit.api.plugin.PluginProvider}, found with {@link java.util.ServiceLoader}, builds a
 * plugin from its configuration.
 *
 * <p>Plugins are plain synchronous Java. The gateway decides on which threads they run and runs the
 * same plugin instance for many requests at once, so plugins must be thread-safe; per-request state
 * belongs in local variables or in the {@link dev.gatekit.api.plugin.PluginContext}.
 */
@NullMarked
package dev.gatekit.api.plugin;

import org.jspecify.annotations.NullMarked;
