package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StdioServer} and a proxy without plugins in front of one real stdio upstream (the test kit
 * server), where requests go upstream and back as bytes ({@link GatekitProxy#receiveLine}): the
 * answers are those of the ordinary way — ids of every type kept exactly, an id in flight twice
 * refused, cancellation, a dead upstream, malformed lines.
 */
class StdioServerPassThroughTest {

  private static final int MAX_LINE = 64 * 1024;
  private static final JsonRpcCodec CODEC = JsonRpcCodec.get();

  private GatekitProxy proxy;
  private ScenarioLineClient client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.close();
      client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  private void start(String... serverArgs) {
    StdioTransport upstream = StdioTransport.builder(TestServer.command(serverArgs))
        .name("kit")
        .options(TransportOptions.builder().maxInFlight(10_000).build())
        .build();
    proxy = GatekitProxy.builder().upstream("kit", upstream).build();
    client = new ScenarioLineClient(new StdioServer(proxy, MAX_LINE, Duration.ofSeconds(30)));
    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    assertThat(client.next().has("result")).isTrue();
    client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    await("the notification went upstream", () -> proxy.stats().notifications() == 1);
  }

  private static String call(String id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "}}";
  }

  private static String echo(String id, String text) {
    return call(id, "echo", "{\"text\":\"" + text + "\"}");
  }

  private static JsonNode json(String text) {
    try {
      return CODEC.mapper().readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static String text(JsonNode answer) {
    return answer.get("result").get("content").get(0).get("text").asText();
  }

  @Test
  void passesRequestsOnAsBytesAndKeepsEveryIdExactly() {
    start();
    byte[] direct = echo("\"direct\"", "d").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(direct, 0, direct.length)).as("the line is passed on as bytes").isTrue();
    JsonNode first = client.next();
    assertThat(first.get("id")).isEqualTo(json("\"direct\""));
    for (String id : List.of("7", "-3", "0", "\"abc\"", "\"7\"", "\"é ü\"", "\"a\\\"b\"", "1.0e0")) {
      client.sendLine(echo(id, "x" + id.length()));
      JsonNode answer = client.next();
      if (id.equals("1.0e0")) {
        // not an id at all: the ordinary way refuses it, as ever
        assertThat(answer.get("error").get("code").asInt()).isEqualTo(ErrorCodes.INVALID_REQUEST);
        continue;
      }
      assertThat(answer.get("id")).as(id).isEqualTo(json(id));
      assertThat(answer.get("id").isNumber()).isEqualTo(!id.startsWith("\""));
      assertThat(text(answer)).isEqualTo("x" + id.length());
    }
    assertThat(proxy.stats().inFlight()).isZero();
  }

  @Test
  void refusesAnIdInFlightTwiceAndLetsTheClientCancel() {
    start();
    client.sendLine(call("50", "sleep", "{\"ms\":60000}"));
    await("the call is in flight", () -> proxy.stats().inFlight() == 1);
    client.sendLine(echo("50", "again"));
    JsonNode refused = client.next();
    assertThat(refused.get("id").asInt()).isEqualTo(50);
    assertThat(refused.get("error").get("code").asInt()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(refused.get("error").get("message").asText()).contains("already in use");

    client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":50}}");
    await("the call is cancelled", () -> proxy.stats().cancelled() == 1 && proxy.stats().inFlight() == 0);
    client.sendLine(call("\"stats\"", "stats", "{}"));
    JsonNode stats = client.next();
    assertThat(stats.get("id").asText()).as("nothing answered the cancelled call").isEqualTo("stats");
    assertThat(stats.get("result").get("structuredContent").get("cancelled")).hasSize(1);
    // the id is free again
    client.sendLine(echo("50", "reused"));
    assertThat(text(client.next())).isEqualTo("reused");
  }

  @Test
  void manyRequestsInFlightEachGetTheirOwnAnswer() {
    start();
    int requests = 3_000;
    StringBuilder burst = new StringBuilder();
    for (int i = 0; i < requests; i++) {
      String id = i % 2 == 0 ? Integer.toString(i) : "\"s" + i + "\"";
      burst.append(echo(id, "t" + i)).append('\n');
      if (i % 100 == 99) {
        client.sendRaw(burst.toString().getBytes(StandardCharsets.UTF_8));
        burst.setLength(0);
      }
    }
    Map<String, String> answers = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      JsonNode answer = client.next();
      assertThat(answers.put(answer.get("id").toString(), text(answer))).isNull();
    }
    for (int i = 0; i < requests; i++) {
      String id = i % 2 == 0 ? Integer.toString(i) : "\"s" + i + "\"";
      assertThat(answers.get(id)).isEqualTo("t" + i);
    }
    await("nothing in flight", () -> proxy.stats().inFlight() == 0);
    assertThat(proxy.stats().handled()).isEqualTo(requests + 1);
  }

  @Test
  void requestsReachTheUpstreamInTheClientsOrderWhenSomeWaitBehindANotification() {
    start();
    // A request after a notification waits until the notification has gone upstream and is then
    // handled on the ordinary way; the requests after it must not pass it as bytes. The test server's
    // stats tool counts the requests it has received, so the counts show the order they arrived in.
    int rounds = 200;
    int perRound = 4;
    for (int round = 0; round < rounds; round++) {
      StringBuilder burst = new StringBuilder(
          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}\n");
      for (int i = 0; i < perRound; i++) {
        burst.append(call(Integer.toString(round * perRound + i), "stats", "{}")).append('\n');
      }
      client.sendRaw(burst.toString().getBytes(StandardCharsets.UTF_8));
      Map<Integer, Integer> receivedCount = new HashMap<>();
      for (int i = 0; i < perRound; i++) {
        JsonNode answer = client.next();
        receivedCount.put(answer.get("id").asInt(),
            answer.get("result").get("structuredContent").get("requests").asInt());
      }
      for (int i = 1; i < perRound; i++) {
        int id = round * perRound + i;
        assertThat(receivedCount.get(id)).as("round %d: request %d reached the server after %d", round, id, id - 1)
            .isGreaterThan(receivedCount.get(id - 1));
      }
    }
    assertThat(proxy.stats().inFlight()).isZero();
  }

  @Test
  void aDeadUpstreamFailsEveryPendingRequestAtOnce() {
    start("--exit-after", "2"); // initialize, then the short sleep
    client.sendLine(call("1", "sleep", "{\"ms\":300}"));
    for (int i = 0; i < 20; i++) {
      client.sendLine(call(Integer.toString(100 + i), "sleep", "{\"ms\":60000}"));
    }
    assertThat(client.next().get("id").asInt()).isEqualTo(1);
    for (int i = 0; i < 20; i++) {
      JsonNode failed = client.next();
      assertThat(failed.get("id").asInt()).isBetween(100, 119);
      assertThat(failed.get("error").get("code").asInt()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    }
    assertThat(proxy.stats().inFlight()).isZero();
  }

  @Test
  void malformedLinesGetTheSameErrorsAsEver() {
    start();
    client.sendRaw(("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
        + "\"arguments\":{\"text\":\"").getBytes(StandardCharsets.UTF_8));
    client.sendRaw(new byte[] {(byte) 0xC3, (byte) 0x28});
    client.sendRaw("\"}}}\n".getBytes(StandardCharsets.UTF_8));
    JsonNode badUtf8 = client.next();
    assertThat(badUtf8.get("error").get("code").asInt()).isEqualTo(ErrorCodes.PARSE_ERROR);
    assertThat(badUtf8.get("id").isNull()).isTrue();

    client.sendLine(echo("4", "x".repeat(MAX_LINE)));
    JsonNode oversize = client.next();
    assertThat(oversize.get("error").get("code").asInt()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    assertThat(oversize.get("id").isNull()).isTrue();

    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"a\":1,\"a\":2}}");
    assertThat(client.next().get("error").get("code").asInt()).isEqualTo(ErrorCodes.PARSE_ERROR);

    client.sendLine(echo("6", "fine"));
    assertThat(text(client.next())).isEqualTo("fine");
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + ScenarioRequests.WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      LockSupport.parkNanos(1_000_000);
    }
  }
}
