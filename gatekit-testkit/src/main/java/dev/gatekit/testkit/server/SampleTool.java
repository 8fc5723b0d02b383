package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * {@code sample {prompt}}: asks the client for a completion with {@code sampling/createMessage}
 * (one user message with the prompt, {@code maxTokens} 100) and answers with the text of the
 * client's result. An error from the client, or a result without text, becomes a tool result with
 * {@code isError: true}. Waits without blocking any thread; cancelling the call cancels the request
 * to the client.
 */
final class SampleTool implements Tool {

  static final int MAX_TOKENS = 100;

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{"prompt":{"type":"string",
           "description":"The prompt to send to the client's model"}},"required":["prompt"]}
          """);

  private final OutboundRequests outbound;

  SampleTool(OutboundRequests outbound) {
    this.outbound = outbound;
  }

  @Override
  public String name() {
    return "sample";
  }

  @Override
  public String description() {
    return "Asks the client's model (sampling/createMessage) and returns its answer.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    String prompt = call.arguments().requiredString("prompt");
    Exchange exchange = call.exchange();
    CompletableFuture<JsonRpcResponse> reply =
        outbound.send(McpMethods.SAMPLING_CREATE_MESSAGE, request(prompt));
    exchange.onCancel(() -> reply.cancel(false));
    reply.thenAccept(response -> exchange.respond(toResult(response)));
  }

  private static ObjectNode request(String prompt) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    ObjectNode message = params.putArray("messages").addObject();
    message.put("role", "user");
    message.putObject("content").put("type", "text").put("text", prompt);
    params.put("maxTokens", MAX_TOKENS);
    return params;
  }

  private static ObjectNode toResult(JsonRpcResponse response) {
    JsonRpcError error = response.error();
    if (error != null) {
      return ToolResults.error(
          "Sampling failed: " + error.message() + " (code " + error.code() + ")");
    }
    StringBuilder text = new StringBuilder();
    boolean found = false;
    for (JsonNode block : contentBlocks(response.result())) {
      if (block.path("type").asText().equals("text") && block.path("text").isTextual()) {
        text.append(block.get("text").textValue());
        found = true;
      }
    }
    if (!found) {
      return ToolResults.error("Sampling result has no text content: " + response.result());
    }
    return ToolResults.text(text.toString());
  }

  /** Returns the result's content blocks: MCP 2025-11-25 allows one block or an array of them. */
  private static List<JsonNode> contentBlocks(@Nullable JsonNode result) {
    JsonNode content = result == null ? null : result.get("content");
    if (content == null) {
      return List.of();
    }
    if (!content.isArray()) {
      return List.of(content);
    }
    List<JsonNode> blocks = new ArrayList<>(content.size());
    content.forEach(blocks::add);
    return blocks;
  }
}
