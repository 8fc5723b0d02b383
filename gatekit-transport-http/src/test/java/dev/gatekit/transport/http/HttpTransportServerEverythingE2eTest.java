package dev.gatekit.transport.http;

import static dev.gatekit.transport.http.Mcp.await;
import static dev.gatekit.transport.http.Mcp.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * End to end against the official reference server, {@code @modelcontextprotocol/server-everything},
 * run by Node.js in its {@code streamableHttp} mode (installed by {@code npm ci} in
 * gatekit-proxy/src/test/node). Skipped, with the reason, when Node.js or the package is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class HttpTransportServerEverythingE2eTest {

  private static final Path EVERYTHING =
      Path.of("..", "gatekit-proxy", "src", "test", "node", "node_modules", "@modelcontextprotocol",
          "server-everything", "dist", "index.js");

  /** Tools whose answers need a client feature this test does not offer (the experimental tasks API). */
  private static final List<String> NEEDS_TASKS =
      List.of("simulate-research-query", "trigger-sampling-request-async", "trigger-elicitation-request-async");

  private Process node;
  private HttpTransport transport;
  private final AtomicLong ids = new AtomicLong(100);
  private final Mcp.Recording handler =
      new Mcp.Recording(
          request ->
              switch (request.method()) {
                case McpMethods.SAMPLING_CREATE_MESSAGE -> json(
                    "{\"role\":\"assistant\",\"content\":{\"type\":\"text\",\"text\":\"sampled by gatekit\"},\"model\":\"test-model\"}");
                case McpMethods.ELICITATION_CREATE -> json("{\"action\":\"decline\"}");
                case McpMethods.ROOTS_LIST -> json("{\"roots\":[{\"uri\":\"file:///tmp\",\"name\":\"tmp\"}]}");
                default -> json("{}");
              });

  @BeforeAll
  void startServer() throws Exception {
    Assumptions.assumeTrue(
        Files.isRegularFile(EVERYTHING),
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    Assumptions.assumeTrue(nodeRuns(), "Node.js (node) is not on the PATH");
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    ProcessBuilder builder = new ProcessBuilder("node", EVERYTHING.toString(), "streamableHttp");
    builder.environment().put("PORT", Integer.toString(port));
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    node = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!listening(port)) {
      if (!node.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("server-everything did not start on port " + port);
      }
      Thread.sleep(50);
    }
    transport =
        HttpTransport.builder(URI.create("http://127.0.0.1:" + port + "/mcp"))
            .name("everything")
            .options(dev.gatekit.api.TransportOptions.builder().requestTimeout(Duration.ofSeconds(30)).build())
            .build();
    transport.setInboundHandler(handler);
    transport.start();
    Mcp.handshake(transport, McpMethods.LATEST_PROTOCOL_VERSION);
  }

  @AfterAll
  void stopServer() {
    if (transport != null) {
      transport.close();
    }
    if (node != null) {
      node.descendants().forEach(ProcessHandle::destroyForcibly);
      node.destroyForcibly();
    }
  }

  private static boolean nodeRuns() {
    try {
      Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return version.waitFor(20, TimeUnit.SECONDS) && version.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private JsonRpcResponse send(String method, JsonNode params) throws Exception {
    return transport
        .sendAndReceive(new JsonRpcRequest(RequestId.of(ids.incrementAndGet()), method, params))
        .get(40, TimeUnit.SECONDS);
  }

  private JsonNode result(String method, String params) throws Exception {
    JsonRpcResponse response = send(method, params == null ? null : json(params));
    assertThat(response.isError()).as("%s: %s", method, response.error()).isFalse();
    return response.result();
  }

  private List<JsonNode> tools() throws Exception {
    List<JsonNode> tools = new ArrayList<>();
    result(McpMethods.TOOLS_LIST, null).path("tools").forEach(tools::add);
    return tools;
  }

  /** Arguments that satisfy a tool's input schema: each required property gets a plain value of its type. */
  private static ObjectNode argumentsFor(JsonNode schema) {
    ObjectNode arguments = JsonNodeFactory.instance.objectNode();
    JsonNode properties = schema.path("properties");
    for (JsonNode required : schema.path("required")) {
      String name = required.asText();
      JsonNode property = properties.path(name);
      if (property.has("enum")) {
        arguments.set(name, property.path("enum").path(0));
        continue;
      }
      switch (property.path("type").asText("string")) {
        case "number", "integer" -> arguments.put(name, 2);
        case "boolean" -> arguments.put(name, true);
        case "object" -> arguments.putObject(name);
        case "array" -> arguments.putArray(name);
        default -> arguments.put(name, "uri".equals(property.path("format").asText()) ? "https://example.com/" : "hello");
      }
    }
    return arguments;
  }

  @Test
  void everyToolAnswers() throws Exception {
    // Tools that depend on the client's capabilities are registered once the session is initialized.
    await("the conditional tools", () -> {
      try {
        return tools().stream().anyMatch(t -> t.path("name").asText().equals("trigger-sampling-request"));
      } catch (Exception e) {
        return false;
      }
    });
    List<JsonNode> tools = tools();
    assertThat(tools.size()).isGreaterThanOrEqualTo(15);
    List<String> answered = new ArrayList<>();
    for (JsonNode tool : tools) {
      String name = tool.path("name").asText();
      if (NEEDS_TASKS.contains(name)) {
        continue;
      }
      ObjectNode params = JsonNodeFactory.instance.objectNode().put("name", name);
      ObjectNode arguments = argumentsFor(tool.path("inputSchema"));
      if (name.equals("trigger-long-running-operation")) {
        arguments.put("duration", 1).put("steps", 2);
      }
      params.set("arguments", arguments);
      JsonRpcResponse response = send(McpMethods.TOOLS_CALL, params);
      assertThat(response.id()).isNotNull();
      if (!response.isError() && !response.result().path("isError").asBoolean(false)) {
        answered.add(name);
      }
    }
    assertThat(answered).contains("echo", "get-sum", "get-tiny-image", "get-structured-content", "trigger-sampling-request",
        "trigger-elicitation-request", "get-roots-list", "trigger-long-running-operation");
  }

  @Test
  void echoAndSumWithManyInFlight() throws Exception {
    List<CompletableFuture<JsonRpcResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(transport.sendAndReceive(Mcp.call(1, "echo", "{\"message\":\"m" + i + "\"}")));
    }
    for (int i = 0; i < calls.size(); i++) {
      assertThat(Mcp.text(calls.get(i).get(30, TimeUnit.SECONDS))).isEqualTo("Echo: m" + i);
    }
    assertThat(Mcp.text(send(McpMethods.TOOLS_CALL, json("{\"name\":\"get-sum\",\"arguments\":{\"a\":2,\"b\":40}}"))))
        .contains("42");
  }

  @Test
  void samplingAndElicitationReachTheHandler() throws Exception {
    await("the conditional tools", () -> {
      try {
        return tools().stream().anyMatch(t -> t.path("name").asText().equals("trigger-sampling-request"));
      } catch (Exception e) {
        return false;
      }
    });
    JsonRpcResponse sampled =
        send(McpMethods.TOOLS_CALL, json("{\"name\":\"trigger-sampling-request\",\"arguments\":{\"prompt\":\"hi\",\"maxTokens\":10}}"));
    assertThat(Mcp.text(sampled)).contains("sampled by gatekit");
    JsonRpcResponse elicited = send(McpMethods.TOOLS_CALL, json("{\"name\":\"trigger-elicitation-request\",\"arguments\":{}}"));
    assertThat(elicited.isError()).isFalse();
    assertThat(handler.requests).extracting(JsonRpcRequest::method)
        .contains(McpMethods.SAMPLING_CREATE_MESSAGE, McpMethods.ELICITATION_CREATE);
  }

  @Test
  void progressArrivesBeforeTheAnswer() throws Exception {
    JsonRpcResponse done =
        send(
            McpMethods.TOOLS_CALL,
            json("{\"name\":\"trigger-long-running-operation\",\"arguments\":{\"duration\":1,\"steps\":3},\"_meta\":{\"progressToken\":\"p-e2e\"}}"));
    assertThat(done.isError()).isFalse();
    assertThat(handler.named(McpMethods.NOTIFICATIONS_PROGRESS).stream()
            .filter(n -> n.params().path("progressToken").asText().equals("p-e2e")))
        .hasSize(3);
  }

  @Test
  void loggingArrivesOnTheGetStream() throws Exception {
    result(McpMethods.LOGGING_SET_LEVEL, "{\"level\":\"debug\"}");
    result(McpMethods.TOOLS_CALL, "{\"name\":\"toggle-simulated-logging\",\"arguments\":{}}");
    try {
      await("a log message", () -> !handler.named(McpMethods.NOTIFICATIONS_MESSAGE).isEmpty());
    } finally {
      result(McpMethods.TOOLS_CALL, "{\"name\":\"toggle-simulated-logging\",\"arguments\":{}}");
    }
  }

  @Test
  void promptsAndResources() throws Exception {
    JsonNode prompts = result(McpMethods.PROMPTS_LIST, null).path("prompts");
    assertThat(prompts.size()).isGreaterThan(0);
    for (JsonNode prompt : prompts) {
      ObjectNode params = JsonNodeFactory.instance.objectNode().put("name", prompt.path("name").asText());
      ObjectNode arguments = params.putObject("arguments");
      for (JsonNode argument : prompt.path("arguments")) {
        if (argument.path("required").asBoolean(false)) {
          arguments.put(argument.path("name").asText(), argument.path("name").asText().contains("resource") ? "1" : "cold");
        }
      }
      JsonRpcResponse answer = send(McpMethods.PROMPTS_GET, params);
      assertThat(answer.id()).isNotNull(); // answered, with a result or an error the server chose
    }
    JsonNode resources = result(McpMethods.RESOURCES_LIST, null).path("resources");
    assertThat(resources.size()).isGreaterThan(0);
    for (int i = 0; i < Math.min(5, resources.size()); i++) {
      JsonNode read = result(McpMethods.RESOURCES_READ, "{\"uri\":\"" + resources.get(i).path("uri").asText() + "\"}");
      assertThat(read.path("contents").size()).isGreaterThan(0);
    }
    assertThat(result(McpMethods.RESOURCES_TEMPLATES_LIST, null).path("resourceTemplates").size()).isGreaterThan(0);
    assertThat(result(McpMethods.PING, null).isObject()).isTrue();
  }

  @Test
  void aTimeoutCancelsUpstreamAndTheSessionGoesOn() throws Exception {
    CompletableFuture<JsonRpcResponse> slow =
        transport.sendAndReceive(
            Mcp.call(1, "trigger-long-running-operation", "{\"duration\":5,\"steps\":5}"), Duration.ofMillis(300));
    try {
      slow.get(20, TimeUnit.SECONDS);
      throw new AssertionError("no timeout");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(RequestTimeoutException.class);
    }
    assertThat(Mcp.text(send(McpMethods.TOOLS_CALL, json("{\"name\":\"echo\",\"arguments\":{\"message\":\"after\"}}"))))
        .isEqualTo("Echo: after");
    assertThat(transport.stats().timedOut()).isEqualTo(1);
    assertThat(transport.stats().failed()).isZero();
    assertThat(transport.stats().inFlight()).isZero();
  }
}
