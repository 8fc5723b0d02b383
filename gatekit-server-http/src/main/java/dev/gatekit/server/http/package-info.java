/**
 * The Streamable HTTP front of a Gatekit gateway: {@link dev.gatekit.server.http.StreamableHttpServer}
 * serves one {@link dev.gatekit.proxy.GatekitProxy} to many MCP clients at once, one proxy session per
 * client, as MCP Streamable HTTP (2025-11-25, 2025-06-18 and 2025-03-26) specifies.
 */
@NullMarked
package dev.gatekit.server.http;

import org.jspecify.annotations.NullMarked;
