package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.MockTransport;
import java.time.Duration;

/**
 * The upstream of the seed's scenarios, of either kind, serving the same two tools: {@code sleep
 * {ms}} answered after {@code ms} milliseconds, and {@code echo {text}} at once (used for priming).
 *
 * <ul>
 *   <li>{@code mock}: the test kit's {@link MockTransport}. The delay is the mock's latency, which
 *       its one scheduler thread counts down; no thread waits per request.
 *   <li>{@code stdio}: the test kit's MCP server over stdio ({@link TestServerTransport#build}),
 *       whose {@code sleep} tool schedules its answer on one scheduler thread.
 * </ul>
 *
 * Both take {@link #OPTIONS}: room for every request of the largest batch in flight at once, so
 * nothing is refused or queued.
 */
final class ScenarioUpstream {

  /** Room for the largest batch, twice over; a minute per request. */
  static final TransportOptions OPTIONS =
      TransportOptions.builder()
          .maxInFlight(20_000)
          .maxQueued(20_000)
          .requestTimeout(Duration.ofSeconds(60))
          .build();

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private ScenarioUpstream() {}

  /**
   * Returns an unstarted upstream of {@code kind}: {@code mock} or {@code stdio}.
   *
   * @throws IllegalArgumentException for any other kind
   */
  static Transport create(String kind) {
    return switch (kind) {
      case "mock" -> mock();
      case "stdio" -> TestServerTransport.build(OPTIONS);
      default -> throw new IllegalArgumentException("upstream must be mock or stdio, was " + kind);
    };
  }

  /** A mock serving {@code initialize}, {@code echo} and {@code sleep} as the test server does. */
  static MockTransport mock() {
    return MockTransport.builder()
        .options(OPTIONS)
        .result(McpMethods.INITIALIZE, initializeResult())
        .handle(McpMethods.TOOLS_CALL, ScenarioUpstream::toolCall)
        .latency(ScenarioUpstream::latency)
        .build();
  }

  private static Duration latency(JsonRpcRequest request) {
    JsonNode params = request.params();
    if (params != null && "sleep".equals(params.path("name").asText())) {
      return Duration.ofMillis(params.path("arguments").path("ms").asLong());
    }
    return Duration.ZERO;
  }

  private static JsonRpcResponse toolCall(JsonRpcRequest request) {
    JsonNode params = request.params();
    String name = params == null ? "" : params.path("name").asText();
    JsonNode arguments = params == null ? JSON.objectNode() : params.path("arguments");
    return switch (name) {
      case "echo" -> JsonRpcResponse.success(request.id(), text(arguments.path("text").asText()));
      case "sleep" ->
          JsonRpcResponse.success(
              request.id(), text("slept " + arguments.path("ms").asLong() + " ms"));
      default ->
          JsonRpcResponse.failure(request.id(), ErrorCodes.INVALID_PARAMS, "Unknown tool: " + name);
    };
  }

  private static ObjectNode initializeResult() {
    ObjectNode result = JSON.objectNode();
    result.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    result.putObject("capabilities").putObject("tools");
    result.putObject("serverInfo").put("name", "gatekit-benchmarks-mock").put("version", "0");
    return result;
  }

  private static ObjectNode text(String text) {
    ObjectNode result = JSON.objectNode();
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return result;
  }
}
