/** The parts of the stdio transport: framing, the writer, stderr draining and the correlator. Not API. */
@NullMarked
package dev.gatekit.transport.stdio.internal;

import org.jspecify.annotations.NullMarked;
