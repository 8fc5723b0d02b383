package dev.gatekit.proxy;

/**
 * A snapshot of a proxy's counters. {@code inFlight} returns to zero when no client request is being
 * handled; the others only grow.
 *
 * @param inFlight client requests being handled now
 * @param maxInFlight the most client requests handled at once
 * @param handled client requests answered (with a result or an error)
 * @param blocked client requests and upstream responses blocked by a security plugin
 * @param failed client requests answered with an error the proxy produced (upstream unavailable,
 *     timeout, overloaded, plugin failure, bad routing), not counting blocks
 * @param cancelled client requests the client cancelled
 * @param notifications notifications passed in either direction
 */
public record ProxyStats(
    int inFlight, int maxInFlight, long handled, long blocked, long failed, long cancelled, long notifications) {}
