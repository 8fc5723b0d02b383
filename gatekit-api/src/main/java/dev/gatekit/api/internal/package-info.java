/**
 * Building blocks shared by Gatekit's own transport implementations. Not part of the API: these
 * types may change in any release.
 */
@NullMarked
package dev.gatekit.api.internal;

import org.jspecify.annotations.NullMarked;
