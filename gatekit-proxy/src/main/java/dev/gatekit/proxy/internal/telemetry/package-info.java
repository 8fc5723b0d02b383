/**
 * The proxy's metrics and traces through the OpenTelemetry API: instruments made once per proxy, a
 * span per client request with its upstream calls and slow plugin stages beneath it, and trace context
 * carried in {@code params._meta}. With no SDK installed, everything here is switched off once, at
 * build time. Not API.
 */
@NullMarked
package dev.gatekit.proxy.internal.telemetry;

import org.jspecify.annotations.NullMarked;
