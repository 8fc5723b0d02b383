/**
 * Finding and building plugins: {@link dev.gatekit.proxy.plugins.PluginEntry} is one configured
 * plugin as a configuration states it; the {@link dev.gatekit.proxy.plugins.PluginLoader} turns
 * entries into plugins through the {@link dev.gatekit.api.plugin.PluginProvider}s that
 * {@link java.util.ServiceLoader} finds. Entries are plain values, so this package knows nothing of
 * configuration files: {@code dev.gatekit.proxy.config} produces entries and uses the loader.
 */
@NullMarked
package dev.gatekit.proxy.plugins;

import org.jspecify.annotations.NullMarked;
