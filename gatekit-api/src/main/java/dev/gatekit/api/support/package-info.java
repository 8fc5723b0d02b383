/**
 * Building blocks for transport and front authors, used by Gatekit's own: the line framing of the
 * MCP stdio transport ({@link dev.gatekit.api.support.LineReader}, a bounded line reader, and {@link
 * dev.gatekit.api.support.MessageWriter}, a batching writer that never blocks its senders), the
 * in-flight limit with its overflow policies ({@link dev.gatekit.api.support.InFlightLimiter}), the
 * counters behind {@link dev.gatekit.api.TransportStats} ({@link
 * dev.gatekit.api.support.TransportCounters}), and a serial executor ({@link
 * dev.gatekit.api.support.SerialExecutor}). Each type documents its contract and its threading.
 */
@NullMarked
package dev.gatekit.api.support;

import org.jspecify.annotations.NullMarked;
