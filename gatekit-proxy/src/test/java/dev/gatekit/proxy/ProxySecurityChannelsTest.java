package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.get;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.ok;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.MockTransport;
import dev.gatekit.transport.stdio.StdioTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The channels around the security plugins, closed: requests an upstream sends the client and the
 * client's answers pass the plugins and the audit log like client requests; a secret in a method or
 * an id never reaches the audit log; what an upstream wrote to stderr never reaches the client or
 * the audit log.
 */
class ProxySecurityChannelsTest {

  static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

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

  // ---------------------------------------------------------------------------------------------
  // Server-to-client requests

  @Test
  void aServerRequestCarryingASecretIsBlockedTheUpstreamGetsASecurityErrorAndTheClientNeverSeesIt() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock();
    start(upstream, "block", log);

    CompletableFuture<JsonRpcResponse> answer = upstream.emitRequest(request("s-1", "sampling/createMessage",
        "{'messages':[{'role':'user','content':{'type':'text','text':'use " + AWS_KEY + "'}}],'maxTokens':5}"));

    JsonRpcResponse upstreamGets = get(answer);
    assertThat(upstreamGets.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(upstreamGets.id()).isEqualTo(RequestId.of("s-1"));
    assertThat(client.requests()).as("the client never sees a blocked server request").isEmpty();
    closeAndAssertAuditLogClean(log, "sampling/createMessage", "blocked");
  }

  @Test
  void aServerRequestIsRedactedForTheClientAndTheClientsAnswerIsRedactedForTheUpstream() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock();
    start(upstream, "redact", log);

    CompletableFuture<JsonRpcResponse> answer = upstream.emitRequest(request("s-2", "sampling/createMessage",
        "{'messages':[{'role':'user','content':{'type':'text','text':'use " + AWS_KEY + "'}}],'maxTokens':5}"));
    JsonRpcRequest seen = client.await(JsonRpcRequest.class, r -> r.method().equals("sampling/createMessage"), "sampling");
    assertThat(seen.params().toString()).doesNotContain(AWS_KEY).contains("[REDACTED");
    proxy.receive(JsonRpcResponse.success(seen.id(), ProxyFixture.obj(
        "{'role':'assistant','content':{'type':'text','text':'here: " + AWS_KEY + "'},'model':'m'}")));

    JsonRpcResponse upstreamGets = get(answer);
    assertThat(upstreamGets.id()).isEqualTo(RequestId.of("s-2"));
    assertThat(upstreamGets.result().toString()).doesNotContain(AWS_KEY).contains("[REDACTED");
    closeAndAssertAuditLogClean(log, "sampling/createMessage", "modified");
    List<JsonNode> records = lines(log);
    assertThat(records).filteredOn(r -> r.path("method").asText().equals("sampling/createMessage"))
        .extracting(r -> r.path("direction").asText())
        .as("the request and its answer are both recorded")
        .contains("upstream_to_client", "client_to_upstream");
  }

  @Test
  void aClientAnswerCarryingASecretIsBlockedAndTheUpstreamGetsASecurityError() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock();
    start(upstream, "block", log);

    CompletableFuture<JsonRpcResponse> answer =
        upstream.emitRequest(request(9, "elicitation/create", "{'message':'Your key?','requestedSchema':{'type':'object'}}"));
    JsonRpcRequest seen = client.await(JsonRpcRequest.class, r -> r.method().equals("elicitation/create"), "elicitation");
    proxy.receive(JsonRpcResponse.success(seen.id(), ProxyFixture.obj(
        "{'action':'accept','content':{'key':'" + AWS_KEY + "'}}")));

    JsonRpcResponse upstreamGets = get(answer);
    assertThat(upstreamGets.id()).isEqualTo(RequestId.of(9));
    assertThat(upstreamGets.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(upstreamGets.toString()).doesNotContain(AWS_KEY);
    closeAndAssertAuditLogClean(log, "elicitation/create", "blocked");
  }

  // ---------------------------------------------------------------------------------------------
  // What middleware made or rewrote

  @Test
  void aSecretInAnAnswerMiddlewareMadeOrRewroteIsBlockedBeforeTheClientOrTheAuditLog() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock(MockTransport.builder().handle("tools/call", r -> ok(r, "{'content':[]}")));
    MiddlewarePlugin leaky = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        return "cached".equals(request.params().path("name").asText())
            ? PluginResult.complete(ok(request, "{'content':[{'type':'text','text':'" + AWS_KEY + "'}]}"), "cache hit")
            : PluginResult.allow();
      }

      @Override
      public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        return "tools/call".equals(request.method())
            ? PluginResult.modify(ok(request, "{'content':[{'type':'text','text':'footer " + AWS_KEY + "'}]}"),
                "footer added")
            : PluginResult.allow();
      }
    };
    start(upstream, "block", log, leaky);

    proxy.receive(request(1, "tools/call", "{'name':'cached','arguments':{}}"));
    proxy.receive(request(2, "tools/call", "{'name':'echo','arguments':{}}"));

    for (int id : new int[] {1, 2}) {
      JsonRpcResponse answer = client.awaitResponse(RequestId.of(id));
      assertThat(answer.error()).as("answer %s", id).isNotNull();
      assertThat(answer.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
      assertThat(answer.toString()).doesNotContain(AWS_KEY);
    }
    assertThat(upstream.requests()).as("the answer made by middleware never went upstream")
        .noneMatch(r -> r.params() != null && r.params().path("name").asText().equals("cached"));
    closeAndAssertAuditLogClean(log, "tools/call", "blocked");
  }

  // ---------------------------------------------------------------------------------------------
  // The audit log

  @ParameterizedTest
  @ValueSource(strings = {"block", "redact"})
  void aSecretSentAsTheMethodOrTheIdNeverReachesTheAuditLog(String action) throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = mock(MockTransport.builder().handle("tools/call", r -> ok(r, "{'content':[]}")));
    start(upstream, action, log);

    proxy.receive(request(AWS_KEY, "tools/call", "{'name':'echo','arguments':{}}"));
    proxy.receive(request(2, "x/" + AWS_KEY, "{}"));
    client.awaitResponse(RequestId.of(AWS_KEY));
    client.awaitResponse(RequestId.of(2));
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();

    assertThat(upstream.requests()).noneMatch(r -> r.toString().contains(AWS_KEY));
    closeAndAssertAuditLogClean(log, null, null);
  }

  // ---------------------------------------------------------------------------------------------
  // Errors built from upstream text

  @Test
  void whatADeadUpstreamWroteToStderrReachesNeitherTheClientNorTheAuditLog() throws Exception {
    Path log = dir.resolve("audit.jsonl");
    String secret = "db-password=hunter2-" + System.nanoTime();
    StdioTransport dying = StdioTransport.builder("sh", "-c", "read line; echo '" + secret + "' >&2; exit 3")
        .name("files")
        .build();
    GatekitProxy.Builder builder = GatekitProxy.builder().upstream("files", dying);
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        entry(PluginKind.AUDITING, "audit_jsonl", Map.of("output_file", log.toString()))), java.util.Set.of("files")));
    proxy = builder.build();
    proxy.connect(client);

    proxy.receive(ProxyFixture.initializeRequest(1));
    JsonRpcResponse failed = client.awaitResponse(RequestId.of(1));
    proxy.receive(ProxyFixture.initializeRequest(2));
    JsonRpcResponse later = client.awaitResponse(RequestId.of(2));

    assertThat(failed.error().code()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    assertThat(failed.error().message()).contains("files").contains("3").doesNotContain("hunter2");
    assertThat(later.error().message()).doesNotContain("hunter2");
    proxy.close();
    assertThat(Files.readString(log)).contains("initialize").doesNotContain("hunter2");
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private MockTransport mock() {
    return mock(MockTransport.builder());
  }

  private MockTransport mock(MockTransport.Builder builder) {
    MockTransport mock = builder.result("initialize", initializeResult("m" + mocks.size())).build();
    mocks.add(mock);
    return mock;
  }

  private void start(MockTransport upstream, String action, Path log, Plugin... more) {
    GatekitProxy.Builder builder = GatekitProxy.builder().upstream("files", upstream);
    for (Plugin plugin : more) {
      builder.plugin(plugin);
    }
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        entry(PluginKind.SECURITY, "basic_secrets_filter", Map.of("action", action)),
        entry(PluginKind.SECURITY, "basic_pii_filter", Map.of("action", action)),
        entry(PluginKind.AUDITING, "audit_jsonl", Map.of("output_file", log.toString()))), java.util.Set.of("files")));
    proxy = builder.build();
    proxy.connect(client);
    handshake(proxy, client);
  }

  private PluginEntry entry(PluginKind kind, String handler, Map<String, Object> config) {
    int i = order++;
    return new PluginEntry(kind, "_global", handler, config,
        "plugins." + kind.configKey() + "._global[" + i + "]", i);
  }

  /** Closes the proxy (flushing the log) and checks the log holds no secret, and the expected record. */
  private void closeAndAssertAuditLogClean(Path log, String method, String outcome) throws Exception {
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
    proxy.close();
    String written = Files.readString(log);
    assertThat(written).doesNotContain(AWS_KEY).doesNotContain("IOSFODNN7");
    if (method != null) {
      await("the record of " + method, () -> lines(log).stream().anyMatch(r ->
          r.path("method").asText().equals(method) && r.path("outcome").asText().equals(outcome)));
    }
  }

  private static List<JsonNode> lines(Path file) {
    try {
      List<JsonNode> lines = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        lines.add(JsonRpcCodec.get().mapper().readTree(line));
      }
      return lines;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
