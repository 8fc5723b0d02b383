package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;

/** Reads the answer of an MCP Streamable HTTP POST, for the tests that drive a gateway over HTTP. */
final class McpHttpAnswer {

  private static final ObjectMapper JSON = new ObjectMapper();

  private McpHttpAnswer() {}

  /** The response's JSON-RPC answer: the body, or the last {@code data:} event of an SSE stream that is one. */
  static JsonNode message(HttpResponse<String> answer) throws IOException {
    String type = answer.headers().firstValue("Content-Type").orElse("");
    if (!type.startsWith("text/event-stream")) {
      return JSON.readTree(answer.body());
    }
    JsonNode last = null;
    for (String line : answer.body().split("\n")) {
      if (line.startsWith("data:")) {
        JsonNode message = JSON.readTree(line.substring(5).strip());
        if (message.has("result") || message.has("error")) {
          last = message;
        }
      }
    }
    assertThat(last).as("an answer in the stream: " + answer.body()).isNotNull();
    return last;
  }
}
