package dev.gatekit.testkit.server;

import static dev.gatekit.testkit.server.WireClient.notification;
import static dev.gatekit.testkit.server.WireClient.request;
import static dev.gatekit.testkit.server.WireClient.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The test server's protocol and tools, spoken to as a real subprocess over raw JSON lines. */
class TestMcpServerTest {

  private WireClient client;

  @BeforeEach
  void startServer() {
    client = WireClient.start();
  }

  @AfterEach
  void stopServer() {
    client.close();
  }

  @Test
  void initializeAgreesOnTheClientsVersionWhenItIsSupported() {
    JsonNode result =
        client
            .call("initialize", Map.of("protocolVersion", "2025-06-18", "capabilities", Map.of()))
            .get("result");

    assertThat(result.get("protocolVersion").asText()).isEqualTo("2025-06-18");
    assertThat(result.get("capabilities"))
        .isEqualTo(
            WireClient.JSON.valueToTree(
                Map.of("tools", Map.of("listChanged", true), "logging", Map.of())));
    assertThat(result.get("serverInfo"))
        .isEqualTo(
            WireClient.JSON.valueToTree(Map.of("name", "gatekit-test-server", "version", "1.0.0")));
    assertThat(result.get("instructions").asText()).isEqualTo("Gatekit test server");
  }

  @Test
  void initializeOffersTheLatestVersionForAnUnknownOne() {
    JsonNode result =
        client.call("initialize", Map.of("protocolVersion", "1999-01-01")).get("result");

    assertThat(result.get("protocolVersion").asText()).isEqualTo("2025-11-25");
  }

  @Test
  void pingAndSetLevelAnswerEmptyResultsAfterTheInitializedNotification() {
    client.send(notification("notifications/initialized", null));

    assertThat(client.call("ping", null).get("result")).isEmpty();
    assertThat(client.call("logging/setLevel", Map.of("level", "debug")).get("result")).isEmpty();
  }

  @Test
  void toolsListDescribesEveryToolWithAnObjectSchema() {
    JsonNode tools = client.call("tools/list", Map.of()).get("result").get("tools");

    List<String> names = new ArrayList<>();
    tools.forEach(
        tool -> {
          names.add(tool.get("name").asText());
          assertThat(tool.get("description").asText()).isNotBlank();
          assertThat(tool.get("inputSchema").get("type").asText()).isEqualTo("object");
        });
    assertThat(names)
        .containsExactly(
            "echo", "sleep", "fail", "invalid_answer", "progress", "sample", "notify", "stats",
            "reset_stats");
  }

  @Test
  void echoReturnsTheTextUnderTheRequestsIdWithItsType() {
    CompletableFuture<JsonNode> stringId = client.responseTo("7");
    CompletableFuture<JsonNode> numberId = client.responseTo(7);
    client.send(
        toolCall("7", "echo", Map.of("text", "héllo ✓ \"quoted\"\nline")),
        toolCall(7, "echo", Map.of("text", "number")));

    assertThat(client.await(stringId).get("id")).isEqualTo(TextNode.valueOf("7"));
    assertThat(text(client.await(stringId))).isEqualTo("héllo ✓ \"quoted\"\nline");
    assertThat(client.await(numberId).get("id")).isEqualTo(IntNode.valueOf(7));
    assertThat(text(client.await(numberId))).isEqualTo("number");
  }

  @Test
  void aLineLongerThanTheReadBufferIsReadWhole() {
    String text = "x".repeat(3 * LineReader.DEFAULT_CHUNK_SIZE + 17);

    assertThat(text(client.callTool("echo", Map.of("text", text)))).isEqualTo(text);
  }

  @Test
  void linesEndingInCarriageReturnLineFeedAreRead() {
    CompletableFuture<JsonNode> response = client.responseTo(1);
    client.sendBytes(
        (request(1, "ping", null) + "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(client.await(response).get("result")).isEmpty();
  }

  @Test
  void hundredSleepsWrittenAtOnceAreAllInFlightTogether() {
    warmUp();
    client.callTool("reset_stats", Map.of());
    List<String> lines = new ArrayList<>();
    List<CompletableFuture<JsonNode>> responses = new ArrayList<>();
    for (int id = 1; id <= 100; id++) {
      // The gate holds every clock until all 100 have arrived, so a loaded machine that reads
      // slowly cannot let early calls finish before later ones start.
      lines.add(toolCall(id, "sleep", Map.of("ms", 50, "gate", 100)));
      responses.add(client.responseTo(id));
    }
    client.send(lines.toArray(String[]::new));

    Set<Long> ids = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      JsonNode response = client.await(responses.get(i));
      assertThat(text(response)).isEqualTo("slept 50 ms");
      ids.add(response.get("id").asLong());
    }
    assertThat(ids).hasSize(100);
    JsonNode stats = client.stats();
    assertThat(stats.get("maxInFlight").asInt()).isEqualTo(100);
    assertThat(stats.get("inFlight").asInt()).isZero();
  }

  @Test
  void failAnswersWithAJsonRpcError() {
    JsonNode byDefault = client.callTool("fail", Map.of()).get("error");
    JsonNode chosen =
        client.callTool("fail", Map.of("code", -32042, "message", "boom")).get("error");

    assertThat(byDefault.get("code").asInt()).isEqualTo(-32603);
    assertThat(byDefault.get("message").asText()).isEqualTo("Failure requested by the fail tool");
    assertThat(chosen.get("code").asInt()).isEqualTo(-32042);
    assertThat(chosen.get("message").asText()).isEqualTo("boom");
  }

  @Test
  void progressNotificationsCarryTheTokenAndArriveBeforeTheAnswer() {
    JsonNode response =
        client.call(
            "tools/call",
            Map.of(
                "name", "progress",
                "arguments", Map.of("steps", 3, "interval_ms", 5),
                "_meta", Map.of("progressToken", "token-1")));

    assertThat(text(response)).isEqualTo("done 3 steps");
    List<JsonNode> messages = client.messages();
    List<JsonNode> progress =
        messages.stream()
            .filter(m -> "notifications/progress".equals(m.path("method").asText()))
            .toList();
    assertThat(progress).hasSize(3);
    for (int i = 0; i < 3; i++) {
      JsonNode params = progress.get(i).get("params");
      assertThat(params.get("progressToken")).isEqualTo(TextNode.valueOf("token-1"));
      assertThat(params.get("progress").asInt()).isEqualTo(i + 1);
      assertThat(params.get("total").asInt()).isEqualTo(3);
      assertThat(params.get("message").asText()).isNotBlank();
    }
    assertThat(messages.indexOf(progress.get(2))).isLessThan(messages.indexOf(response));
  }

  @Test
  void progressKeepsANumericTokenNumericAndSendsNothingWithoutOne() {
    client.call(
        "tools/call",
        Map.of(
            "name",
            "progress",
            "arguments",
            Map.of("steps", 2),
            "_meta",
            Map.of("progressToken", 42)));
    JsonNode untracked = client.callTool("progress", Map.of("steps", 2));

    assertThat(text(untracked)).isEqualTo("done 2 steps");
    assertThat(client.messages())
        .filteredOn(m -> m.has("method"))
        .extracting(m -> m.get("params").get("progressToken"))
        .containsExactly(IntNode.valueOf(42), IntNode.valueOf(42));
  }

  @Test
  void sampleAsksTheClientAndAnswersWithItsText() {
    CompletableFuture<JsonNode> response = client.responseTo("call-1");
    client.send(toolCall("call-1", "sample", Map.of("prompt", "What is 2+2?")));

    JsonNode sampling =
        client.awaitMessage(m -> "sampling/createMessage".equals(m.path("method").asText()));
    assertThat(sampling.get("id").isTextual()).isTrue();
    assertThat(sampling.get("id").asText()).startsWith("srv-");
    assertThat(sampling.at("/params/messages/0/role").asText()).isEqualTo("user");
    assertThat(sampling.at("/params/messages/0/content/type").asText()).isEqualTo("text");
    assertThat(sampling.at("/params/messages/0/content/text").asText()).isEqualTo("What is 2+2?");
    assertThat(sampling.at("/params/maxTokens").asInt()).isEqualTo(100);
    assertThat(response).isNotDone();

    client.send(
        WireClient.JSON
            .createObjectNode()
            .put("jsonrpc", "2.0")
            .<com.fasterxml.jackson.databind.node.ObjectNode>set("id", sampling.get("id"))
            .set(
                "result",
                WireClient.JSON.valueToTree(
                    Map.of(
                        "role", "assistant",
                        "content", Map.of("type", "text", "text", "4"),
                        "model", "test-model")))
            .toString());

    assertThat(text(client.await(response))).isEqualTo("4");
  }

  @Test
  void sampleAnswersWithAnErrorResultWhenTheClientRefuses() {
    CompletableFuture<JsonNode> response = client.responseTo("call-2");
    client.send(toolCall("call-2", "sample", Map.of("prompt", "no")));
    JsonNode sampling =
        client.awaitMessage(m -> "sampling/createMessage".equals(m.path("method").asText()));

    client.send(
        "{\"jsonrpc\":\"2.0\",\"id\":"
            + sampling.get("id")
            + ",\"error\":{\"code\":-1,\"message\":\"User rejected\"}}");

    JsonNode result = client.await(response).get("result");
    assertThat(result.get("isError").asBoolean()).isTrue();
    assertThat(result.at("/content/0/text").asText()).contains("User rejected");
  }

  @Test
  void concurrentSamplesGetTheirOwnIdsAndCancellingOneCancelsItsRequestToTheClient() {
    client.send(
        toolCall(1, "sample", Map.of("prompt", "one")),
        toolCall(2, "sample", Map.of("prompt", "two")));
    JsonNode first =
        client.awaitMessage(m -> m.at("/params/messages/0/content/text").asText().equals("one"));
    JsonNode second =
        client.awaitMessage(m -> m.at("/params/messages/0/content/text").asText().equals("two"));
    assertThat(first.get("id")).isNotEqualTo(second.get("id"));

    client.send(notification("notifications/cancelled", Map.of("requestId", 1)));

    JsonNode cancelled =
        client.awaitMessage(m -> "notifications/cancelled".equals(m.path("method").asText()));
    assertThat(cancelled.at("/params/requestId")).isEqualTo(first.get("id"));
    assertThat(client.stats().get("inFlight").asInt()).isEqualTo(1);
  }

  @Test
  void notifySendsNotificationsBeforeItsAnswer() {
    JsonNode logging = client.callTool("notify", Map.of("count", 2));
    JsonNode custom = client.callTool("notify", Map.of("method", "notifications/custom"));

    assertThat(text(logging)).isEqualTo("sent 2 notifications");
    assertThat(text(custom)).isEqualTo("sent 1 notifications");
    List<JsonNode> messages = client.messages();
    List<JsonNode> notifications = messages.stream().filter(m -> m.has("method")).toList();
    assertThat(notifications)
        .extracting(m -> m.get("method").asText())
        .containsExactly("notifications/message", "notifications/message", "notifications/custom");
    assertThat(notifications.get(0).at("/params/level").asText()).isEqualTo("info");
    assertThat(notifications.get(0).at("/params/data").isMissingNode()).isFalse();
    assertThat(messages.indexOf(notifications.get(1))).isLessThan(messages.indexOf(logging));
  }

  @Test
  void cancellingAPendingSleepSuppressesItsAnswerAndIsRecordedWithItsIdType() {
    CompletableFuture<JsonNode> fence = client.responseTo("fence");
    client.send(
        toolCall(7, "sleep", Map.of("ms", 300)),
        toolCall("7", "sleep", Map.of("ms", 60_000)),
        notification("notifications/cancelled", Map.of("requestId", 7, "reason", "test")),
        notification("notifications/cancelled", Map.of("requestId", "7")),
        notification("notifications/cancelled", Map.of("requestId", "never-sent")),
        toolCall("fence", "sleep", Map.of("ms", 500)));

    client.await(fence); // the cancelled sleep would have been answered before this one
    JsonNode stats = client.stats();

    assertThat(client.messages()).noneMatch(m -> m.has("id") && m.get("id").asText().equals("7"));
    assertThat(stats.get("cancelled"))
        .containsExactly(IntNode.valueOf(7), TextNode.valueOf("7"), TextNode.valueOf("never-sent"));
    assertThat(stats.get("inFlight").asInt()).isZero();
  }

  @Test
  void resetStatsForgetsTheMaximumAndTheCancelledIdsButNotTheRequests() {
    client.send(
        toolCall(1, "sleep", Map.of("ms", 60_000)),
        toolCall(2, "sleep", Map.of("ms", 60_000)),
        notification("notifications/cancelled", Map.of("requestId", 1)));
    assertThat(client.stats().get("maxInFlight").asInt()).isEqualTo(2);

    client.callTool("reset_stats", Map.of());
    JsonNode stats = client.stats();

    assertThat(stats.get("maxInFlight").asInt()).isEqualTo(1);
    assertThat(stats.get("inFlight").asInt()).isEqualTo(1);
    assertThat(stats.get("cancelled")).isEmpty();
    assertThat(stats.get("requests").asInt()).isEqualTo(5);
  }

  @Test
  void malformedLinesGetErrorsAndTheServerKeepsServing() {
    CompletableFuture<JsonNode> badVersion = client.responseTo(6);
    CompletableFuture<JsonNode> noResult = client.responseTo(5);
    client.send(
        "this is not json",
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
        "{\"jsonrpc\":\"1.0\",\"id\":6,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":5}",
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{},\"error\":{\"code\":1,\"message\":\"both\"}}",
        "   ",
        "");

    assertThat(client.await(badVersion).at("/error/code").asInt()).isEqualTo(-32600);
    assertThat(client.await(noResult).at("/error/code").asInt()).isEqualTo(-32600);
    assertThat(client.call("ping", null).get("result")).isEmpty();
    List<JsonNode> nullIdErrors =
        client.messages().stream().filter(m -> m.has("id") && m.get("id").isNull()).toList();
    assertThat(nullIdErrors)
        .extracting(m -> m.at("/error/code").asInt())
        .containsExactly(-32700, -32600);
    assertThat(client.messages())
        .noneMatch(m -> m.path("id").asInt() == 9); // a bad response is dropped
  }

  @Test
  void unknownMethodsToolsAndBadArgumentsGetErrors() {
    assertThat(client.call("resources/list", Map.of()).at("/error/code").asInt()).isEqualTo(-32601);
    assertThat(client.callTool("nope", Map.of()).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(client.callTool("echo", Map.of()).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(client.callTool("sleep", Map.of("ms", -1)).at("/error/code").asInt())
        .isEqualTo(-32602);
    assertThat(client.call("tools/call", Map.of()).at("/error/code").asInt()).isEqualTo(-32602);
    assertThat(client.stats().get("inFlight").asInt()).isZero();
  }

  @Test
  void endOfInputExitsWithZeroAfterWritingWhatWasAnswered() {
    CompletableFuture<JsonNode> echo = client.responseTo(1);
    client.send(toolCall(1, "echo", Map.of("text", "last words")));
    client.closeStdin();

    assertThat(client.awaitExit()).isZero();
    assertThat(text(client.await(echo))).isEqualTo("last words");
  }

  /** Gets the server's classes loaded and its hot paths compiled, so timing-free checks stay so. */
  private void warmUp() {
    List<String> lines = new ArrayList<>();
    for (int id = 1; id <= 500; id++) {
      lines.add(toolCall("warm-up-" + id, "echo", Map.of("text", "warm")));
    }
    CompletableFuture<JsonNode> last = client.responseTo("warm-up-500");
    client.send(lines.toArray(String[]::new));
    client.await(last);
  }

  static String text(JsonNode response) {
    return response.at("/result/content/0/text").asText();
  }
}
