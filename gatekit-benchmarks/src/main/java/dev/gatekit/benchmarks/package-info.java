/**
 * JMH benchmarks of Gatekit, run from {@code gatekit-benchmarks/target/benchmarks.jar} (see {@code
 * gatekit-benchmarks/BENCHMARKS.md}): {@link dev.gatekit.benchmarks.TransportThroughputBenchmark}
 * compares {@code StdioTransport} with the official MCP Java SDK's stdio client on the same upstream,
 * and {@link dev.gatekit.benchmarks.PipeBaselineBenchmark} measures what the pipe itself allows.
 */
@NullMarked
package dev.gatekit.benchmarks;

import org.jspecify.annotations.NullMarked;
