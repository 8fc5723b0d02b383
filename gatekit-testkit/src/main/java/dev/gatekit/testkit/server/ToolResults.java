package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds MCP {@code CallToolResult} objects. */
final class ToolResults {

  private ToolResults() {}

  /** Returns {@code {"content":[{"type":"text","text":text}]}}. */
  static ObjectNode text(String text) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return result;
  }

  /** Returns a text result that also carries {@code structuredContent}. */
  static ObjectNode text(String text, JsonNode structuredContent) {
    ObjectNode result = text(text);
    result.set("structuredContent", structuredContent);
    return result;
  }

  /** Returns a text result with {@code "isError": true}: the tool ran and failed. */
  static ObjectNode error(String text) {
    ObjectNode result = text(text);
    result.put("isError", true);
    return result;
  }
}
