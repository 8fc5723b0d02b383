package dev.gatekit.server.http;

import static dev.gatekit.server.http.StreamableHttpServerTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.TransportOptions;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.transport.stdio.StdioTransport;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The official MCP Java SDK's Streamable HTTP client against the front, with the official reference
 * server ({@code server-everything}, Node.js, over stdio) behind it, one server process per session.
 * Skipped, with the reason, when server-everything is not installed.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ServerEverythingThroughFrontE2eTest {

  private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();
  private GatekitProxy proxy;
  private StreamableHttpServer server;
  private long processesBefore;

  @BeforeEach
  void start() {
    List<String> command = ServerEverything.command();
    processesBefore = ServerEverything.running();
    proxy = GatekitProxy.builder()
        .upstreamPerSession("everything", () -> StdioTransport.builder(command).name("everything")
            .options(TransportOptions.builder().requestTimeout(Duration.ofSeconds(60)).build()).build())
        .build();
    server = StreamableHttpServer.builder(proxy)
        .sessionIdleTimeout(Duration.ofSeconds(2))
        .build();
    server.start();
  }

  @AfterEach
  void stop() {
    for (McpSyncClient client : clients) {
      client.closeGracefully();
    }
    if (server != null) {
      server.close();
      proxy.close();
      awaitTrue(() -> ServerEverything.running() == processesBefore);
    }
  }

  /** A client of its own session, recording what the server sends it unasked. */
  private record Client(McpSyncClient sdk, List<ProgressNotification> progress, List<LoggingMessageNotification> logs) {}

  private Client connect() {
    List<ProgressNotification> progress = new CopyOnWriteArrayList<>();
    List<LoggingMessageNotification> logs = new CopyOnWriteArrayList<>();
    HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
        .builder("http://127.0.0.1:" + server.port())
        .endpoint("/mcp")
        .build();
    McpSyncClient sdk = McpClient.sync(transport)
        .clientInfo(new Implementation("gatekit-front-e2e", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(60))
        .initializationTimeout(Duration.ofSeconds(60))
        .capabilities(ClientCapabilities.builder().sampling().elicitation().build())
        .sampling(request -> CreateMessageResult.builder()
            .role(Role.ASSISTANT)
            .content(new TextContent("sampled: " + ((TextContent) request.messages().get(0).content()).text()))
            .model("test-model")
            .build())
        .elicitation(request -> new ElicitResult(ElicitResult.Action.DECLINE, null))
        .progressConsumer(progress::add)
        .loggingConsumer(logs::add)
        .build();
    clients.add(sdk);
    sdk.initialize();
    return new Client(sdk, progress, logs);
  }

  private static String text(CallToolResult result) {
    return result.content().stream().filter(TextContent.class::isInstance)
        .map(c -> ((TextContent) c).text()).collect(Collectors.joining());
  }

  @Test
  void listsAndAToolCall() {
    McpSyncClient sdk = connect().sdk();
    assertThat(sdk.listTools().tools()).extracting(t -> t.name()).contains("echo", "trigger-long-running-operation");
    assertThat(sdk.listPrompts().prompts()).isNotEmpty();
    assertThat(sdk.listResources().resources()).isNotEmpty();
    assertThat(sdk.listResourceTemplates().resourceTemplates()).isNotEmpty();
    assertThat(text(sdk.callTool(CallToolRequest.builder().name("echo").arguments(Map.of("message", "hi")).build())))
        .isEqualTo("Echo: hi");
  }

  @Test
  void samplingAndElicitationAreAnsweredByTheClient() {
    McpSyncClient sdk = connect().sdk();
    String prompt = "Name a prime. " + UUID.randomUUID();
    String sampled = text(sdk.callTool(CallToolRequest.builder().name("trigger-sampling-request")
        .arguments(Map.of("prompt", prompt, "maxTokens", 42)).build()));
    assertThat(sampled).startsWith("LLM sampling result:").contains("sampled: ").contains(prompt);

    String elicited = text(sdk.callTool(CallToolRequest.builder().name("trigger-elicitation-request")
        .arguments(Map.of()).build()));
    assertThat(elicited.toLowerCase()).contains("decline");
  }

  @Test
  void progressAndLogMessagesReachTheClient() {
    Client client = connect();
    String token = "progress-" + UUID.randomUUID();
    CallToolResult result = client.sdk().callTool(CallToolRequest.builder().name("trigger-long-running-operation")
        .arguments(Map.of("duration", 1, "steps", 4)).progressToken(token).build());
    assertThat(text(result)).isEqualTo("Long running operation completed. Duration: 1 seconds, Steps: 4.");
    awaitTrue(() -> client.progress().size() >= 4);
    assertThat(client.progress()).extracting(ProgressNotification::progress).containsExactly(1.0, 2.0, 3.0, 4.0);

    client.sdk().setLoggingLevel(LoggingLevel.DEBUG);
    assertThat(text(client.sdk().callTool(CallToolRequest.builder().name("toggle-simulated-logging")
        .arguments(Map.of()).build()))).startsWith("Started simulated");
    awaitTrue(() -> !client.logs().isEmpty());
    assertThat(text(client.sdk().callTool(CallToolRequest.builder().name("toggle-simulated-logging")
        .arguments(Map.of()).build()))).startsWith("Stopped simulated");
  }

  @Test
  void twoClientsAtOnceKeepTheirTrafficAndProcessesApart() {
    Client first = connect();
    Client second = connect();
    assertThat(server.sessionCount()).isEqualTo(2);
    assertThat(ServerEverything.running() - processesBefore).isEqualTo(2);
    String token = "first-" + UUID.randomUUID();
    first.sdk().callTool(CallToolRequest.builder().name("trigger-long-running-operation")
        .arguments(Map.of("duration", 1, "steps", 2)).progressToken(token).build());
    assertThat(text(second.sdk().callTool(CallToolRequest.builder().name("echo")
        .arguments(Map.of("message", "second")).build()))).isEqualTo("Echo: second");
    awaitTrue(() -> first.progress().size() >= 2);
    assertThat(second.progress()).isEmpty();
    // One session's logging level and messages stay in it.
    first.sdk().setLoggingLevel(LoggingLevel.DEBUG);
    first.sdk().callTool(CallToolRequest.builder().name("toggle-simulated-logging").arguments(Map.of()).build());
    awaitTrue(() -> !first.logs().isEmpty());
    first.sdk().callTool(CallToolRequest.builder().name("toggle-simulated-logging").arguments(Map.of()).build());
    assertThat(second.logs()).isEmpty();

    first.sdk().closeGracefully(); // DELETE: its session and its process end, the other's go on
    clients.remove(first.sdk());
    awaitTrue(() -> server.sessionCount() == 1 && ServerEverything.running() - processesBefore == 1);
    assertThat(text(second.sdk().callTool(CallToolRequest.builder().name("echo")
        .arguments(Map.of("message", "still")).build()))).isEqualTo("Echo: still");
  }

  @Test
  void aCancelledRequestEndsItsStream() {
    Http http = new Http(server.endpoint());
    String session = http.initialize();
    try (Http.Sse stream = http.stream("POST",
        "{\"jsonrpc\":\"2.0\",\"id\":\"long\",\"method\":\"tools/call\",\"params\":{\"name\":\"trigger-long-running-operation\","
            + "\"arguments\":{\"duration\":60,\"steps\":60},\"_meta\":{\"progressToken\":\"p\"}}}",
        Http.postHeaders(session))) {
      assertThat(firstProgress(stream).data().path("method").asText()).isEqualTo("notifications/progress");
      HttpResponse<String> cancel = http.post(session,
          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"long\",\"reason\":\"test\"}}");
      assertThat(cancel.statusCode()).isEqualTo(202);
      Http.Event rest;
      while ((rest = stream.next()) != null) {
        assertThat(rest.data().has("result")).as("no answer after a cancellation").isFalse();
      }
    }
    assertThat(http.post(session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}").body()).contains("\"result\"");
  }

  @Test
  void aPostStreamDroppedBeforeItsAnswerIsResumedWithLastEventId() {
    Http http = new Http(server.endpoint());
    String session = http.initialize();
    String lastId;
    try (Http.Sse stream = http.stream("POST",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"trigger-long-running-operation\","
            + "\"arguments\":{\"duration\":2,\"steps\":4},\"_meta\":{\"progressToken\":\"r\"}}}",
        Http.postHeaders(session))) {
      Http.Event first = firstProgress(stream);
      assertThat(first.data().path("params").path("progress").asInt()).isEqualTo(1);
      lastId = first.id();
    } // the connection drops
    Map<String, String> resume = Map.of("Accept", "text/event-stream", "Mcp-Session-Id", session, "Last-Event-ID", lastId);
    List<Integer> progress = new java.util.ArrayList<>();
    try (Http.Sse stream = http.stream("GET", null, resume)) {
      assertThat(stream.response.statusCode()).isEqualTo(200);
      for (Http.Event event; (event = stream.next()) != null; ) {
        if (event.data().has("result")) {
          assertThat(event.data().path("id").asInt()).isEqualTo(5);
          assertThat(event.data().toString()).contains("Long running operation completed");
          assertThat(progress).containsExactly(2, 3, 4);
          return;
        }
        if (event.data().path("method").asText().equals("notifications/progress")) {
          progress.add(event.data().path("params").path("progress").asInt());
        }
      }
    }
    throw new AssertionError("the resumed stream ended without the answer; progress " + progress);
  }

  /**
   * The first progress event of a POST stream; other server messages may come before it on the
   * stream (server-everything announces tools/list_changed after initialize, and no GET is open).
   */
  private static Http.Event firstProgress(Http.Sse stream) {
    for (Http.Event event; (event = stream.next()) != null; ) {
      if (event.data().path("method").asText().equals("notifications/progress")) {
        return event;
      }
    }
    throw new AssertionError("the stream ended without a progress notification");
  }

  @Test
  void anIdleSessionExpiresAndItsProcessEnds() {
    Http http = new Http(server.endpoint());
    String session = http.initialize();
    assertThat(ServerEverything.running() - processesBefore).isEqualTo(1);
    awaitTrue(() -> server.sessionCount() == 0);
    awaitTrue(() -> ServerEverything.running() == processesBefore);
    assertThat(http.post(session, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}").statusCode()).isEqualTo(404);
  }
}
