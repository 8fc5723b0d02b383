/** The {@code gatekit} command line. */
@NullMarked
package dev.gatekit.proxy.cli;

import org.jspecify.annotations.NullMarked;
