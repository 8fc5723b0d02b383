package dev.gatekit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;

/** Builds the client's messages for the scenario tests, and waits on conditions. */
final class ScenarioRequests {

  /** How long any test waits for a condition before it fails; generous for a loaded machine. */
  static final Duration WAIT = Duration.ofSeconds(60);

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private ScenarioRequests() {}

  static JsonRpcRequest initialize(RequestId id) {
    ObjectNode params = JSON.objectNode();
    params.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    params.putObject("capabilities").putObject("sampling");
    params.putObject("clientInfo").put("name", "scenario-client").put("version", "1");
    return new JsonRpcRequest(id, McpMethods.INITIALIZE, params);
  }

  static JsonRpcNotification initialized() {
    return new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null);
  }

  static JsonRpcNotification cancelled(RequestId id) {
    ObjectNode params = JSON.objectNode();
    params.set("requestId", id.toJson());
    params.put("reason", "the test gave up");
    return new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params);
  }

  /** A {@code tools/call} of {@code tool} with arguments given as key, value, key, value, ... */
  static JsonRpcRequest call(RequestId id, String tool, Object... keyValues) {
    ObjectNode params = JSON.objectNode();
    params.put("name", tool);
    ObjectNode arguments = params.putObject("arguments");
    for (int i = 0; i < keyValues.length; i += 2) {
      String key = (String) keyValues[i];
      Object value = keyValues[i + 1];
      if (value instanceof Integer n) {
        arguments.put(key, n);
      } else if (value instanceof Long n) {
        arguments.put(key, n);
      } else {
        arguments.put(key, String.valueOf(value));
      }
    }
    return new JsonRpcRequest(id, McpMethods.TOOLS_CALL, params);
  }

  static JsonRpcRequest echo(RequestId id, String text) {
    return call(id, "echo", "text", text);
  }

  static JsonRpcRequest sample(RequestId id, String prompt) {
    return call(id, "sample", "prompt", prompt);
  }

  static JsonRpcRequest sleep(RequestId id, long millis) {
    return call(id, "sleep", "ms", millis);
  }

  static JsonRpcRequest fail(RequestId id, int code, String message) {
    return call(id, "fail", "code", code, "message", message);
  }

  /** The text of a tool result's first content item; fails on an error response. */
  static String text(JsonRpcResponse response) {
    if (response.isError()) {
      throw new AssertionError("expected a result, got error " + response.error() + " for id " + response.id());
    }
    JsonNode text = response.result().path("content").path(0).path("text");
    if (!text.isTextual()) {
      throw new AssertionError("expected a text result, got " + response.result());
    }
    return text.textValue();
  }

  /** Waits for a condition without a fixed sleep: polls with growing short parks up to {@link #WAIT}. */
  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long park = 500_000; // from 0.5 ms up to 20 ms: quick when it is quick, gentle when polling a subprocess
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out after " + WAIT.toSeconds() + " s waiting for: " + what);
      }
      LockSupport.parkNanos(park);
      park = Math.min(park * 2, 20_000_000);
    }
  }
}
