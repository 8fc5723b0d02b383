package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.ok;
import static dev.gatekit.proxy.ProxyFixture.request;
import static dev.gatekit.proxy.ProxyFixture.toolList;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.MockTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The four built-in plugins, loaded through {@link PluginLoader}, inside a running proxy. */
class ProxyBuiltinPluginsTest {

  static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  static final String EMAIL = "jane.doe@example.com";

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final List<MockTransport> mocks = new ArrayList<>();
  private GatekitProxy proxy;
  private int order;

  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    mocks.forEach(MockTransport::close);
  }

  private PluginEntry entry(PluginKind kind, String scope, String handler, Map<String, Object> config) {
    int i = order++;
    return new PluginEntry(kind, scope, handler, config, "plugins." + kind.configKey() + "." + scope + "[" + i + "]", i);
  }

  private MockTransport mock(MockTransport.Builder builder) {
    MockTransport mock = builder.result("initialize", initializeResult("m" + mocks.size())).build();
    mocks.add(mock);
    return mock;
  }

  private void start(Map<String, MockTransport> upstreams, List<PluginEntry> entries) {
    GatekitProxy.Builder builder = GatekitProxy.builder();
    upstreams.forEach(builder::upstream);
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(entries, upstreams.keySet()));
    proxy = builder.build();
    proxy.connect(client);
    handshake(proxy, client);
  }

  /** The audit log's event records (checkpoints and crash records have a {@code type} and no method). */
  private static List<JsonNode> lines(Path file) throws Exception {
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      JsonNode record = JsonRpcCodec.get().mapper().readTree(line);
      if (!record.has("type")) {
        lines.add(record);
      }
    }
    return lines;
  }

  @ParameterizedTest
  @ValueSource(strings = {"block", "redact"})
  void noSecretOrPiiReachesTheAuditLog(String action) throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock(MockTransport.builder()
        .handle("tools/call", r -> "leak".equals(r.params().path("name").asText())
            ? ok(r, "{'content':[{'type':'text','text':'key " + AWS_KEY + " mail " + EMAIL + "'}]}")
            : JsonRpcResponse.success(r.id(), r.params())));
    start(Map.of("files", upstream), List.of(
        entry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", action)),
        entry(PluginKind.SECURITY, "_global", "basic_pii_filter", Map.of("action", action)),
        entry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of("output_file", log.toString()))));

    proxy.receive(request(1, "tools/call", "{'name':'echo','arguments':{'text':'key " + AWS_KEY + " mail " + EMAIL + "'}}"));
    proxy.receive(request(2, "tools/call", "{'name':'leak','arguments':{}}"));
    JsonRpcResponse echoed = client.awaitResponse(1);
    JsonRpcResponse leaked = client.awaitResponse(2);
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
    proxy.close();

    if (action.equals("block")) {
      assertThat(echoed.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
      assertThat(leaked.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
      assertThat(upstream.requests()).noneMatch(r -> r.params() != null && r.params().toString().contains(AWS_KEY));
    } else {
      assertThat(echoed.result().toString()).contains("[REDACTED]");
      assertThat(upstream.requests().toString()).doesNotContain(AWS_KEY).doesNotContain(EMAIL);
    }
    assertThat(echoed.toString() + leaked).doesNotContain(AWS_KEY).doesNotContain(EMAIL);
    String written = Files.readString(log);
    assertThat(written).contains("tools/call").doesNotContain(AWS_KEY).doesNotContain(EMAIL)
        .doesNotContain("IOSFODNN7").doesNotContain("jane.doe");
    assertThat(lines(log)).anySatisfy(l -> assertThat(l.path("metadata").toString()).contains("aws_access_keys"));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aSecretInTheInputOfA2026MultiRoundTripRequestIsBlocked(boolean upstreamIs2026) throws Exception {
    String meta = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
        + "'io.modelcontextprotocol/clientCapabilities':{'elicitation':{}}}";
    MockTransport.Builder builder = MockTransport.builder()
        .handle("tools/call", r -> "ask".equals(r.params().path("name").asText())
            ? ok(r, "{'resultType':'input_required','inputRequests':{'q':{'method':'elicitation/create',"
                + "'params':{'message':'your key is " + AWS_KEY + "','requestedSchema':{'type':'object'}}}}}")
            : ok(r, "{'content':[{'type':'text','text':'done'}]}"));
    if (upstreamIs2026) {
      builder.result("server/discover", JsonRpcCodec.get().mapper().readTree(
          "{\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{\"tools\":{}},\"resultType\":\"complete\"}"));
    }
    MockTransport upstream = mock(builder);
    GatekitProxy.Builder proxyBuilder = GatekitProxy.builder().upstream("files", upstream);
    PluginLoader.addTo(proxyBuilder, PluginLoader.fromClassPath().load(
        List.of(entry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "block"))), Set.of("files")));
    proxy = proxyBuilder.build();
    proxy.connect(client); // a 2026-era client: no initialize

    proxy.receive(request(1, "tools/call", "{'name':'echo','arguments':{},'inputResponses':{'q':{'action':'accept',"
        + "'content':{'key':'" + AWS_KEY + "'}}},'requestState':'opaque'," + meta + "}"));
    proxy.receive(request(2, "tools/call", "{'name':'ask','arguments':{}," + meta + "}"));
    proxy.receive(request(3, "tools/call", "{'name':'echo','arguments':{}," + meta + "}"));

    assertThat(client.awaitResponse(1).error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(client.awaitResponse(2).error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(client.awaitResponse(3).result().path("content").toString()).contains("done");
    assertThat(upstream.requests().toString()).doesNotContain(AWS_KEY);
  }

  @Test
  void aThousandConcurrentRequestsThroughAllFourBuiltIns() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock(MockTransport.builder()
        .options(TransportOptions.builder().maxInFlight(2 * 1000).build())
        .latency(Duration.ofMillis(2))
        .handle("tools/call", r -> JsonRpcResponse.success(r.id(), r.params())));
    start(Map.of("files", upstream), List.of(
        entry(PluginKind.MIDDLEWARE, "files", "tool_manager", Map.of("tools", List.of(Map.of("tool", "echo", "display_name", "say")))),
        entry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "redact")),
        entry(PluginKind.SECURITY, "_global", "basic_pii_filter", Map.of("action", "redact")),
        entry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of("output_file", log.toString()))));

    int n = 1000;
    ExecutorService senders = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      int first = t;
      senders.execute(() -> {
        for (int i = first; i < n; i += 4) {
          String text = i % 2 == 0 ? "req-" + i + " user" + i + "@example.com" : "req-" + i;
          proxy.receive(request(i, "tools/call", "{'name':'say','arguments':{'n':" + i + ",'text':'" + text + "'}}"));
        }
      });
    }
    senders.shutdown();
    assertThat(senders.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    for (int i = 0; i < n; i++) {
      JsonRpcResponse response = client.awaitResponse(i);
      assertThat(response.isError()).as("response %s", response).isFalse();
      assertThat(response.result().path("name").asText()).isEqualTo("echo"); // reached the upstream renamed
      assertThat(response.result().at("/arguments/n").asInt()).isEqualTo(i);
      String text = response.result().at("/arguments/text").asText();
      assertThat(text).isEqualTo(i % 2 == 0 ? "req-" + i + " [REDACTED]" : "req-" + i);
    }
    assertThat(client.responses()).hasSize(n + 1); // plus initialize
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
    assertThat(proxy.stats().inFlight()).isZero();
    assertThat(upstream.maxConcurrent()).isGreaterThan(1);
    proxy.close();

    Map<String, Integer> perRequestAndDirection = new HashMap<>();
    for (JsonNode line : lines(log)) {
      if (line.get("method").asText().equals("tools/call")) {
        perRequestAndDirection.merge(line.get("request_id").toString() + "/" + line.get("direction").asText(), 1, Integer::sum);
      }
    }
    assertThat(perRequestAndDirection).hasSize(2 * n).allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
    assertThat(Files.readString(log)).doesNotContain("@example.com");
  }

  @Test
  void scopesGlobalReplacementAndToolManagementWithNamespaces() throws Exception {
    MockTransport files = mock(MockTransport.builder()
        .result("tools/list", toolList("echo", "delete"))
        .handle("tools/call", r -> JsonRpcResponse.success(r.id(), r.params())));
    MockTransport db = mock(MockTransport.builder()
        .result("tools/list", toolList("query"))
        .handle("tools/call", r -> JsonRpcResponse.success(r.id(), r.params())));
    Map<String, MockTransport> upstreams = new java.util.LinkedHashMap<>();
    upstreams.put("files", files);
    upstreams.put("db", db);
    start(upstreams, List.of(
        entry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of()),
        entry(PluginKind.SECURITY, "db", "basic_secrets_filter", Map.of("action", "audit_only")),
        entry(PluginKind.MIDDLEWARE, "files", "tool_manager", Map.of("tools",
            List.of(Map.of("tool", "echo", "display_name", "say", "display_description", "Says it"))))));

    proxy.receive(request(1, "tools/list"));
    List<String> names = new ArrayList<>();
    client.awaitResponse(1).result().get("tools").forEach(t -> names.add(t.get("name").asText()));
    assertThat(names).containsExactlyInAnyOrder("files__say", "db__query");

    proxy.receive(request(2, "tools/call", "{'name':'files__say','arguments':{'k':'" + AWS_KEY + "'}}"));
    proxy.receive(request(3, "tools/call", "{'name':'db__query','arguments':{'k':'" + AWS_KEY + "'}}"));
    proxy.receive(request(4, "tools/call", "{'name':'files__delete','arguments':{}}"));
    proxy.receive(request(5, "tools/call", "{'name':'files__echo','arguments':{}}"));
    proxy.receive(request(6, "tools/call", "{'name':'files__say','arguments':{}}"));

    assertThat(client.awaitResponse(2).error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION); // global: block
    assertThat(client.awaitResponse(3).isError()).isFalse(); // db's own entry: audit only
    JsonRpcResponse hidden = client.awaitResponse(4);
    assertThat(hidden.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
    assertThat(hidden.error().message()).contains("not available through this gateway");
    assertThat(client.awaitResponse(5).error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
    assertThat(client.awaitResponse(6).isError()).isFalse();
    List<String> reached = files.requests().stream().filter(r -> r.method().equals("tools/call"))
        .map(r -> r.params().get("name").asText()).toList();
    assertThat(reached).containsExactly("echo");
  }

  @Test
  void aCriticalAuditLogThatCannotWriteBlocksTheRequest() throws Exception {
    Path logs = dir.resolve("logs");
    MockTransport upstream = mock(MockTransport.builder()
        .handle("tools/call", r -> JsonRpcResponse.success(r.id(), r.params())));
    start(Map.of("files", upstream), List.of(entry(PluginKind.AUDITING, "_global", "audit_jsonl",
        Map.of("output_file", logs.resolve("audit.jsonl").toString(), "critical", true))));
    // The log was writable at start (initialize was recorded); now its directory becomes a file.
    Files.delete(logs.resolve("audit.jsonl"));
    Files.delete(logs);
    Files.writeString(logs, "not a directory");
    proxy.receive(request(1, "tools/call", "{'name':'echo','arguments':{}}"));
    assertThat(client.awaitResponse(1).error().code()).isEqualTo(ErrorCodes.AUDITING_FAILURE);
    assertThat(upstream.requests()).noneMatch(r -> r.method().equals("tools/call"));
  }
}
