/** The {@code gatekit} command line. */
@NullMarked
package dev.gatekit.cli;

import org.jspecify.annotations.NullMarked;
