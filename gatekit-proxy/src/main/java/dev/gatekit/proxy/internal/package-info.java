/** The proxy's parts: the plugin pipeline, routing across upstreams, and the client session. Not API. */
@NullMarked
package dev.gatekit.proxy.internal;

import org.jspecify.annotations.NullMarked;
