package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The server's tools by name, and the {@code tools/list} result describing them. */
final class ToolRegistry {

  private final Map<String, Tool> tools = new LinkedHashMap<>();
  private final ObjectNode listResult;

  ToolRegistry(List<Tool> tools) {
    ArrayNode descriptions = JsonNodeFactory.instance.arrayNode();
    for (Tool tool : tools) {
      if (this.tools.putIfAbsent(tool.name(), tool) != null) {
        throw new IllegalArgumentException("two tools are named " + tool.name());
      }
      descriptions
          .addObject()
          .put("name", tool.name())
          .put("description", tool.description())
          .set("inputSchema", tool.inputSchema());
    }
    this.listResult = JsonNodeFactory.instance.objectNode();
    this.listResult.set("tools", descriptions);
  }

  /** Returns the tool of that name, or {@code null}. */
  @Nullable Tool find(String name) {
    return tools.get(name);
  }

  /**
   * Returns the {@code tools/list} result. The same tree is returned every time: it is shared by
   * the responses that carry it and must not be changed.
   */
  ObjectNode listResult() {
    return listResult;
  }
}
