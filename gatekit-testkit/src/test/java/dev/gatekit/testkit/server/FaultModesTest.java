package dev.gatekit.testkit.server;

import static dev.gatekit.testkit.server.TestMcpServerTest.text;
import static dev.gatekit.testkit.server.WireClient.request;
import static dev.gatekit.testkit.server.WireClient.toolCall;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each fault mode of the test server does what its flag says, and the server still answers. */
class FaultModesTest {

  private @Nullable WireClient client;

  private WireClient start(String... args) {
    client = WireClient.start(args);
    return client;
  }

  @AfterEach
  void stopServer() {
    if (client != null) {
      client.close();
    }
  }

  @Test
  void exitAfterAnswersTheNthRequestThenExitsWithTheCodeAndSaysWhy() {
    WireClient server = start("--exit-after", "2", "--exit-code", "7");
    CompletableFuture<JsonNode> second = server.responseTo(2);
    server.send(request(1, "ping", null), request(2, "ping", null), request(3, "ping", null));

    assertThat(server.awaitExit()).isEqualTo(7);
    assertThat(server.await(second).get("result")).isEmpty();
    assertThat(server.messages()).extracting(m -> m.get("id").asInt()).containsExactly(1, 2);
    assertThat(server.stderrLines())
        .anyMatch(line -> line.contains("--exit-after") && line.contains("7"));
  }

  @Test
  void exitAfterUsesCodeThreeByDefaultAndDropsWhatIsStillPending() {
    WireClient server = start("--exit-after", "2");
    server.send(toolCall(1, "sleep", Map.of("ms", 60_000)), request(2, "ping", null));

    assertThat(server.awaitExit()).isEqualTo(3);
    assertThat(server.messages()).extracting(m -> m.get("id").asInt()).containsExactly(2);
  }

  @Test
  void exitNowExitsAtOnceWithTheCodeAndALineOnStderr() {
    WireClient server = start("--exit-now", "5");

    assertThat(server.awaitExit()).isEqualTo(5);
    assertThat(server.stderrLines()).anyMatch(line -> line.contains("--exit-now"));
    assertThat(server.lines()).isEmpty();
  }

  @Test
  void garbageWritesANonJsonLineAJsonLineThatIsNotJsonRpcAndABlankLineBeforeEachResponse() {
    WireClient server = start("--garbage");

    JsonNode first = server.call("ping", null);
    JsonNode second = server.call("ping", null);

    assertThat(first.get("result")).isEmpty();
    assertThat(second.get("result")).isEmpty();
    List<String> lines = strings(server.lines());
    assertThat(lines).hasSize(8);
    for (int offset : new int[] {0, 4}) {
      assertThat(parsesAsJson(lines.get(offset))).isFalse();
      assertThat(lines.get(offset + 1)).isEqualTo("{\"foo\":1}");
      assertThat(lines.get(offset + 2)).isEmpty();
      assertThat(lines.get(offset + 3)).contains("\"result\"");
    }
  }

  @Test
  void invalidUtf8WritesALineThatDoesNotDecodeBeforeEachResponse() {
    WireClient server = start("--invalid-utf8");

    assertThat(server.call("ping", null).get("result")).isEmpty();

    List<byte[]> lines = server.lines();
    assertThat(lines).hasSize(2);
    assertThat(isUtf8(lines.get(0))).isFalse();
    assertThat(isUtf8(lines.get(1))).isTrue();
  }

  @Test
  void oversizeLineWritesALineOfExactlyThatManyBytesBeforeEachResponse() {
    int size = 3 * 1024 * 1024;
    WireClient server = start("--oversize-line", Integer.toString(size));

    assertThat(server.call("ping", null).get("result")).isEmpty();

    List<byte[]> lines = server.lines();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).hasSize(size);
  }

  @Test
  void unknownIdWritesResponsesToIdsNobodyUsedBeforeEachResponse() {
    WireClient server = start("--unknown-id");

    assertThat(server.call("ping", null).get("result")).isEmpty();

    assertThat(server.messages())
        .extracting(m -> m.get("id").toString())
        .containsExactly("999999999", "\"nobody\"", "1000001");
  }

  @Test
  void duplicateIdWritesEveryResponseTwice() {
    WireClient server = start("--duplicate-id");

    server.call("ping", null);
    server.awaitLines(lines -> lines.size() == 2);

    assertThat(server.messages()).hasSize(2).allMatch(m -> m.get("id").asLong() == 1_000_001);
  }

  @Test
  void faultModesCombine() {
    WireClient server = start("--garbage", "--unknown-id", "--duplicate-id", "--invalid-utf8");

    assertThat(text(server.callTool("echo", Map.of("text", "still here")))).isEqualTo("still here");
    server.awaitLines(lines -> lines.size() == 8); // 3 garbage, 1 invalid, 2 unknown ids, 2 copies
  }

  @Test
  void stderrFloodDoesNotBlockAClientThatDrainsStderr() {
    int flood = 2 * 1024 * 1024;
    WireClient server = start("--stderr-flood", Integer.toString(flood));
    List<String> pipelined = new ArrayList<>();
    for (int id = 1; id <= 50; id++) {
      pipelined.add(request(id, "ping", null));
    }
    CompletableFuture<JsonNode> last = server.responseTo(50);
    server.send(pipelined.toArray(String[]::new));

    assertThat(server.await(last).get("result")).isEmpty();
    assertThat(server.stderrBytes()).isGreaterThanOrEqualTo(flood);
    server.awaitStderr(line -> line.contains("request 50"));
  }

  @Test
  void neverAnswerLeavesCallsOfThoseToolsPendingAndAnswersTheRest() {
    WireClient server = start("--never-answer", "sleep", "--never-answer", "fail");
    CompletableFuture<JsonNode> sleep = server.responseTo(1);
    CompletableFuture<JsonNode> fail = server.responseTo(2);
    server.send(toolCall(1, "sleep", Map.of("ms", 0)), toolCall(2, "fail", Map.of()));

    assertThat(text(server.callTool("echo", Map.of("text", "hi")))).isEqualTo("hi");
    assertThat(server.stats().get("inFlight").asInt()).isEqualTo(2);
    assertThat(sleep).isNotDone();
    assertThat(fail).isNotDone();
  }

  @Test
  void startDelayWaitsBeforeReadingAndSaysSo() {
    long started = System.nanoTime();
    WireClient server = start("--start-delay", "300");

    assertThat(server.call("ping", null).get("result")).isEmpty();

    assertThat(System.nanoTime() - started).isGreaterThanOrEqualTo(300_000_000L);
    assertThat(server.stderrLines()).anyMatch(line -> line.contains("--start-delay"));
  }

  @Test
  void anUnknownFlagPrintsTheUsageAndExitsWithTwo() {
    WireClient server = start("--no-such-flag");

    assertThat(server.awaitExit()).isEqualTo(2);
    assertThat(server.stderrLines()).anyMatch(line -> line.contains("--no-such-flag"));
    assertThat(server.stderrLines()).anyMatch(line -> line.startsWith("Usage:"));
  }

  private static List<String> strings(List<byte[]> lines) {
    return lines.stream().map(line -> new String(line, StandardCharsets.UTF_8)).toList();
  }

  private static boolean parsesAsJson(String line) {
    try {
      WireClient.JSON.readTree(line);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(Arrays.copyOf(bytes, bytes.length)));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
