package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.request;
import static dev.gatekit.proxy.ProxyFixture.toolList;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.testkit.MockTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy between protocol generations, one direction per test, against upstreams in memory: what
 * the client gets and what the upstream sees.
 */
class ProxyProtocolVersionsTest {

  private static final String META_2026 = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{'sampling':{}},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'},'progressToken':'p1'}";
  private static final JsonNode DISCOVERY = json("{'supportedVersions':['2026-07-28'],'capabilities':{'tools':{}},"
      + "'resultType':'complete','ttlMs':0,'cacheScope':'private','instructions':'be kind',"
      + "'_meta':{'io.modelcontextprotocol/serverInfo':{'name':'new-server','version':'3'}}}");

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final List<MockTransport> mocks = new ArrayList<>();
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    mocks.forEach(MockTransport::close);
  }

  private MockTransport server2025() {
    return track(MockTransport.builder()
        .result("initialize", initializeResult("old-server"))
        .result("tools/list", toolList("echo"))
        .build());
  }

  private MockTransport server2026() {
    return track(MockTransport.builder()
        .result("server/discover", DISCOVERY)
        .result("tools/list", json("{'tools':[],'resultType':'complete','ttlMs':60000,'cacheScope':'public'}"))
        .build()); // initialize is "method not found": it speaks only 2026-07-28
  }

  private MockTransport track(MockTransport mock) {
    mocks.add(mock);
    return mock;
  }

  private void start(MockTransport... upstreams) {
    start(builder -> { }, upstreams);
  }

  private void start(Consumer<GatekitProxy.Builder> configure, MockTransport... upstreams) {
    GatekitProxy.Builder builder = GatekitProxy.builder();
    configure.accept(builder);
    for (int i = 0; i < upstreams.length; i++) {
      builder.upstream("u" + i, upstreams[i]);
    }
    proxy = builder.build();
    proxy.connect(client);
  }

  /** {@link #META_2026} with more members in its {@code _meta}. */
  private static String metaWith(String members) {
    return META_2026.substring(0, META_2026.length() - 1) + members + "}";
  }

  private static List<String> methods(MockTransport mock) {
    return mock.requests().stream().map(JsonRpcRequest::method).toList();
  }

  @Test
  void aVersionTheGatewayDoesNotSpeakGetsUnsupportedProtocolVersionNamingTheSupportedOnes() {
    MockTransport upstream = server2026();
    start(upstream);

    proxy.receive(request(1, "tools/list", "{'_meta':{'io.modelcontextprotocol/protocolVersion':'2099-01-01'}}"));

    JsonRpcResponse answer = client.awaitResponse(1);
    assertThat(answer.error().code()).isEqualTo(-32022);
    assertThat(answer.error().data().path("supported").toString()).isEqualTo("[\"2026-07-28\"]");
    assertThat(upstream.requests()).isEmpty();
  }

  @Test
  void theAcceptedVersionsAreTheDeploymentsChoiceForBothGenerations() {
    MockTransport upstream = server2025();
    start(builder -> builder.protocolVersions(List.of("2025-11-25")), upstream);

    proxy.receive(request(1, "initialize",
        "{'protocolVersion':'2025-06-18','capabilities':{},'clientInfo':{'name':'c','version':'1'}}"));
    proxy.receive(request(2, "tools/list", "{" + META_2026 + "}"));

    JsonRpcResponse initialize = client.awaitResponse(1);
    assertThat(initialize.error().code()).isEqualTo(-32602);
    assertThat(initialize.error().message()).isEqualTo("Unsupported protocol version");
    assertThat(initialize.error().data()).isEqualTo(json("{'supported':['2025-11-25'],'requested':'2025-06-18'}"));
    JsonRpcResponse stateless = client.awaitResponse(2);
    assertThat(stateless.error().code()).isEqualTo(-32022);
    assertThat(stateless.error().data().path("supported").toString()).isEqualTo("[]");
    assertThat(upstream.requests()).as("neither reached the upstream").isEmpty();

    proxy.receive(request(3, "initialize",
        "{'protocolVersion':'2025-11-25','capabilities':{},'clientInfo':{'name':'c','version':'1'}}"));
    assertThat(client.awaitResponse(3).isError()).as("an accepted version is served").isFalse();
  }

  @Test
  void aListOfVersionsTheGatewayDoesNotSpeakIsRefusedWhenTheProxyIsBuilt() {
    assertThatThrownBy(() -> GatekitProxy.builder().protocolVersions(List.of("2025-11-25", "2024-11-05")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2024-11-05").hasMessageContaining("2025-03-26");
    assertThatThrownBy(() -> GatekitProxy.builder().protocolVersions(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void newClientNewServerPassesThroughUntouched() {
    MockTransport upstream = server2026();
    start(upstream);

    proxy.receive(request(1, "server/discover", "{" + META_2026 + "}"));
    proxy.receive(request(2, "tools/list", "{" + META_2026 + "}"));

    assertThat(client.awaitResponse(1).result()).isEqualTo(DISCOVERY);
    assertThat(client.awaitResponse(2).result().path("ttlMs").asInt()).isEqualTo(60000);
    assertThat(methods(upstream)).containsExactly("server/discover", "tools/list"); // the client's discover was the probe
    assertThat(upstream.requests().get(1).params()).isEqualTo(json("{" + META_2026 + "}"));
  }

  @Test
  void newClientOldServerIsBridged() {
    MockTransport upstream = server2025();
    start(upstream);

    proxy.receive(request(1, "server/discover", "{" + META_2026 + "}"));
    JsonNode discovery = client.awaitResponse(1).result();
    proxy.receive(request(2, "tools/list", "{" + META_2026 + "}"));
    JsonNode tools = client.awaitResponse(2).result();

    assertThat(discovery.path("supportedVersions").toString()).isEqualTo("[\"2026-07-28\"]");
    assertThat(discovery.path("capabilities")).isEqualTo(initializeResult("x").get("capabilities"));
    assertThat(discovery.path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText()).isEqualTo("old-server");
    assertThat(discovery.path("resultType").asText()).isEqualTo("complete");
    assertThat(tools.path("resultType").asText()).isEqualTo("complete");
    assertThat(tools.path("ttlMs").asInt()).isZero();
    assertThat(tools.path("cacheScope").asText()).isEqualTo("private");
    assertThat(tools.path("tools").get(0).path("name").asText()).isEqualTo("echo");
    assertThat(methods(upstream)).containsExactly("server/discover", "initialize", "tools/list");
    JsonRpcRequest initialize = upstream.requests().get(1);
    assertThat(initialize.params().path("capabilities")).isEqualTo(json("{'sampling':{}}"));
    assertThat(initialize.params().path("clientInfo").path("name").asText()).isEqualTo("new-client");
    assertThat(upstream.notifications()).extracting(n -> n.method()).containsExactly("notifications/initialized");
    // the protocol members of _meta are stripped, the rest (the progress token) kept
    assertThat(upstream.requests().get(2).params()).isEqualTo(json("{'_meta':{'progressToken':'p1'}}"));
  }

  @Test
  void oldClientNewServerIsBridged() {
    MockTransport upstream = server2026();
    start(upstream);

    JsonRpcResponse initialized = handshake(proxy, client);
    proxy.receive(request(2, "logging/setLevel", "{'level':'debug'}"));
    proxy.receive(request(3, "ping"));
    assertThat(client.awaitResponse(2).result()).isEqualTo(json("{}"));
    assertThat(client.awaitResponse(3).result()).isEqualTo(json("{}"));
    proxy.receive(request(4, "tools/list", "{}"));
    assertThat(client.awaitResponse(4).isError()).isFalse();

    assertThat(initialized.result().path("protocolVersion").asText()).isEqualTo("2025-11-25");
    assertThat(initialized.result().path("serverInfo").path("name").asText()).isEqualTo("new-server");
    assertThat(initialized.result().path("capabilities")).isEqualTo(DISCOVERY.get("capabilities"));
    assertThat(initialized.result().path("instructions").asText()).isEqualTo("be kind");
    assertThat(methods(upstream)).containsExactly("initialize", "server/discover", "tools/list");
    assertThat(upstream.notifications()).isEmpty(); // no notifications/initialized for a server without a handshake
    JsonNode meta = upstream.requests().get(2).params().path("_meta");
    assertThat(meta.path("io.modelcontextprotocol/protocolVersion").asText()).isEqualTo("2026-07-28");
    assertThat(meta.path("io.modelcontextprotocol/clientCapabilities"))
        .isEqualTo(json("{'sampling':{},'roots':{'listChanged':true}}"));
    assertThat(meta.path("io.modelcontextprotocol/clientInfo").path("name").asText()).isEqualTo("test-client");
    assertThat(meta.path("io.modelcontextprotocol/logLevel").asText()).isEqualTo("debug");
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
  }

  @Test
  void newClientWithSeveralUpstreamsOfMixedGenerationsGetsOneListWithCacheHints() {
    MockTransport old = server2025();
    MockTransport modern = server2026();
    start(old, modern);

    proxy.receive(request(1, "tools/list", "{" + META_2026 + "}"));

    JsonNode tools = client.awaitResponse(1).result();
    assertThat(tools.path("tools").get(0).path("name").asText()).isEqualTo("u0__echo");
    assertThat(tools.path("resultType").asText()).isEqualTo("complete");
    assertThat(tools.path("ttlMs").asInt()).isZero(); // as fresh as the least fresh upstream's
    assertThat(tools.path("cacheScope").asText()).isEqualTo("private");
    assertThat(methods(old)).containsExactly("server/discover", "initialize", "tools/list");
    assertThat(methods(modern)).containsExactly("server/discover", "tools/list");

    proxy.receive(request(2, "server/discover", "{" + META_2026 + "}"));
    JsonNode discovery = client.awaitResponse(2).result();
    assertThat(discovery.path("supportedVersions").toString()).isEqualTo("[\"2026-07-28\"]");
    assertThat(discovery.path("capabilities").has("tools")).isTrue();
    assertThat(discovery.path("instructions").asText()).isEqualTo("u1: be kind");
    assertThat(discovery.path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText()).isEqualTo("gatekit");
    assertThat(methods(old)).containsExactly("server/discover", "initialize", "tools/list"); // answered from initialize
  }

  /**
   * A 2026-07-28 server whose {@code tools/call} needs a sampling and the client's roots: it answers
   * {@code input_required} (with a state of its own) until a retry brings both answers and that state.
   */
  private MockTransport server2026AskingForInput() {
    return track(MockTransport.builder()
        .result("server/discover", DISCOVERY)
        .handle("tools/call", call -> {
          JsonNode params = call.params();
          JsonNode answers = params.path("inputResponses");
          if (!params.path("requestState").asText().equals("opaque:1") || !answers.has("draft") || !answers.has("roots")) {
            return JsonRpcResponse.success(call.id(), json("{'resultType':'input_required','requestState':'opaque:1',"
                + "'inputRequests':{'draft':{'method':'sampling/createMessage','params':{'messages':[{'role':'user',"
                + "'content':{'type':'text','text':'a haiku'}}],'maxTokens':20}},'roots':{'method':'roots/list'}}}"));
          }
          String text = answers.path("draft").path("content").path("text").asText() + " in "
              + answers.path("roots").path("roots").get(0).path("uri").asText();
          return JsonRpcResponse.success(call.id(), json("{'resultType':'complete','content':[{'type':'text','text':'"
              + text + "'}]}"));
        })
        .build());
  }

  @Test
  void oldClientNewServerGetsInputRequiredPlayedAsServerRequestsAndTheRequestRetriedWithTheAnswers() {
    MockTransport upstream = server2026AskingForInput();
    start(upstream);
    handshake(proxy, client);

    proxy.receive(request(2, "tools/call", "{'name':'haiku','arguments':{},'_meta':{'progressToken':'t'}}"));
    JsonRpcRequest sampling = client.awaitRequest("sampling/createMessage");
    JsonRpcRequest roots = client.awaitRequest("roots/list");
    assertThat(sampling.params().path("messages").get(0).path("content").path("text").asText()).isEqualTo("a haiku");
    assertThat(client.responsesTo(ProxyFixture.idOf(2))).isEmpty(); // the client waits for its answer meanwhile
    proxy.receive(JsonRpcResponse.success(sampling.id(),
        json("{'role':'assistant','model':'m','content':{'type':'text','text':'old pond'}}")));
    proxy.receive(JsonRpcResponse.success(roots.id(), json("{'roots':[{'uri':'file:///work'}]}")));

    JsonRpcResponse answer = client.awaitResponse(2);
    assertThat(answer.isError()).as("%s", answer).isFalse();
    assertThat(answer.result().path("content").get(0).path("text").asText()).isEqualTo("old pond in file:///work");
    assertThat(client.responses()).noneMatch(r -> r.result() != null && r.result().toString().contains("input_required"));
    List<JsonRpcRequest> calls = upstream.requests().stream().filter(r -> r.method().equals("tools/call")).toList();
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0).params().has("inputResponses")).isFalse();
    JsonNode retry = calls.get(1).params();
    assertThat(retry.path("requestState").asText()).isEqualTo("opaque:1");
    assertThat(retry.path("inputResponses").path("draft").path("model").asText()).isEqualTo("m");
    assertThat(retry.path("inputResponses").path("roots").path("roots").size()).isEqualTo(1);
    assertThat(retry.path("name").asText()).isEqualTo("haiku");
    assertThat(retry.path("_meta").path("progressToken").asText()).isEqualTo("t");
    assertThat(retry.path("_meta").path("io.modelcontextprotocol/protocolVersion").asText()).isEqualTo("2026-07-28");
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
  }

  @Test
  void oldClientNewServerInputRequestTheClientRefusesEndsTheRequestWithTheClientsError() {
    MockTransport upstream = server2026AskingForInput();
    start(upstream);
    handshake(proxy, client);

    proxy.receive(request(2, "tools/call", "{'name':'haiku','arguments':{}}"));
    JsonRpcRequest sampling = client.awaitRequest("sampling/createMessage");
    JsonRpcRequest roots = client.awaitRequest("roots/list");
    proxy.receive(JsonRpcResponse.failure(sampling.id(), -32600, "User rejected sampling"));
    proxy.receive(JsonRpcResponse.success(roots.id(), json("{'roots':[]}")));

    JsonRpcResponse answer = client.awaitResponse(2);
    assertThat(answer.error().code()).isEqualTo(-32600);
    assertThat(answer.error().message()).contains("'draft'", "User rejected sampling");
    assertThat(upstream.requests()).filteredOn(r -> r.method().equals("tools/call")).hasSize(1); // no retry
  }

  @Test
  void oldClientNewServerInputRequestsPassTheSecurityPluginsTowardsTheClient() {
    MockTransport upstream = server2026AskingForInput();
    SecurityPlugin noSampling = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        return context.direction() == Direction.UPSTREAM_TO_CLIENT && request.method().equals("sampling/createMessage")
            ? PluginResult.block("no sampling here") : PluginResult.allow();
      }
    };
    start(builder -> builder.plugin(noSampling), upstream);
    handshake(proxy, client);

    proxy.receive(request(2, "tools/call", "{'name':'haiku','arguments':{}}"));
    JsonRpcRequest roots = client.awaitRequest("roots/list");
    proxy.receive(JsonRpcResponse.success(roots.id(), json("{'roots':[]}")));

    JsonRpcResponse answer = client.awaitResponse(2);
    assertThat(answer.isError()).isTrue();
    assertThat(answer.error().message()).contains("'draft'");
    assertThat(client.requests()).extracting(JsonRpcRequest::method).doesNotContain("sampling/createMessage");
    assertThat(upstream.requests()).filteredOn(r -> r.method().equals("tools/call")).hasSize(1);
  }

  @Test
  void oldClientNewServerMalformedInputRequiredResultIsAClearError() {
    MockTransport upstream = track(MockTransport.builder()
        .result("server/discover", DISCOVERY)
        .result("tools/call", json("{'resultType':'input_required','inputRequests':{'x':{'params':{}}}}"))
        .build());
    start(upstream);
    handshake(proxy, client);

    proxy.receive(request(2, "tools/call", "{'name':'haiku','arguments':{}}"));

    JsonRpcResponse answer = client.awaitResponse(2);
    assertThat(answer.error().code()).isEqualTo(-32603);
    assertThat(answer.error().message()).contains("malformed input_required", "'x'");
    assertThat(client.requests()).isEmpty();
  }

  @Test
  void oldClientNewServerThatNeverStopsAskingIsCutOffAfterTheRoundLimit() {
    MockTransport upstream = track(MockTransport.builder()
        .result("server/discover", DISCOVERY)
        .result("tools/call", json("{'resultType':'input_required','inputRequests':{'r':{'method':'roots/list'}}}"))
        .build());
    start(upstream);
    handshake(proxy, client);

    proxy.receive(request(2, "tools/call", "{'name':'haiku','arguments':{}}"));
    for (int round = 1; round <= 10; round++) {
      List<JsonRpcRequest> asked = client.awaitCount(JsonRpcRequest.class, r -> r.method().equals("roots/list"),
          round, "roots/list round " + round);
      proxy.receive(JsonRpcResponse.success(asked.get(round - 1).id(), json("{'roots':[]}")));
    }

    JsonRpcResponse answer = client.awaitResponse(2);
    assertThat(answer.error().message()).contains("after 10 rounds");
    assertThat(upstream.requests()).filteredOn(r -> r.method().equals("tools/call")).hasSize(11);
  }

  @Test
  void newClientOldServerGetsLoggingSetLevelWhenTheRequestedLevelChanges() {
    ObjectNode withLogging = initializeResult("old-server");
    withLogging.with("capabilities").putObject("logging");
    MockTransport upstream = track(MockTransport.builder()
        .result("initialize", withLogging)
        .result("logging/setLevel", json("{}"))
        .result("tools/list", toolList("echo"))
        .build());
    start(upstream);

    for (String[] asked : new String[][] {{"1", "debug"}, {"2", "debug"}, {"3", null}, {"4", "error"}}) {
      String level = asked[1] == null ? "" : ",'io.modelcontextprotocol/logLevel':'" + asked[1] + "'";
      proxy.receive(request(Integer.parseInt(asked[0]), "tools/list", "{" + metaWith(level) + "}"));
      assertThat(client.awaitResponse(Integer.parseInt(asked[0])).isError()).isFalse();
    }

    assertThat(methods(upstream)).containsExactly("server/discover", "initialize",
        "logging/setLevel", "tools/list", "tools/list", "tools/list", "logging/setLevel", "tools/list");
    assertThat(upstream.requests().get(2).params()).isEqualTo(json("{'level':'debug'}"));
    assertThat(upstream.requests().get(6).params()).isEqualTo(json("{'level':'error'}"));
    assertThat(upstream.requests().get(3).params().toString()).doesNotContain("logLevel"); // stripped
  }

  @Test
  void newClientOldServerWithoutLoggingIsNotToldTheLevel() {
    MockTransport upstream = server2025();
    start(upstream);

    proxy.receive(request(1, "tools/list", "{" + metaWith(",'io.modelcontextprotocol/logLevel':'debug'") + "}"));

    assertThat(client.awaitResponse(1).isError()).isFalse();
    assertThat(methods(upstream)).containsExactly("server/discover", "initialize", "tools/list");
  }
}
