/**
 * Test support for Gatekit: {@link dev.gatekit.testkit.MockTransport}, an in-memory upstream that
 * answers concurrently, with scripted answers, latency and injected faults, and that records what it
 * saw.
 */
@NullMarked
package dev.gatekit.testkit;

import org.jspecify.annotations.NullMarked;
