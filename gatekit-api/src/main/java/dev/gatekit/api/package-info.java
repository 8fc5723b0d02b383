/**
 * The vocabulary of Gatekit: JSON-RPC 2.0 and MCP messages, the codec that turns bytes into them and
 * back, the {@link dev.gatekit.api.Transport} contract for a connection to one upstream MCP server,
 * and the errors a client of the gateway can see.
 *
 * <p>Everything in this package is either an immutable value or an interface; implementations live in
 * other modules.
 */
@NullMarked
package dev.gatekit.api;

import org.jspecify.annotations.NullMarked;
