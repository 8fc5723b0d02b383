package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.McpMethods;

/**
 * {@code notify {method?, count?}}: sends {@code count} notifications (default 1), then answers
 * "sent &lt;count&gt; notifications". The default method is {@code notifications/message} with
 * params {@code {"level":"info","logger":"gatekit-test-server","data":"notification i of n"}}; any
 * other method gets {@code {"index":i,"count":n}}.
 */
final class NotifyTool implements Tool {

  static final long MAX_COUNT = 1_000_000;

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{
            "method":{"type":"string",
              "description":"The notification method (default notifications/message)"},
            "count":{"type":"integer","minimum":0,"maximum":1000000,
              "description":"How many (default 1)"}}}
          """);

  private final MessageWriter writer;

  NotifyTool(MessageWriter writer) {
    this.writer = writer;
  }

  @Override
  public String name() {
    return "notify";
  }

  @Override
  public String description() {
    return "Sends notifications to the client before answering.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    String method = call.arguments().optionalString("method", McpMethods.NOTIFICATIONS_MESSAGE);
    long count = call.arguments().optionalLong("count", 1, 0, MAX_COUNT);
    for (long i = 1; i <= count; i++) {
      writer.send(new JsonRpcNotification(method, params(method, i, count)));
    }
    call.exchange().respond(ToolResults.text("sent " + count + " notifications"));
  }

  private static ObjectNode params(String method, long index, long count) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    if (method.equals(McpMethods.NOTIFICATIONS_MESSAGE)) {
      params.put("level", "info");
      params.put("logger", "gatekit-test-server");
      params.put("data", "notification " + index + " of " + count);
    } else {
      params.put("index", index);
      params.put("count", count);
    }
    return params;
  }
}
