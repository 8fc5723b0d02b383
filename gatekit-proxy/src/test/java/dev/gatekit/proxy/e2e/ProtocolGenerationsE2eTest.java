package dev.gatekit.proxy.e2e;

import static dev.gatekit.proxy.e2e.E2eClient.await;
import static dev.gatekit.proxy.e2e.E2eClient.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The four pairings of client and server generation through the proxy over stdio, with real parts:
 * the official TypeScript SDK v2 as the 2026-07-28 client and server ({@code src/test/node}),
 * {@code server-everything} and the test kit's Java server as 2025-era servers, the official MCP Java
 * SDK as the 2025-era client. (2025-era client with 2025-era server is what every other e2e test
 * does.) Skipped where Node.js or the npm packages are missing.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ProtocolGenerationsE2eTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void newClientAndNewServerTalkThroughTheProxyUntouched() throws Exception {
    JsonNode seen = run2026Client("server-2026", E2eCommands.gatekit(E2eCommands.server2026("--modern-only")));

    assertThat(seen.path("era").asText()).isEqualTo("modern");
    assertThat(seen.path("version").asText()).isEqualTo("2026-07-28");
    assertThat(seen.path("server").path("name").asText()).isEqualTo("gatekit-test-2026");
    assertThat(seen.path("tools").toString()).isEqualTo("[\"echo\",\"confirm\",\"poem\"]");
    assertThat(seen.path("echo").asText()).isEqualTo("Echo: hi");
    // input_required, the client's elicitation, and the retry with inputResponses, all passed through
    assertThat(seen.path("confirm").asText()).isEqualTo("confirmed: deploy");
    assertThat(seen.path("elicitations").asInt()).isEqualTo(1);
    assertThat(seen.path("resource").asText()).isEqualTo("hello from 2026");
  }

  @Test
  void newClientReachesServerEverythingAndItsSamplingThroughInputRequired() throws Exception {
    JsonNode seen = run2026Client("server-everything", E2eCommands.gatekit(E2eCommands.serverEverything()));

    assertThat(seen.path("era").asText()).isEqualTo("modern");
    assertThat(seen.path("server").path("name").asText()).isEqualTo("mcp-servers/everything");
    assertThat(seen.path("tools").toString()).contains("\"echo\"", "\"trigger-sampling-request\"");
    assertThat(seen.path("echo").asText()).isEqualTo("Echo: hi");
    assertThat(seen.path("samplings").asInt()).isEqualTo(1);
    assertThat(seen.path("sampling").asText())
        .startsWith("LLM sampling result:")
        .contains("sampled: Resource trigger-sampling-request context: a prime?");
  }

  @Test
  void newClientListensThroughTheBridgeAndGetsServerEverythingsResourceUpdate() throws Exception {
    JsonNode seen = run2026Client("listen-everything", E2eCommands.gatekit(E2eCommands.serverEverything()));

    String uri = seen.path("uri").asText();
    assertThat(uri).isNotEmpty();
    // server-everything offers resources.subscribe and prompts.listChanged: both honored
    assertThat(seen.path("honored").toString())
        .isEqualTo("{\"promptsListChanged\":true,\"resourceSubscriptions\":[\"" + uri + "\"]}");
    assertThat(seen.path("toggle").asText()).startsWith("Started simulated resource updated notifications");
    assertThat(seen.path("updates").asInt()).as("the update of the subscribed resource arrived").isPositive();
    assertThat(seen.path("updatedUri").asText()).isEqualTo(uri);
    assertThat(seen.path("updateSubscriptionId").asText()).as("under the listen's id").startsWith("listen:");
    assertThat(seen.path("closed").asText()).isEqualTo("local");
  }

  @Test
  void newClientReachesTheTestKitsJavaServerAndItsSamplingThroughInputRequired() throws Exception {
    JsonNode seen = run2026Client("testkit", E2eCommands.gatekit(E2eCommands.testKitServer()));

    assertThat(seen.path("era").asText()).isEqualTo("modern");
    assertThat(seen.path("server").path("name").asText()).isEqualTo("gatekit-test-server");
    assertThat(seen.path("echo").asText()).isEqualTo("hi");
    assertThat(seen.path("sampling").asText()).isEqualTo("sampled: a prime?");
  }

  @Test
  void oldClientReachesAServerThatSpeaksOnly2026() {
    try (E2eClient old = E2eClient.start("gatekit -> server-2026 --modern-only",
        E2eCommands.gatekit(E2eCommands.server2026("--modern-only")))) {
      assertThat(old.initializeResult().serverInfo().name()).isEqualTo("gatekit-test-2026");
      assertThat(old.initializeResult().protocolVersion()).isNotEqualTo("2026-07-28");
      assertThat(await(old.sdk().listTools()).tools()).extracting(Tool::name).containsExactly("echo", "confirm", "poem");
      assertThat(text(old.call("echo", Map.of("message", "hi")))).isEqualTo("Echo: hi");
      JSONRPCResponse read = old.raw("resources/read", Map.of("uri", "test://greeting"));
      assertThat(read.error()).isNull();
      assertThat(read.result().toString()).contains("hello from 2026");
      // The 2026-era server has neither ping nor logging/setLevel: the proxy answers both.
      assertThat(await(old.sdk().ping())).isEqualTo(Map.of());
      JSONRPCResponse setLevel = old.raw("logging/setLevel", Map.of("level", "debug"));
      assertThat(setLevel.error()).isNull();
      assertThat(setLevel.result()).isEqualTo(Map.of());
      assertThat(text(old.call("echo", Map.of("message", "after setLevel")))).isEqualTo("Echo: after setLevel");
    }
  }

  @Test
  void oldClientGetsTheInputRequiredRoundsOfA2026ServerAsSamplingRequests() {
    try (E2eClient old = E2eClient.start("gatekit -> server-2026 --modern-only (poem)",
        E2eCommands.gatekit(E2eCommands.server2026("--modern-only")))) {
      String poem = E2eClient.SAMPLED_PREFIX + "a poem about the sea";

      // two input_required rounds, each played to the client as sampling/createMessage; the first
      // answer reaches the last round only through the server's requestState, echoed as it came
      assertThat(text(old.call("poem", Map.of("topic", "the sea"))))
          .isEqualTo(E2eClient.SAMPLED_PREFIX + "a title for " + poem + " / " + poem);
      assertThat(old.samplingRequests()).hasSize(2);
      assertThat(old.wire().received()).noneMatch(m -> m.toString().contains("input_required"));
      assertThat(text(old.call("echo", Map.of("message", "after")))).isEqualTo("Echo: after");
    }
  }

  @Test
  void oldClientAndADualServerSpeak2025ThroughTheProxy() {
    try (E2eClient old = E2eClient.start("gatekit -> server-2026", E2eCommands.gatekit(E2eCommands.server2026()))) {
      assertThat(old.initializeResult().serverInfo().name()).isEqualTo("gatekit-test-2026");
      assertThat(text(old.call("echo", Map.of("message", "hi")))).isEqualTo("Echo: hi");
    }
  }

  /** Runs the TypeScript SDK v2 client, which starts {@code gateway}, and returns what it saw. */
  private static JsonNode run2026Client(String scenario, List<String> gateway) throws Exception {
    Process client = new ProcessBuilder(E2eCommands.client2026(scenario, gateway))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      String printed = Await.future(out, Await.TIMEOUT.multipliedBy(2), "the 2026 client's report");
      assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("the 2026 client exited").isTrue();
      JsonNode seen = JSON.readTree(printed);
      assertThat(seen.path("error").isMissingNode()).as("the 2026 client failed: %s", seen.path("error")).isTrue();
      return seen;
    } finally {
      client.destroyForcibly();
    }
  }
}
