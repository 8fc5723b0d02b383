/**
 * A real MCP server over stdio, in Java, for the tests of transports and proxies, the {@code
 * gatekit demo} command and the benchmarks: {@link dev.gatekit.testkit.server.TestMcpServer} is the
 * server (a main class) and {@link dev.gatekit.testkit.server.TestServer} starts it as a subprocess
 * of the current JVM.
 *
 * <p>Everything else in this package is the server's own machinery and not an API.
 */
@NullMarked
package dev.gatekit.testkit.server;

import org.jspecify.annotations.NullMarked;
