/**
 * The chain every message passes, in the manner of OkHttp's interceptor chain: a list of {@link
 * dev.gatekit.proxy.internal.chain.Stage}s and an index. Auditing wraps the whole chain, each plugin
 * is one stage, and the far side (an upstream, or the client for a server-to-client request) is the
 * last. Not API.
 */
@NullMarked
package dev.gatekit.proxy.internal.chain;

import org.jspecify.annotations.NullMarked;
