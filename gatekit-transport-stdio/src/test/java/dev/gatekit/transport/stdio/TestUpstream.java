package dev.gatekit.transport.stdio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Starts the test kit's MCP server behind a {@link StdioTransport} and builds requests for it. */
final class TestUpstream {

  static final Duration WAIT = Duration.ofSeconds(30);

  private TestUpstream() {}

  static StdioTransport.Builder builder(String... serverArgs) {
    return StdioTransport.builder(TestServer.command(serverArgs))
        .name("test")
        .shutdownGracePeriods(Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  static StdioTransport start(TransportOptions options, String... serverArgs) {
    StdioTransport transport = builder(serverArgs).options(options).build();
    transport.start();
    return transport;
  }

  static StdioTransport start(String... serverArgs) {
    return start(TransportOptions.defaults(), serverArgs);
  }

  static JsonRpcRequest call(RequestId id, String tool, Object... keyValues) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("name", tool);
    ObjectNode arguments = params.putObject("arguments");
    for (int i = 0; i < keyValues.length; i += 2) {
      Object value = keyValues[i + 1];
      if (value instanceof Integer n) {
        arguments.put((String) keyValues[i], n);
      } else if (value instanceof Long n) {
        arguments.put((String) keyValues[i], n);
      } else {
        arguments.put((String) keyValues[i], String.valueOf(value));
      }
    }
    return new JsonRpcRequest(id, McpMethods.TOOLS_CALL, params);
  }

  static JsonRpcRequest call(long id, String tool, Object... keyValues) {
    return call(RequestId.of(id), tool, keyValues);
  }

  /** The text of a tool result's first content item. */
  static String text(JsonRpcResponse response) {
    if (response.isError()) {
      throw new AssertionError("expected a result, got error " + response.error());
    }
    return response.result().get("content").get(0).get("text").asText();
  }

  /** The server's own view: tool calls in flight now and at most, requests seen, cancelled ids. */
  static JsonNode serverStats(StdioTransport transport) throws Exception {
    JsonRpcResponse response =
        transport.sendAndReceive(call(RequestId.of("stats"), "stats")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    return response.result().get("structuredContent");
  }

  static void resetServerStats(StdioTransport transport) throws Exception {
    transport.sendAndReceive(call(RequestId.of("reset"), "reset_stats")).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static List<Long> cancelledIds(StdioTransport transport) throws Exception {
    List<Long> ids = new ArrayList<>();
    serverStats(transport).get("cancelled").forEach(id -> ids.add(id.asLong()));
    return ids;
  }

  /** Waits for a condition without a fixed sleep: polls with short parks up to the deadline. */
  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }
}
