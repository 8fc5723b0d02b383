package dev.gatekit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import dev.gatekit.testkit.MockTransport;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One upstream for the scenario tests, of either kind: a {@link MockTransport} that answers the
 * test server's tools itself (echo, sleep, fail, sample) after a 50 ms latency, or the real test
 * server ({@code TestMcpServer}) as a subprocess behind a {@link StdioTransport}. The scenarios run
 * unchanged against both; this class hides how each kind is observed.
 */
final class ScenarioUpstream {

  /** Which kind of upstream. */
  enum Kind {
    MOCK,
    STDIO
  }

  /** The mock's latency for every request but {@code sleep}: the seed's "50 ms upstream". */
  static final Duration MOCK_LATENCY = Duration.ofMillis(50);

  /** The name the proxy knows the upstream by. */
  static final String NAME = "test";

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Kind kind;
  private final Transport transport;
  private final AtomicLong statsIds = new AtomicLong();

  private ScenarioUpstream(Kind kind, Transport transport) {
    this.kind = kind;
    this.transport = transport;
  }

  static ScenarioUpstream create(Kind kind, TransportOptions options) {
    return switch (kind) {
      case MOCK -> new ScenarioUpstream(kind, mock(options));
      case STDIO -> new ScenarioUpstream(kind, stdio(options));
    };
  }

  Transport transport() {
    return transport;
  }

  MockTransport mock() {
    return (MockTransport) transport;
  }

  StdioTransport stdio() {
    return (StdioTransport) transport;
  }

  /**
   * The most tool calls the upstream itself held at once: the mock's count of requests in flight at
   * once, or the test server's own {@code stats} tool.
   */
  int maxConcurrent() {
    return kind == Kind.MOCK ? mock().maxConcurrent() : serverStats().path("maxInFlight").asInt();
  }

  /** Tool calls the upstream is serving now, as the upstream itself sees it. */
  int upstreamInFlight() {
    return kind == Kind.MOCK ? mock().stats().inFlight() : serverStats().path("inFlight").asInt();
  }

  /** Requests the transport still has pending (in flight or queued). */
  int transportPending() {
    if (kind == Kind.MOCK) {
      TransportStats stats = mock().stats();
      return stats.inFlight() + stats.queued();
    }
    return stdio().pendingCount();
  }

  /**
   * How many requests reached the upstream (every method, initialize included): what the mock
   * recorded, or the test server's own count minus the stats calls this class made.
   */
  long requestsReceived() {
    if (kind == Kind.MOCK) {
      return mock().requests().size();
    }
    long total = serverStats().path("requests").asLong();
    return total - statsIds.get(); // this class's stats calls, the one just made included
  }

  /** The test server's {@code stats}, asked directly through the transport, not through the proxy. */
  JsonNode serverStats() {
    RequestId id = RequestId.of("scenario-stats-" + statsIds.incrementAndGet());
    try {
      JsonRpcResponse response =
          stdio()
              .sendAndReceive(ScenarioRequests.call(id, "stats"), Duration.ofSeconds(30))
              .get(60, TimeUnit.SECONDS);
      return response.result().get("structuredContent");
    } catch (Exception e) {
      throw new AssertionError("asking the test server for its stats failed", e);
    }
  }

  /** Waits until neither the transport nor the upstream holds any request. */
  void awaitNothingPending() {
    ScenarioRequests.await(
        kind + " upstream idle (transport pending " + transportPending() + ")",
        () -> transportPending() == 0 && upstreamInFlight() == 0);
  }

  // ---------------------------------------------------------------------------------------------

  static ObjectNode initializeResult() {
    ObjectNode result = JSON.objectNode();
    result.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    ObjectNode capabilities = result.putObject("capabilities");
    capabilities.putObject("tools");
    capabilities.putObject("logging");
    result.putObject("serverInfo").put("name", "scenario-mock").put("version", "1");
    return result;
  }

  /** A mock that serves the test server's tools: echo, sleep, fail and sample. */
  static MockTransport mock(TransportOptions options) {
    AtomicReference<MockTransport> self = new AtomicReference<>();
    AtomicLong samplingIds = new AtomicLong();
    MockTransport mock =
        MockTransport.builder()
            .options(options)
            .result(McpMethods.INITIALIZE, initializeResult())
            .result(McpMethods.PING, JSON.objectNode())
            .handle(McpMethods.TOOLS_CALL, request -> toolCall(self.get(), samplingIds, request))
            .latency(ScenarioUpstream::mockLatency)
            .build();
    self.set(mock);
    return mock;
  }

  private static Duration mockLatency(JsonRpcRequest request) {
    if (McpMethods.TOOLS_CALL.equals(request.method())
        && "sleep".equals(request.params().path("name").asText())) {
      return Duration.ofMillis(request.params().path("arguments").path("ms").asLong());
    }
    return MOCK_LATENCY;
  }

  private static JsonRpcResponse toolCall(MockTransport mock, AtomicLong samplingIds, JsonRpcRequest request) {
    JsonNode params = request.params();
    String name = params.path("name").asText();
    JsonNode arguments = params.path("arguments");
    switch (name) {
      case "echo":
        return JsonRpcResponse.success(request.id(), textResult(arguments.path("text").asText()));
      case "sleep":
        return JsonRpcResponse.success(request.id(), textResult("slept " + arguments.path("ms").asLong() + " ms"));
      case "fail":
        return JsonRpcResponse.failure(
            request.id(),
            arguments.path("code").asInt(ErrorCodes.INTERNAL_ERROR),
            arguments.path("message").asText("Failure requested by the fail tool"));
      case "sample":
        return JsonRpcResponse.success(request.id(), sample(mock, samplingIds, arguments.path("prompt").asText()));
      default:
        return JsonRpcResponse.failure(request.id(), ErrorCodes.INVALID_PARAMS, "Unknown tool: " + name);
    }
  }

  /** Asks the client through the proxy, as the test server's sample tool does, and waits here. */
  private static ObjectNode sample(MockTransport mock, AtomicLong samplingIds, String prompt) {
    ObjectNode params = JSON.objectNode();
    ObjectNode message = params.putArray("messages").addObject();
    message.put("role", "user");
    message.putObject("content").put("type", "text").put("text", prompt);
    params.put("maxTokens", 100);
    JsonRpcRequest ask =
        new JsonRpcRequest(RequestId.of("srv-" + samplingIds.incrementAndGet()), McpMethods.SAMPLING_CREATE_MESSAGE, params);
    JsonRpcResponse reply;
    try {
      reply = mock.emitRequest(ask).get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("sampling through the proxy failed", e);
    }
    if (reply.isError()) {
      ObjectNode error = textResult("Sampling failed: " + reply.error().message());
      error.put("isError", true);
      return error;
    }
    return textResult(reply.result().path("content").path("text").asText());
  }

  private static ObjectNode textResult(String text) {
    ObjectNode result = JSON.objectNode();
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return result;
  }

  /** The real test server over stdio; C1 only, which starts faster. */
  static StdioTransport stdio(TransportOptions options, String... serverArgs) {
    return StdioTransport.builder(TestServer.command(List.of("-XX:TieredStopAtLevel=1"), serverArgs))
        .name(NAME)
        .options(options)
        .shutdownGracePeriods(Duration.ofSeconds(5), Duration.ofSeconds(5))
        .build();
  }
}
