/**
 * {@link dev.gatekit.proxy.GatekitProxy}: serves one MCP client from one or more upstream
 * {@link dev.gatekit.api.Transport}s through the plugin pipeline, handling every request
 * concurrently; {@link dev.gatekit.proxy.StdioServer} connects it to a process's stdin and stdout.
 */
@NullMarked
package dev.gatekit.proxy;

import org.jspecify.annotations.NullMarked;
