package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code reset_stats {}}: sets {@code maxInFlight} back to the calls in flight now and forgets the
 * cancelled ids, so that a test can measure one scenario. {@code requests} keeps counting.
 */
final class ResetStatsTool implements Tool {

  private final ObjectNode schema = JsonSchemas.parse("{\"type\":\"object\",\"properties\":{}}");
  private final ServerStats stats;

  ResetStatsTool(ServerStats stats) {
    this.stats = stats;
  }

  @Override
  public String name() {
    return "reset_stats";
  }

  @Override
  public String description() {
    return "Resets maxInFlight and the list of cancelled ids of the stats tool.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public boolean countsInFlight() {
    return false;
  }

  @Override
  public void call(ToolCall call) {
    stats.reset();
    call.exchange().respond(ToolResults.text("stats reset"));
  }
}
