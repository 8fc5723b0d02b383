/**
 * {@link dev.gatekit.transport.http.HttpTransport}: a remote MCP server reached over Streamable HTTP,
 * with any number of requests in flight and each response matched to its request.
 */
@NullMarked
package dev.gatekit.transport.http;

import org.jspecify.annotations.NullMarked;
