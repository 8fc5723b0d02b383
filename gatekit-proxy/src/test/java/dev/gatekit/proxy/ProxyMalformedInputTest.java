package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.testkit.MockTransport;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link StdioServer} end to end in this JVM, fed malformed client lines between good requests: every
 * bad line gets exactly the JSON-RPC error it deserves (-32700 with id null when it is not JSON,
 * -32600 with the id when one could be read) or nothing at all (a logged drop), every good request
 * gets its own answer, and the server keeps serving. Then what happens when the client closes its
 * input with calls in flight.
 *
 * <p>Order on the wire makes "nothing was answered" checkable without waiting for silence: a
 * malformed line is answered on the reader thread, before the next line is read, so whatever the
 * server writes between the answers to two good requests belongs to the bad line sent between them.
 */
class ProxyMalformedInputTest {

  private static final int MAX_LINE = 64 * 1024;
  private static final JsonRpcCodec CODEC = JsonRpcCodec.get();

  private final CountDownLatch gate = new CountDownLatch(1);
  private final AtomicInteger goodIds = new AtomicInteger();
  private MockTransport mock;
  private ScenarioLineClient client;

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    if (client != null) {
      client.close();
      client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS); // the proxy is closed
    }
  }

  /**
   * A mock upstream: echo answers at once, gate waits for the test's latch, hang never answers;
   * any other method gets the mock's -32601.
   */
  private MockTransport mock() {
    return MockTransport.builder()
        .result(McpMethods.INITIALIZE, ScenarioUpstream.initializeResult())
        .handle(McpMethods.TOOLS_CALL, request -> {
          JsonNode params = request.params();
          String text = params.path("arguments").path("text").asText();
          if (params.path("name").asText().equals("gate")) {
            try {
              gate.await(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            text = "opened " + text;
          }
          ObjectNode result = JsonNodeFactory.instance.objectNode();
          result.putArray("content").addObject().put("type", "text").put("text", text);
          return JsonRpcResponse.success(request.id(), result);
        })
        .latency(request -> "hang".equals(request.params() == null ? null : request.params().path("name").asText())
            ? Duration.ofDays(1) : Duration.ZERO)
        .build();
  }

  private void serve(Duration drainTimeout) {
    mock = mock();
    GatekitProxy proxy = GatekitProxy.builder().upstream(ScenarioUpstream.NAME, mock).build();
    client = new ScenarioLineClient(new StdioServer(proxy, MAX_LINE, drainTimeout));
    initialize();
  }

  private void initialize() {
    client.sendLine(CODEC.encodeToString(ScenarioRequests.initialize(RequestId.of(0))));
    JsonNode answer = client.next();
    assertThat(answer.path("id").asInt(-1)).isZero();
    assertThat(answer.path("result").path("protocolVersion").asText()).isEqualTo(McpMethods.LATEST_PROTOCOL_VERSION);
    client.sendLine(CODEC.encodeToString(ScenarioRequests.initialized()));
  }

  private static String toolCall(String id, String tool, String text) {
    return CODEC.encodeToString(ScenarioRequests.call(RequestId.of(id), tool, "text", text));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  private static JsonNode json(String text) {
    try {
      return CODEC.mapper().readTree(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  /**
   * Sends a good echo right after whatever was sent last, waits for its answer, and returns what the
   * server wrote before it.
   */
  private List<JsonNode> goodRequestAndWhatCameBefore() {
    String id = "good-" + goodIds.incrementAndGet();
    client.sendLine(toolCall(id, "echo", "text of " + id));
    List<JsonNode> before = new ArrayList<>();
    while (true) {
      JsonNode line = client.next();
      if (id.equals(line.path("id").asText(null)) && line.has("result")) {
        assertThat(line.path("result").path("content").path(0).path("text").asText()).isEqualTo("text of " + id);
        return before;
      }
      before.add(line);
    }
  }

  /** One malformed line: what is sent, and the code and id of the one error expected, or no answer. */
  private record Case(String name, byte[] line, @Nullable Integer code, @Nullable JsonNode id, String messagePart) {
    static Case parseError(String name, byte[] line) {
      return new Case(name, line, ErrorCodes.PARSE_ERROR, NullNode.getInstance(), "Parse error");
    }

    static Case invalid(String name, String line, @Nullable String idJson, String messagePart) {
      return invalid(name, bytes(line + "\n"), idJson, messagePart);
    }

    static Case invalid(String name, byte[] line, @Nullable String idJson, String messagePart) {
      return new Case(name, line, ErrorCodes.INVALID_REQUEST,
          idJson == null ? NullNode.getInstance() : json(idJson), messagePart);
    }

    static Case dropped(String name, byte[] line) {
      return new Case(name, line, null, null, "");
    }
  }

  private static byte[] line(String text) {
    return bytes(text + "\n");
  }

  private static List<Case> cases() {
    String ping24 = "{\"jsonrpc\":\"2.0\",\"id\":24,\"method\":\"ping\"}";
    byte[] oversize = line("{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
        + "\"arguments\":{\"text\":\"" + "x".repeat(70 * 1024) + "\"}}}");
    return List.of(
        Case.parseError("not JSON", line("hello, proxy")),
        Case.parseError("truncated JSON", line("{\"jsonrpc\":\"2.0\",\"id\":\"t\",\"method\":\"ping\"")),
        Case.invalid("method is a number", "{\"jsonrpc\":\"2.0\",\"id\":\"m\",\"method\":5}", "\"m\"", "'method' must be a string"),
        Case.invalid("params is a string", "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"tools/call\",\"params\":\"echo\"}", "\"p\"", "'params'"),
        Case.invalid("params is a number", "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":42}", "5", "'params'"),
        Case.invalid("id is an object", "{\"jsonrpc\":\"2.0\",\"id\":{\"n\":1},\"method\":\"ping\"}", null, "'id' must be a string or an integer"),
        Case.invalid("id is an array", "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", null, "'id' must be a string or an integer"),
        Case.invalid("id is a boolean", "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", null, "'id' must be a string or an integer"),
        Case.invalid("id is fractional", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", null, "'id' must be a string or an integer"),
        Case.invalid("id is too big for a long", "{\"jsonrpc\":\"2.0\",\"id\":123456789012345678901234567890,\"method\":\"ping\"}", null, "'id'"),
        Case.invalid("request id is null", "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", null, "'id' must not be null"),
        Case.invalid("jsonrpc is missing", "{\"id\":11,\"method\":\"ping\"}", "11", "'jsonrpc' must be \"2.0\""),
        Case.invalid("jsonrpc is 1.0", "{\"jsonrpc\":\"1.0\",\"id\":\"v1\",\"method\":\"ping\"}", "\"v1\"", "'jsonrpc' must be \"2.0\""),
        Case.invalid("jsonrpc is a number", "{\"jsonrpc\":2.0,\"id\":13,\"method\":\"ping\"}", "13", "'jsonrpc' must be \"2.0\""),
        Case.invalid("line over the limit", oversize, null, "over the limit of " + MAX_LINE),
        Case.dropped("blank line", line("")),
        Case.dropped("whitespace only", line(" \t   \t\r")),
        Case.parseError("invalid UTF-8 bytes", concat(new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xfd}, line(""))),
        Case.parseError("invalid UTF-8 inside a string", concat(
            bytes("{\"jsonrpc\":\"2.0\",\"id\":19,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\""),
            new byte[] {(byte) 0xc3, (byte) 0x28}, line("\"}}}"))),
        Case.parseError("UTF-8 encoded surrogate", concat(
            bytes("{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":\"ping\",\"params\":{\"s\":\""),
            new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, line("\"}}"))),
        Case.invalid("a batch", "[" + ping24 + "," + ping24.replace("24", "25") + "]", null, "batches"),
        Case.invalid("an empty array", "[]", null, "batches"),
        Case.dropped("a response to an id nobody waits for", line("{\"jsonrpc\":\"2.0\",\"id\":\"nobody\",\"result\":{}}")),
        Case.dropped("an error response with id null", line("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-1,\"message\":\"client trouble\"}}")),
        Case.dropped("a malformed response (result and error)", line(
            "{\"jsonrpc\":\"2.0\",\"id\":\"gatekit-77\",\"result\":{},\"error\":{\"code\":1,\"message\":\"x\"}}")),
        Case.parseError("trailing garbage after an object", line(ping24 + " trailing")),
        Case.parseError("two objects on one line", line(ping24 + ping24)),
        Case.parseError("a duplicate id key", line("{\"jsonrpc\":\"2.0\",\"id\":26,\"id\":27,\"method\":\"ping\"}")),
        Case.invalid("an empty object", "{}", null, "'jsonrpc'"),
        Case.invalid("JSON null", "null", null, "must be a JSON object"),
        Case.invalid("a number", "42", null, "must be a JSON object"),
        Case.invalid("a string", "\"tools/call\"", null, "must be a JSON object"),
        Case.invalid("an empty method", "{\"jsonrpc\":\"2.0\",\"id\":31,\"method\":\"\"}", "31", "'method' must not be empty"),
        Case.invalid("method and result together", "{\"jsonrpc\":\"2.0\",\"id\":32,\"method\":\"ping\",\"result\":{}}", "32", "both"),
        Case.invalid("neither method nor id", "{\"jsonrpc\":\"2.0\",\"params\":{}}", null, "needs a 'method'"),
        Case.invalid("a notification with string params", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":\"s\"}", null, "'params'"),
        Case.parseError("nesting deeper than the parser allows", line(
            "{\"jsonrpc\":\"2.0\",\"id\":33,\"method\":\"ping\",\"params\":{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}}")),
        Case.parseError("a control character", line("{\"jsonrpc\":\"2.0\",\"id\":34,\"method\":\"pi\u0000ng\"}")),
        Case.parseError("single quotes", line("{'jsonrpc':'2.0','id':35,'method':'ping'}")));
  }

  @Test
  void everyMalformedLineGetsItsExactErrorOrNothingAndEveryGoodRequestItsOwnAnswer() {
    serve(Duration.ofSeconds(30));
    List<Case> cases = cases();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(25);
    SoftAssertions softly = new SoftAssertions();
    assertThat(goodRequestAndWhatCameBefore()).isEmpty();
    for (Case c : cases) {
      client.sendRaw(c.line());
      List<JsonNode> answers = goodRequestAndWhatCameBefore();
      if (c.code() == null) {
        softly.assertThat(answers).as("%s: answered nothing", c.name()).isEmpty();
        continue;
      }
      softly.assertThat(answers).as("%s: exactly one answer", c.name()).hasSize(1);
      if (answers.size() != 1) {
        continue;
      }
      JsonNode answer = answers.get(0);
      softly.assertThat(answer.path("jsonrpc").asText()).as("%s: jsonrpc", c.name()).isEqualTo("2.0");
      softly.assertThat(answer.has("id")).as("%s: has an id member", c.name()).isTrue();
      softly.assertThat(answer.get("id")).as("%s: id", c.name()).isEqualTo(c.id());
      softly.assertThat(answer.has("result")).as("%s: no result", c.name()).isFalse();
      softly.assertThat(answer.path("error").path("code").asInt()).as("%s: code", c.name()).isEqualTo(c.code());
      softly.assertThat(answer.path("error").path("message").asText()).as("%s: message", c.name()).contains(c.messagePart());
    }
    softly.assertAll();
    assertThat(client.poll()).as("nothing else was written").isNull();
  }

  @Test
  void validButUnexpectedMessagesAreForwardedOrIgnoredAndServingGoesOn() {
    serve(Duration.ofSeconds(30));
    // An unknown method is forwarded: the upstream answers it (the mock with -32601).
    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":\"u\",\"method\":\"no/such/method\",\"params\":{}}");
    JsonNode unknown = client.next();
    assertThat(unknown.get("id").asText()).isEqualTo("u");
    assertThat(unknown.path("error").path("code").asInt()).isEqualTo(ErrorCodes.METHOD_NOT_FOUND);
    assertThat(mock.requests()).anyMatch(r -> r.method().equals("no/such/method"));

    // An unknown notification goes upstream and is never answered.
    client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}");
    assertThat(goodRequestAndWhatCameBefore()).isEmpty();
    ScenarioRequests.await("the notification upstream",
        () -> mock.notifications().stream().anyMatch(n -> n.method().equals("notifications/whatever")));

    // A line ending in CR LF, and a line of exactly the limit, are good lines.
    client.sendRaw(bytes(toolCall("crlf", "echo", "windows") + "\r\n"));
    JsonNode crlf = client.next();
    assertThat(crlf.path("result").path("content").path(0).path("text").asText()).isEqualTo("windows");
    String prefix = "{\"jsonrpc\":\"2.0\",\"id\":\"limit\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"";
    String suffix = "\"}}}";
    String atLimit = prefix + "y".repeat(MAX_LINE - prefix.length() - suffix.length()) + suffix;
    assertThat(bytes(atLimit)).hasSize(MAX_LINE);
    client.sendLine(atLimit);
    JsonNode limit = client.next();
    assertThat(limit.get("id").asText()).isEqualTo("limit");
    assertThat(limit.path("result").path("content").path(0).path("text").asText()).hasSize(MAX_LINE - prefix.length() - suffix.length());
    String overLimit = atLimit.replace("\"limit\"", "\"limit+\""); // one byte more
    assertThat(bytes(overLimit)).hasSize(MAX_LINE + 1);
    client.sendLine(overLimit);
    assertThat(goodRequestAndWhatCameBefore()).singleElement()
        .satisfies(e -> assertThat(e.path("error").path("code").asInt()).isEqualTo(ErrorCodes.INVALID_REQUEST));
  }

  @Test
  void aDuplicateIdInFlightIsRefusedAndAMalformedCancellationCancelsNothing() {
    serve(Duration.ofSeconds(30));
    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"gate\",\"arguments\":{\"text\":\"one\"}}}");
    assertThat(mock.awaitInFlight(1, ScenarioRequests.WAIT)).isTrue();

    client.sendLine("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"again\"}}}");
    assertThat(goodRequestAndWhatCameBefore()).singleElement().satisfies(e -> {
      assertThat(e.get("id")).isEqualTo(json("1"));
      assertThat(e.path("error").path("code").asInt()).isEqualTo(ErrorCodes.INVALID_REQUEST);
    });

    // Cancellations naming request 1 with the wrong JSON type of id must cancel nothing.
    for (String requestId : new String[] {"1.5", "1.0", "\"1\"", "true", "[1]", "null"}) {
      client.sendLine("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + requestId + "}}");
      assertThat(goodRequestAndWhatCameBefore()).as("cancel with requestId %s", requestId).isEmpty();
    }
    assertThat(mock.cancellations()).as("nothing was cancelled upstream").isEmpty();

    gate.countDown();
    JsonNode one = client.next();
    assertThat(one.get("id")).isEqualTo(json("1"));
    assertThat(one.path("result").path("content").path(0).path("text").asText()).isEqualTo("opened one");
  }

  // ---------------------------------------------------------------------------------------------
  // The client closes its input

  @Test
  void whenTheClientClosesItsInputCallsInFlightAreFinishedThenTheUpstreamIsClosed() throws Exception {
    serve(Duration.ofSeconds(60));
    for (int i = 0; i < 5; i++) {
      client.sendLine(toolCall("slow-" + i, "gate", "call " + i));
    }
    assertThat(mock.awaitInFlight(5, ScenarioRequests.WAIT)).isTrue();
    client.sendRaw(bytes(toolCall("last", "echo", "no line break before the end"))); // no '\n'
    client.closeInput();
    JsonNode last = client.next();
    assertThat(last.get("id").asText()).as("a last line without a line break is served").isEqualTo("last");
    assertThat(client.served()).as("serve waits for the calls in flight").isNotDone();
    assertThat(mock.state()).isEqualTo(TransportState.RUNNING);

    gate.countDown();
    List<String> answered = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      JsonNode answer = client.next();
      assertThat(answer.has("result")).as("answer %s", answer).isTrue();
      assertThat(answer.path("result").path("content").path(0).path("text").asText())
          .isEqualTo("opened call " + answer.get("id").asText().substring("slow-".length()));
      answered.add(answer.get("id").asText());
    }
    assertThat(answered).containsExactlyInAnyOrder("slow-0", "slow-1", "slow-2", "slow-3", "slow-4");
    client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(client.awaitOutputEnd(ScenarioRequests.WAIT)).as("the output is closed").isTrue();
    assertThat(client.poll()).isNull();
    assertThat(mock.state()).isEqualTo(TransportState.CLOSED);
  }

  @Test
  void whenCallsCannotFinishWithinTheDrainTimeoutTheyAreFailedAndServeReturns() throws Exception {
    serve(Duration.ofMillis(300));
    for (int i = 0; i < 3; i++) {
      client.sendLine(toolCall("hang-" + i, "hang", "never"));
    }
    assertThat(mock.awaitInFlight(3, ScenarioRequests.WAIT)).isTrue();
    client.closeInput();
    client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(client.awaitOutputEnd(ScenarioRequests.WAIT)).isTrue();
    List<String> failed = new ArrayList<>();
    JsonNode answer;
    while ((answer = client.poll()) != null) {
      assertThat(answer.path("error").path("code").asInt()).as("answer %s", answer).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
      failed.add(answer.get("id").asText());
    }
    assertThat(failed).containsExactlyInAnyOrder("hang-0", "hang-1", "hang-2");
    assertThat(mock.state()).isEqualTo(TransportState.CLOSED);
    assertThat(mock.stats().inFlight()).isZero();
  }

  @Test
  void withTheRealTestServerClosingTheInputFinishesShortCallsFailsStuckOnesAndEndsTheProcess() throws Exception {
    StdioTransport upstream = ScenarioUpstream.stdio(TransportOptions.defaults());
    GatekitProxy proxy = GatekitProxy.builder().upstream(ScenarioUpstream.NAME, upstream).build();
    client = new ScenarioLineClient(new StdioServer(proxy, MAX_LINE, Duration.ofSeconds(5)));
    initialize();
    long pid = upstream.pid();
    assertThat(pid).isPositive();

    for (int i = 0; i < 3; i++) {
      client.sendLine(CODEC.encodeToString(ScenarioRequests.sleep(RequestId.of("short-" + i), 100)));
      client.sendLine(CODEC.encodeToString(ScenarioRequests.sleep(RequestId.of("stuck-" + i), 86_400_000L)));
    }
    client.closeInput(); // every line before the end is read and in flight before the drain begins
    client.served().get(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(client.awaitOutputEnd(ScenarioRequests.WAIT)).isTrue();

    List<String> finished = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    JsonNode answer;
    while ((answer = client.poll()) != null) {
      String id = answer.get("id").asText();
      if (answer.has("result")) {
        assertThat(answer.path("result").path("content").path(0).path("text").asText()).isEqualTo("slept 100 ms");
        finished.add(id);
      } else {
        assertThat(answer.path("error").path("code").asInt()).as("answer %s", answer).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
        failed.add(id);
      }
    }
    assertThat(finished).containsExactlyInAnyOrder("short-0", "short-1", "short-2");
    assertThat(failed).containsExactlyInAnyOrder("stuck-0", "stuck-1", "stuck-2");
    assertThat(upstream.state()).isEqualTo(TransportState.CLOSED);
    assertThat(upstream.pendingCount()).isZero();
    ScenarioRequests.await("the test server process to end",
        () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
  }
}
