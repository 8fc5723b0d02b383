/** The parts of the HTTP transport: the SSE parser, body readers, the session and the correlator. Not API. */
@NullMarked
package dev.gatekit.transport.http.internal;

import org.jspecify.annotations.NullMarked;
