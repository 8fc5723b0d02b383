package dev.gatekit.proxy.e2e;

import static dev.gatekit.proxy.e2e.E2eClient.await;
import static dev.gatekit.proxy.e2e.E2eClient.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.CompleteRequest;
import io.modelcontextprotocol.spec.McpSchema.CompleteRequest.CompleteArgument;
import io.modelcontextprotocol.spec.McpSchema.CompleteRequest.CompleteContext;
import io.modelcontextprotocol.spec.McpSchema.CompleteResult;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import io.modelcontextprotocol.spec.McpSchema.LoggingLevel;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.PromptReference;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;

/**
 * The {@code gatekit} command in front of the official MCP reference server,
 * {@code @modelcontextprotocol/server-everything} (Node.js, installed by {@code npm ci} in
 * {@code src/test/node}), driven by the official MCP Java SDK client. Skipped when it is not
 * installed. One proxy session serves the whole class; no test depends on another having run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProxyWithServerEverythingE2eTest {

  private E2eClient proxied;

  @BeforeAll
  void startProxy() {
    proxied = E2eClient.start("gatekit -> server-everything", E2eCommands.gatekit(E2eCommands.serverEverything()));
  }

  @AfterAll
  void closeProxy() {
    if (proxied != null) {
      proxied.close();
    }
  }

  @Test
  void answersExactlyAsTheServerDoesDirectly() {
    try (E2eClient direct = E2eClient.start("server-everything (direct)", E2eCommands.serverEverything())) {
      assertThat(proxied.initializeResult()).isEqualTo(direct.initializeResult());
      assertThat(proxied.initializeResult().instructions()).isNotBlank();
      assertThat(await(proxied.sdk().listTools())).isEqualTo(await(direct.sdk().listTools()));
      assertThat(await(proxied.sdk().listPrompts())).isEqualTo(await(direct.sdk().listPrompts()));
      assertThat(await(proxied.sdk().listResources())).isEqualTo(await(direct.sdk().listResources()));
      assertThat(await(proxied.sdk().listResourceTemplates()))
          .isEqualTo(await(direct.sdk().listResourceTemplates()));
      // The same as JSON, member by member: nothing the SDK's types leave out may differ either.
      for (String method : List.of("tools/list", "prompts/list", "resources/list", "resources/templates/list")) {
        JSONRPCResponse viaProxy = proxied.raw(method, Map.of());
        JSONRPCResponse directly = direct.raw(method, Map.of());
        assertThat(viaProxy.error()).as(method + " error").isNull();
        assertThat(viaProxy.result()).as(method + " result").isEqualTo(directly.result());
      }
    }
  }

  @Test
  void fiftyConcurrentEchoesEachGetTheirOwnText() {
    String run = UUID.randomUUID().toString();
    List<String> texts = IntStream.range(0, 50).mapToObj(i -> "echo " + i + " of " + run).toList();

    List<CallToolResult> results =
        Flux.fromIterable(texts)
            .flatMapSequential(text -> proxied.sdk().callTool(E2eClient.tool("echo", Map.of("message", text))), 50)
            .collectList()
            .block(Await.TIMEOUT);

    assertThat(results.stream().map(E2eClient::text).toList())
        .isEqualTo(texts.stream().map(text -> "Echo: " + text).toList());
  }

  @Test
  void progressNotificationsOfTheLongRunningOperationReachTheClient() {
    String token = "progress-" + UUID.randomUUID();

    CallToolResult result =
        await(proxied.sdk().callTool(CallToolRequest.builder("trigger-long-running-operation")
            .arguments(Map.of("duration", 1, "steps", 4))
            .progressToken(token)
            .build()));

    assertThat(text(result)).isEqualTo("Long running operation completed. Duration: 1 seconds, Steps: 4.");
    Await.until(() -> progressOf(token).size() >= 4, () -> "4 progress notifications, got " + progressOf(token));
    assertThat(progressOf(token)).extracting(ProgressNotification::progress).containsExactly(1.0, 2.0, 3.0, 4.0);
    assertThat(progressOf(token)).extracting(ProgressNotification::total).containsOnly(4.0);
  }

  @Test
  void aSamplingRequestOfTheServerIsAnsweredByTheClient() {
    String prompt = "Name a prime number. " + UUID.randomUUID();

    CallToolResult result = proxied.call("trigger-sampling-request", Map.of("prompt", prompt, "maxTokens", 42));

    String expectedQuestion = "Resource trigger-sampling-request context: " + prompt;
    assertThat(text(result)).startsWith("LLM sampling result:").contains(E2eClient.SAMPLED_PREFIX + expectedQuestion);
    assertThat(proxied.samplingRequests()).anySatisfy(request -> {
      assertThat(request.maxTokens()).isEqualTo(42);
      assertThat(request.systemPrompt()).isEqualTo("You are a helpful test server.");
      assertThat(request.messages()).singleElement()
          .satisfies(m -> assertThat(((TextContent) m.content()).text()).isEqualTo(expectedQuestion));
    });
  }

  @Test
  void completionsOfAPromptArgumentComeFromTheServer() {
    PromptReference prompt = new PromptReference("completable-prompt");

    CompleteResult departments =
        await(proxied.sdk().completeCompletion(CompleteRequest.builder(prompt, new CompleteArgument("department", "E")).build()));
    CompleteResult names =
        await(proxied.sdk().completeCompletion(CompleteRequest.builder(prompt, new CompleteArgument("name", "A"))
            .context(new CompleteContext(Map.of("department", "Engineering"))).build()));

    assertThat(departments.completion().values()).containsExactly("Engineering");
    assertThat(names.completion().values()).as("the context reached the server").containsExactly("Alice");
  }

  @Test
  void loggingLevelIsSetAndTheServersLogMessagesReachTheClient() {
    await(proxied.sdk().setLoggingLevel(LoggingLevel.DEBUG));
    int before = proxied.logs().size();

    String started = text(proxied.call("toggle-simulated-logging", Map.of()));
    try {
      assertThat(started).startsWith("Started simulated");
      // One message at once, then one every 5 s; at level debug none is filtered out.
      Await.until(() -> proxied.logs().size() > before, () -> "a log message from the server");
      assertThat(proxied.logs().get(before).data()).contains("message");
    } finally {
      assertThat(text(proxied.call("toggle-simulated-logging", Map.of()))).startsWith("Stopped simulated");
    }
  }

  @Test
  void pingIsAnswered() {
    assertThat(await(proxied.sdk().ping())).isEqualTo(Map.of());
  }

  private List<ProgressNotification> progressOf(String token) {
    return proxied.progress().stream().filter(p -> token.equals(p.progressToken())).toList();
  }
}
