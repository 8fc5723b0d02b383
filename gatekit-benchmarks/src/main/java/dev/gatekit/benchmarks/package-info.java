/**
 * JMH benchmarks of Gatekit, run from {@code gatekit-benchmarks/target/benchmarks.jar} (see {@code
 * gatekit-benchmarks/BENCHMARKS.md}): {@link dev.gatekit.benchmarks.TransportThroughputBenchmark}
 * compares {@code StdioTransport} with the official MCP Java SDK's stdio client on the same upstream,
 * {@link dev.gatekit.benchmarks.PipeBaselineBenchmark} measures what the pipe itself allows, {@link
 * dev.gatekit.benchmarks.ProxyScenarioBenchmark} runs the seed's concurrent and sequential scenarios
 * through {@code GatekitProxy}, and {@link dev.gatekit.benchmarks.ProxyOverheadBenchmark} measures
 * what the proxy adds to the transport. {@link dev.gatekit.benchmarks.ScenarioReport} and {@link
 * dev.gatekit.benchmarks.OverheadReport} turn JMH's JSON results into the tables of the README.
 */
@NullMarked
package dev.gatekit.benchmarks;

import org.jspecify.annotations.NullMarked;
