package dev.gatekit.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * 2026-07-28 (stateless) requests at the HTTP front, over real sockets with raw HTTP: no {@code
 * initialize}, no session id; the front checks the headers against the body, serves the requests
 * through its one stateless proxy session with ids of its own, and passes every message through the
 * plugins.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatelessFrontTest {

  static final String VERSION = "2026-07-28";

  @TempDir Path dir;
  private MockUpstreams upstreams;
  private StreamableHttpServer server;
  private Http http;

  private void start(MockUpstreams mocks, List<String> versions) {
    upstreams = mocks;
    StreamableHttpServer.Builder builder = StreamableHttpServer.builder(upstreams.proxy);
    if (versions != null) {
      builder.protocolVersions(versions);
    }
    server = builder.build();
    server.start();
    http = new Http(server.endpoint());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (upstreams != null) {
      upstreams.close();
    }
  }

  /** The headers a 2026-07-28 client sends: version, method and, when the body names one, the name. */
  static Map<String, String> headers(String method, String name) {
    Map<String, String> headers = Http.postHeaders(null);
    headers.put("MCP-Protocol-Version", VERSION);
    headers.put("Mcp-Method", method);
    if (name != null) {
      headers.put("Mcp-Name", name);
    }
    return headers;
  }

  static String meta(String version) {
    return "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"" + version + "\","
        + "\"io.modelcontextprotocol/clientCapabilities\":{},"
        + "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"raw-2026\",\"version\":\"1\"}}";
  }

  static String request(Object id, String method, String params) {
    String idJson = id instanceof String text ? "\"" + text + "\"" : String.valueOf(id);
    return "{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"method\":\"" + method + "\",\"params\":{"
        + (params.isEmpty() ? "" : params + ",") + meta(VERSION) + "}}";
  }

  static String call(Object id, String tool, String arguments) {
    return request(id, "tools/call", "\"name\":\"" + tool + "\",\"arguments\":" + arguments);
  }

  private HttpResponse<String> post(String body, Map<String, String> headers) {
    return http.send("POST", body, headers);
  }

  @Test
  void aStatelessClientDiscoversAndCallsWithoutInitializeOrSession() {
    start(new MockUpstreams(), null);
    HttpResponse<String> discover = post(request(7, "server/discover", ""), headers("server/discover", null));
    assertThat(discover.statusCode()).as(discover.body()).isEqualTo(200);
    assertThat(discover.headers().firstValue("Mcp-Session-Id")).isEmpty();
    JsonNode result = Http.json(discover.body());
    assertThat(result.path("id").asInt()).isEqualTo(7);
    assertThat(result.path("result").path("supportedVersions").toString()).contains(VERSION);

    HttpResponse<String> answer = post(call("a", "echo", "{\"x\":1}"), headers("tools/call", "echo"));
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = Http.json(answer.body());
    assertThat(body.path("id").asText()).isEqualTo("a");
    assertThat(body.path("result").path("content").get(0).path("text").asText()).isEqualTo("echo {\"x\":1}");
    assertThat(body.path("result").path("resultType").asText()).isEqualTo("complete");
    assertThat(server.sessionCount()).as("stateless traffic holds no session slot").isZero();
    assertThat(upstreams.upstreams).as("one upstream connection for all stateless traffic").hasSize(1);
  }

  @Test
  void twoClientsUsingTheSameIdAndProgressTokenNeverMeet() {
    start(new MockUpstreams(), null);
    try (Http.Sse first = http.stream("POST",
        request(1, "tools/call", "\"name\":\"progress\",\"arguments\":{}").replace("\"_meta\":{",
            "\"_meta\":{\"progressToken\":\"t\","), headers("tools/call", "progress"))) {
      assertThat(first.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      Http.Event progress = first.next();
      assertThat(progress.data().path("method").asText()).isEqualTo("notifications/progress");
      assertThat(progress.data().path("params").path("progressToken").asText()).as("the client's own token").isEqualTo("t");

      // the second client uses id 1 as well, while the first one's id 1 is in flight
      HttpResponse<String> second = post(call(1, "echo", "{\"who\":\"second\"}"), headers("tools/call", "echo"));
      assertThat(second.statusCode()).isEqualTo(200);
      JsonNode secondBody = Http.json(second.body());
      assertThat(secondBody.path("id").asInt()).isEqualTo(1);
      assertThat(secondBody.path("result").path("content").get(0).path("text").asText()).contains("second");

      upstreams.release();
      Http.Event answer = first.next();
      while (answer != null && !answer.data().has("id")) {
        answer = first.next(); // a log message is no one's: dropped, but tolerate nothing else
        assertThat(answer).isNotNull();
      }
      assertThat(answer.data().path("id").asInt()).isEqualTo(1);
      assertThat(answer.data().path("result").path("content").get(0).path("text").asText()).isEqualTo("progress done");
    }
  }

  @Test
  void headersThatDoNotMatchTheBodyGetHeaderMismatch() {
    start(new MockUpstreams(), null);
    Map<String, String> noMethod = headers("tools/list", null);
    noMethod.remove("Mcp-Method");
    assertRefused(post(request(1, "tools/list", ""), noMethod), 400, -32020, 1);
    assertRefused(post(request(2, "tools/list", ""), headers("prompts/list", null)), 400, -32020, 2);
    assertRefused(post(request(3, "tools/list", ""), headers("TOOLS/LIST", null)), 400, -32020, 3);
    assertRefused(post(call(4, "echo", "{}"), headers("tools/call", "wrong_tool")), 400, -32020, 4);
    assertRefused(post(call(5, "echo", "{}"), headers("tools/call", null)), 400, -32020, 5);
    Map<String, String> otherVersion = headers("tools/list", null);
    otherVersion.put("MCP-Protocol-Version", "2025-11-25");
    assertRefused(post(request(6, "tools/list", ""), otherVersion), 400, -32020, 6);
    Map<String, String> noVersion = headers("tools/list", null);
    noVersion.remove("MCP-Protocol-Version");
    assertRefused(post(request(7, "tools/list", ""), noVersion), 400, -32020, 7);
    assertThat(upstreams.upstreams).as("nothing was started for refused requests").isEmpty();

    // header names in any case, values with whitespace around them, and base64-encoded names pass
    Map<String, String> spaced = new LinkedHashMap<>(Http.postHeaders(null));
    spaced.put("mcp-protocol-version", VERSION);
    spaced.put("MCP-METHOD", "tools/call");
    spaced.put("mcp-name", "  echo  ");
    assertThat(post(call(8, "echo", "{}"), spaced).statusCode()).isEqualTo(200);
    HttpResponse<String> encoded = post(call(9, "echo", "{}"), headers("tools/call", "=?base64?ZWNobw==?="));
    assertThat(encoded.statusCode()).as(encoded.body()).isEqualTo(200);
  }

  @Test
  void badMetaRemovedMethodsAndUnknownMethodsGetTheirErrorsAndStatuses() {
    start(new MockUpstreams(), null);
    HttpResponse<String> noMeta = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{}}",
        headers("server/discover", null));
    assertRefused(noMeta, 400, -32602, 1);
    String noCapabilities = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"server/discover\",\"params\":{\"_meta\":{"
        + "\"io.modelcontextprotocol/protocolVersion\":\"" + VERSION + "\"}}}";
    assertRefused(post(noCapabilities, headers("server/discover", null)), 400, -32602, 2);
    for (String removed : List.of("initialize", "ping", "logging/setLevel", "resources/subscribe")) {
      assertRefused(post(request(3, removed, ""), headers(removed, null)), 404, -32601, 3);
    }
    assertRefused(post(request(4, "unknown/method", ""), headers("unknown/method", null)), 404, -32601, 4);

    HttpResponse<String> get = http.send("GET", null, Map.of("Accept", "text/event-stream",
        "MCP-Protocol-Version", VERSION));
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(Http.json(get.body()).path("error").path("code").asInt()).isEqualTo(-32600);

    // a 2025-era request without a session id keeps its 400
    HttpResponse<String> old = http.post(null, Http.toolCall(5, "echo", null));
    assertThat(old.statusCode()).isEqualTo(400);
    assertThat(old.body()).contains("Mcp-Session-Id");
  }

  @Test
  void anUnsupportedVersionGetsUnsupportedProtocolVersionNamingTheAcceptedOnes() {
    start(new MockUpstreams(), null);
    Map<String, String> headers = headers("server/discover", null);
    headers.put("MCP-Protocol-Version", "v999.0.0");
    String body = "{\"jsonrpc\":\"2.0\",\"id\":301,\"method\":\"server/discover\",\"params\":{" + meta("v999.0.0") + "}}";
    HttpResponse<String> answer = post(body, headers);
    JsonNode error = assertRefused(answer, 400, -32022, 301);
    assertThat(error.path("data").path("supported").toString()).isEqualTo("[\"" + VERSION + "\"]");
    assertThat(error.path("data").path("requested").asText()).isEqualTo("v999.0.0");
  }

  @Test
  void aFrontConfiguredWithoutTheStatelessVersionRefusesStatelessRequests() {
    start(new MockUpstreams(), List.of("2025-11-25"));
    JsonNode error = assertRefused(post(request(1, "server/discover", ""), headers("server/discover", null)),
        400, -32022, 1);
    assertThat(error.path("data").path("requested").asText()).isEqualTo(VERSION);
    assertThat(error.path("data").path("supported").size()).isZero();
    // a session with the accepted version still works; another version's header gets 400
    String session = http.initialize();
    Map<String, String> old = Http.postHeaders(session);
    old.put("MCP-Protocol-Version", "2025-06-18");
    assertThat(http.send("POST", Http.toolCall(2, "echo", null), old).statusCode()).isEqualTo(400);
    old.put("MCP-Protocol-Version", "2025-11-25");
    assertThat(http.send("POST", Http.toolCall(3, "echo", null), old).statusCode()).isEqualTo(200);
  }

  @Test
  void aSecretInAStatelessRequestOrItsAnswerIsBlockedAndTheAuditLogRecordsTheStatelessSession()
      throws IOException {
    Path auditLog = dir.resolve("audit.jsonl");
    start(new MockUpstreams(builder -> PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(
        List.of(new PluginEntry(PluginKind.SECURITY, PluginEntry.GLOBAL, "basic_secrets_filter",
            Map.of("action", "block"), "plugins.security._global[0]", 0),
            new PluginEntry(PluginKind.AUDITING, PluginEntry.GLOBAL, "audit_jsonl",
                Map.of("output_file", auditLog.toString()), "plugins.auditing._global[0]", 0)),
        Set.of("mock")))), null);

    HttpResponse<String> leaked = post(call(1, "echo", "{\"leak\":true}"), headers("tools/call", "echo"));
    assertThat(leaked.body()).doesNotContain(MockUpstreams.AWS_KEY);
    assertThat(Http.json(leaked.body()).path("error").path("code").asInt()).isEqualTo(-32000);
    assertThat(Http.json(leaked.body()).path("id").asInt()).isEqualTo(1);

    HttpResponse<String> sent = post(call(2, "echo", "{\"key\":\"" + MockUpstreams.AWS_KEY + "\"}"),
        headers("tools/call", "echo"));
    assertThat(sent.body()).doesNotContain(MockUpstreams.AWS_KEY);
    assertThat(Http.json(sent.body()).path("error").path("code").asInt()).isEqualTo(-32000);
    assertThat(upstreams.upstreams.get(0).requests().stream().map(Object::toString))
        .as("the request with the secret never reached the upstream")
        .noneMatch(message -> message.contains(MockUpstreams.AWS_KEY));

    server.close();
    upstreams.close();
    String log = Files.readString(auditLog);
    assertThat(log).doesNotContain(MockUpstreams.AWS_KEY);
    assertThat(log.lines().filter(line -> line.contains("\"outcome\":\"blocked\""))
        .filter(line -> line.contains("\"session\":\"stateless\""))).hasSize(2);
  }

  @Test
  void aListenStreamGetsItsNotificationsUnderTheClientsOwnId()
      throws Exception {
    java.util.concurrent.atomic.AtomicReference<dev.gatekit.testkit.MockTransport> self =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.CountDownLatch end = new java.util.concurrent.CountDownLatch(1);
    dev.gatekit.proxy.GatekitProxy proxy = dev.gatekit.proxy.GatekitProxy.builder()
        .upstreamPerSession("modern", () -> {
          dev.gatekit.testkit.MockTransport mock = dev.gatekit.testkit.MockTransport.builder()
              .result("server/discover", Http.json("{\"supportedVersions\":[\"" + VERSION + "\"],\"capabilities\":"
                  + "{\"tools\":{\"listChanged\":true}},\"resultType\":\"complete\"}"))
              .handle("subscriptions/listen", request -> {
                String id = request.id().toJson().toString();
                self.get().emitNotification(new dev.gatekit.api.JsonRpcNotification(
                    "notifications/subscriptions/acknowledged",
                    Http.json("{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":" + id + "}}")));
                self.get().emitNotification(new dev.gatekit.api.JsonRpcNotification("notifications/tools/list_changed",
                    Http.json("{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":" + id + "}}")));
                try {
                  end.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return dev.gatekit.api.JsonRpcResponse.success(request.id(), Http.json("{\"resultType\":\"complete\"}"));
              })
              .build();
          self.set(mock);
          return mock;
        }).build();
    server = StreamableHttpServer.builder(proxy).build();
    server.start();
    http = new Http(server.endpoint());
    try {
      Http.Sse listen = http.stream("POST", request("listen-1", "subscriptions/listen",
          "\"notifications\":{\"toolsListChanged\":true}"), headers("subscriptions/listen", null));
      assertThat(listen.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      Http.Event ack = listen.next();
      assertThat(ack.data().path("method").asText()).isEqualTo("notifications/subscriptions/acknowledged");
      assertThat(ack.data().path("params").path("_meta").path("io.modelcontextprotocol/subscriptionId").asText())
          .as("the client's own id").isEqualTo("listen-1");
      Http.Event changed = listen.next();
      assertThat(changed.data().path("method").asText()).isEqualTo("notifications/tools/list_changed");
      assertThat(changed.data().path("params").path("_meta").path("io.modelcontextprotocol/subscriptionId").asText())
          .isEqualTo("listen-1");
      listen.close();
    } finally {
      end.countDown();
      server.close();
      server = null;
      proxy.close();
    }
  }

  private static JsonNode assertRefused(HttpResponse<String> response, int status, int code, int id) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode body = Http.json(response.body());
    assertThat(body.path("error").path("code").asInt()).as(response.body()).isEqualTo(code);
    assertThat(body.path("id").asInt()).as("the error carries the request's id").isEqualTo(id);
    return body.path("error");
  }
}
