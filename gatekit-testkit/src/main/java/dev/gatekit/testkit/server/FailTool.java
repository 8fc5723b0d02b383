package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;

/**
 * {@code fail {code?, message?}}: answers with a JSON-RPC error response (not a tool result), by
 * default {@value #DEFAULT_CODE} (internal error) and "{@value #DEFAULT_MESSAGE}".
 */
final class FailTool implements Tool {

  static final int DEFAULT_CODE = ErrorCodes.INTERNAL_ERROR;
  static final String DEFAULT_MESSAGE = "Failure requested by the fail tool";

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{
            "code":{"type":"integer","description":"The JSON-RPC error code (default -32603)"},
            "message":{"type":"string","description":"The error message"}}}
          """);

  @Override
  public String name() {
    return "fail";
  }

  @Override
  public String description() {
    return "Answers with a JSON-RPC error of the given code and message.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    ToolArguments arguments = call.arguments();
    long code = arguments.optionalLong("code", DEFAULT_CODE, Integer.MIN_VALUE, Integer.MAX_VALUE);
    String message = arguments.optionalString("message", DEFAULT_MESSAGE);
    call.exchange().respondError((int) code, message);
  }
}
