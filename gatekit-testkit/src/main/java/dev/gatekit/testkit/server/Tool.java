package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One tool of the test server. {@link #call} starts serving a call and returns without blocking;
 * the tool answers through {@link ToolCall#exchange()} then or later, from any thread.
 */
interface Tool {

  /** The tool's name in {@code tools/list} and {@code tools/call}. */
  String name();

  /** What the tool does, for {@code tools/list}. */
  String description();

  /**
   * The JSON schema of the tool's arguments, for {@code tools/list}; never changed after creation.
   */
  ObjectNode inputSchema();

  /**
   * Serves a call. May throw {@link InvalidParamsException} for bad arguments before it answers.
   */
  void call(ToolCall call);

  /** Whether calls of this tool count in the stats' in-flight gauges; the stats tools do not. */
  default boolean countsInFlight() {
    return true;
  }
}
