/** The HTTP front's internals: sessions, their event streams and the Jetty handler. Not API. */
@NullMarked
package dev.gatekit.server.http.internal;

import org.jspecify.annotations.NullMarked;
