/**
 * {@link dev.gatekit.transport.stdio.StdioTransport}: an MCP server started as a subprocess, with any
 * number of requests in flight over its stdin and stdout and each response matched to its request.
 */
@NullMarked
package dev.gatekit.transport.stdio;

import org.jspecify.annotations.NullMarked;
