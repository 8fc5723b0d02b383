/**
 * Helpers for testing plugins in a few lines: {@link dev.gatekit.testkit.plugin.PluginTester} builds
 * plugins from options through their provider, runs messages through one plugin or a small pipeline
 * with the gateway's ordering and fail-closed rules, and checks the decision.
 */
@NullMarked
package dev.gatekit.testkit.plugin;

import org.jspecify.annotations.NullMarked;
