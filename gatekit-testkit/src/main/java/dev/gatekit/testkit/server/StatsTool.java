package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@code stats {}}: answers with {@code {"inFlight","maxInFlight","requests","cancelled"}} as
 * {@code structuredContent} and as JSON text. Calls of the stats tools are not counted in flight,
 * so asking does not change the answer; {@code requests} does include this call's request.
 */
final class StatsTool implements Tool {

  private final ObjectNode schema = JsonSchemas.parse("{\"type\":\"object\",\"properties\":{}}");
  private final ServerStats stats;

  StatsTool(ServerStats stats) {
    this.stats = stats;
  }

  @Override
  public String name() {
    return "stats";
  }

  @Override
  public String description() {
    return "Reports tool calls in flight now and at most, requests received and cancelled ids.";
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
    ObjectNode snapshot = stats.snapshot();
    call.exchange().respond(ToolResults.text(snapshot.toString(), snapshot));
  }
}
