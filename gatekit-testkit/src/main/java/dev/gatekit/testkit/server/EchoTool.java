package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** {@code echo {text}}: answers at once with {@code text} as text content. */
final class EchoTool implements Tool {

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object",
           "properties":{"text":{"type":"string","description":"The text to return"}},
           "required":["text"]}
          """);

  @Override
  public String name() {
    return "echo";
  }

  @Override
  public String description() {
    return "Returns the given text unchanged.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    call.exchange().respond(ToolResults.text(call.arguments().requiredString("text")));
  }
}
