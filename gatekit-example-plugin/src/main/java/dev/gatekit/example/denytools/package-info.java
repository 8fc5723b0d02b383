/**
 * {@code deny_tools}: the example third-party plugin of the README, a {@link
 * dev.gatekit.api.plugin.PluginProvider} shipped in a jar of its own and found by the gateway through
 * {@link java.util.ServiceLoader}.
 */
@NullMarked
package dev.gatekit.example.denytools;

import org.jspecify.annotations.NullMarked;
