package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The MCP messages the benchmarks send to the test kit's server (or to a mock that serves the same
 * tools), the handshake, and the checks of the answers.
 */
final class McpCalls {

  /** The text every echo call sends. */
  static final String TEXT = "hello from the gatekit benchmarks";

  /** How long a setup step may wait for one answer. */
  private static final long SETUP_TIMEOUT_SECONDS = 30;

  private McpCalls() {}

  /** The {@code initialize} request, with id 0, as an MCP client of this protocol version sends it. */
  static JsonRpcRequest initialize() {
    ObjectNode params = JsonRpcCodec.get().mapper().createObjectNode();
    params.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "gatekit-benchmarks").put("version", "0");
    return new JsonRpcRequest(RequestId.of(0), McpMethods.INITIALIZE, params);
  }

  /**
   * The echo call ({@code tools/call echo} with {@link #TEXT}), with id 1. Ids may repeat: every
   * path sends each request under a wire id of its own, so one request value serves every call.
   */
  static JsonRpcRequest echo() {
    ObjectNode params = JsonRpcCodec.get().mapper().createObjectNode();
    params.put("name", "echo");
    params.putObject("arguments").put("text", TEXT);
    return new JsonRpcRequest(RequestId.of(1), McpMethods.TOOLS_CALL, params);
  }

  /** The call {@code tools/call sleep {ms}}, with id 1: answered after {@code millis} ms. */
  static JsonRpcRequest sleep(long millis) {
    ObjectNode params = JsonRpcCodec.get().mapper().createObjectNode();
    params.put("name", "sleep");
    params.putObject("arguments").put("ms", millis);
    return new JsonRpcRequest(RequestId.of(1), McpMethods.TOOLS_CALL, params);
  }

  /**
   * Makes the MCP handshake over {@code caller} ({@code initialize}, then {@code
   * notifications/initialized}) and checks that echo answers with its text.
   *
   * @throws IllegalStateException if {@code initialize} or the echo fails
   */
  static void handshake(Caller caller) {
    JsonRpcResponse initialized = await(caller.call(initialize()));
    if (initialized.isError()) {
      throw new IllegalStateException("initialize failed: " + initialized.error());
    }
    caller.notify(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));
    checkEcho(await(caller.call(echo())));
  }

  /** Throws unless {@code response} is the echo of {@link #TEXT}. */
  static void checkEcho(JsonRpcResponse response) {
    JsonNode result = response.result();
    if (result == null || !TEXT.equals(result.path("content").path(0).path("text").asText())) {
      throw new IllegalStateException("echo did not answer with its text: " + response);
    }
  }

  private static JsonRpcResponse await(CompletableFuture<JsonRpcResponse> answer) {
    return answer.orTimeout(SETUP_TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
  }
}
