/**
 * Finding and building plugins: {@link dev.gatekit.proxy.plugins.PluginEntry} is one configured
 * plugin as a configuration file states it; the loader turns entries into plugins through the
 * {@link dev.gatekit.api.plugin.PluginProvider}s that {@link java.util.ServiceLoader} finds.
 */
@NullMarked
package dev.gatekit.proxy.plugins;

import org.jspecify.annotations.NullMarked;
