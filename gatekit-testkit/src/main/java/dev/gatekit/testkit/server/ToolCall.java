package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import org.jspecify.annotations.Nullable;

/**
 * One {@code tools/call}: its exchange (to answer through), its arguments and the progress token
 * from {@code params._meta.progressToken}, if the client sent one.
 */
record ToolCall(Exchange exchange, ToolArguments arguments, @Nullable JsonNode progressToken) {}
