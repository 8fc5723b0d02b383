package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.obj;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.MockTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code subscriptions/listen} of 2026-era clients bridged to a 2025-era upstream (in memory): what
 * the acknowledgement honors, what the upstream is asked ({@code resources/subscribe} and {@code
 * resources/unsubscribe}), and which listen gets which change notification.
 */
class ProxyListenBridgeTest {

  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  private static final String ALL_CAPABILITIES =
      "{'tools':{'listChanged':true},'prompts':{'listChanged':true},'resources':{'listChanged':true,'subscribe':true}}";
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

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

  private MockTransport server2025(String capabilities) {
    MockTransport mock = MockTransport.builder()
        .result("initialize", obj("{'protocolVersion':'2025-11-25','capabilities':" + capabilities
            + ",'serverInfo':{'name':'old-server','version':'1.0'}}"))
        .handle("resources/subscribe", r -> r.params().path("uri").asText().startsWith("file:///refused")
            ? JsonRpcResponse.failure(r.id(), -32602, "no such resource")
            : JsonRpcResponse.success(r.id(), obj("{}")))
        .result("resources/unsubscribe", obj("{}"))
        .build();
    mocks.add(mock);
    return mock;
  }

  private void start(MockTransport upstream) {
    start(upstream, builder -> { });
  }

  private void start(MockTransport upstream, Consumer<GatekitProxy.Builder> configure) {
    GatekitProxy.Builder builder = GatekitProxy.builder().upstream("old", upstream);
    configure.accept(builder);
    proxy = builder.build();
    proxy.connect(client);
  }

  private void listen(String id, String filter) {
    proxy.receive(request(id, "subscriptions/listen", "{'notifications':" + filter + "," + META + "}"));
  }

  private JsonRpcNotification ackOf(String id) {
    return client.await(JsonRpcNotification.class, n -> n.method().equals("notifications/subscriptions/acknowledged")
        && n.params().path("_meta").path(SUBSCRIPTION_ID).asText().equals(id), "the acknowledgement of " + id);
  }

  private List<String> seenBy(String id) {
    return client.notifications().stream()
        .filter(n -> !n.method().equals("notifications/subscriptions/acknowledged"))
        .filter(n -> n.params() != null && n.params().path("_meta").path(SUBSCRIPTION_ID).asText().equals(id))
        .map(n -> n.method() + (n.params().has("uri") ? " " + n.params().get("uri").asText() : ""))
        .toList();
  }

  private static List<String> uris(MockTransport upstream, String method) {
    return upstream.requests().stream().filter(r -> r.method().equals(method))
        .map(r -> r.params().path("uri").asText()).toList();
  }

  static Stream<Arguments> honoredFilters() {
    return Stream.of(
        Arguments.of("everything offered, everything asked", ALL_CAPABILITIES,
            "{'toolsListChanged':true,'promptsListChanged':true,'resourcesListChanged':true,"
                + "'resourceSubscriptions':['file:///a','file:///b']}",
            "{'toolsListChanged':true,'promptsListChanged':true,'resourcesListChanged':true,"
                + "'resourceSubscriptions':['file:///a','file:///b']}",
            List.of("file:///a", "file:///b")),
        Arguments.of("false and absent flags are not honored", ALL_CAPABILITIES,
            "{'toolsListChanged':false,'resourcesListChanged':true}", "{'resourcesListChanged':true}", List.of()),
        Arguments.of("no listChanged capability: not honored", "{'tools':{},'resources':{'subscribe':true}}",
            "{'toolsListChanged':true,'resourceSubscriptions':['file:///a']}", "{'resourceSubscriptions':['file:///a']}",
            List.of("file:///a")),
        Arguments.of("no subscribe capability: no URI, nothing subscribed", "{'resources':{'listChanged':true}}",
            "{'resourcesListChanged':true,'resourceSubscriptions':['file:///a']}", "{'resourcesListChanged':true}",
            List.of()),
        Arguments.of("a URI the server refuses is left out", ALL_CAPABILITIES,
            "{'resourceSubscriptions':['file:///refused','file:///a','file:///a']}",
            "{'resourceSubscriptions':['file:///a']}", List.of("file:///refused", "file:///a")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("honoredFilters")
  void theAcknowledgementNamesWhatTheServerCanHonorAndItsUrisAreSubscribedFirst(
      String what, String capabilities, String asked, String honored, List<String> subscribed) {
    MockTransport upstream = server2025(capabilities);
    start(upstream);

    listen("l-1", asked);

    JsonRpcNotification ack = ackOf("l-1");
    assertThat(ack.params().get("notifications")).isEqualTo(json(honored));
    assertThat(uris(upstream, "resources/subscribe")).containsExactlyElementsOf(subscribed);
    assertThat(client.responsesTo(ProxyFixture.idOf("l-1"))).as("the listen stays open").isEmpty();
  }

  @Test
  void aListenWithNothingToHonorIsAcknowledgedAndEndsGracefully() {
    MockTransport upstream = server2025("{'tools':{}}");
    start(upstream);

    listen("l-1", "{'toolsListChanged':true}");

    JsonRpcResponse end = client.awaitResponse("l-1");
    assertThat(ackOf("l-1").params().get("notifications")).isEqualTo(json("{}"));
    assertThat(end.result()).isEqualTo(json("{'resultType':'complete','_meta':{'" + SUBSCRIPTION_ID + "':'l-1',"
        + "'io.modelcontextprotocol/serverInfo':{'name':'old-server','version':'1.0'}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFilters")
  void anInvalidFilterIsInvalidParams(String params, String problem) {
    MockTransport upstream = server2025(ALL_CAPABILITIES);
    start(upstream);

    proxy.receive(request("l-1", "subscriptions/listen", "{" + params + META + "}"));

    JsonRpcResponse answer = client.awaitResponse("l-1");
    assertThat(answer.error().code()).isEqualTo(-32602);
    assertThat(answer.error().message()).contains(problem);
    assertThat(uris(upstream, "resources/subscribe")).isEmpty();
  }

  static Stream<Arguments> invalidFilters() {
    return Stream.of(
        Arguments.of("", "'notifications' is required"),
        Arguments.of("'notifications':true,", "'notifications' is required"),
        Arguments.of("'notifications':{'toolsListChanged':'yes'},", "'notifications.toolsListChanged' must be a boolean"),
        Arguments.of("'notifications':{'resourceSubscriptions':'file:///a'},", "must be an array of URIs"),
        Arguments.of("'notifications':{'resourceSubscriptions':[1]},", "must be an array of URIs"));
  }

  @Test
  void eachListenGetsOnlyTheChangesItAskedForUnderItsOwnId() {
    MockTransport upstream = server2025(ALL_CAPABILITIES);
    start(upstream);
    listen("a", "{'toolsListChanged':true,'resourceSubscriptions':['file:///x']}");
    listen("b", "{'resourcesListChanged':true,'resourceSubscriptions':['file:///x','file:///y']}");
    ackOf("a");
    ackOf("b");

    upstream.emitNotification(notification("notifications/tools/list_changed", null));
    upstream.emitNotification(notification("notifications/prompts/list_changed", null)); // nobody asked
    upstream.emitNotification(notification("notifications/resources/list_changed", null));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///y'}"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///z'}")); // nobody
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x'}"));
    upstream.emitNotification(notification("notifications/message", "{'level':'info','data':'last'}"));
    client.awaitNotification("notifications/message");

    assertThat(seenBy("a")).containsExactly("notifications/tools/list_changed",
        "notifications/resources/updated file:///x");
    assertThat(seenBy("b")).containsExactly("notifications/resources/list_changed",
        "notifications/resources/updated file:///y", "notifications/resources/updated file:///x");
    assertThat(client.notifications()).extracting(JsonRpcNotification::method)
        .as("a change nobody asked for is dropped, not passed on bare")
        .doesNotContain("notifications/prompts/list_changed")
        .filteredOn(m -> m.startsWith("notifications/resources/updated") || m.endsWith("list_changed")).hasSize(5);
    assertThat(uris(upstream, "resources/subscribe")).as("each URI once").containsExactly("file:///x", "file:///y");
  }

  @Test
  void theEndOfAListenUnsubscribesOnlyTheUrisNoOtherListenWants() {
    MockTransport upstream = server2025(ALL_CAPABILITIES);
    start(upstream);
    listen("a", "{'resourceSubscriptions':['file:///x','file:///only-a']}");
    listen("b", "{'resourceSubscriptions':['file:///x']}");
    ackOf("a");
    ackOf("b");

    proxy.receive(notification("notifications/cancelled", "{'requestId':'a'}"));
    await("only-a unsubscribed", () -> uris(upstream, "resources/unsubscribe").contains("file:///only-a"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x'}"));
    await("b got the update", () -> seenBy("b").size() == 1);

    assertThat(uris(upstream, "resources/unsubscribe")).containsExactly("file:///only-a");
    assertThat(seenBy("a")).as("nothing after its cancellation").isEmpty();
    assertThat(client.responsesTo(ProxyFixture.idOf("a"))).as("a cancelled request gets no answer").isEmpty();

    proxy.receive(notification("notifications/cancelled", "{'requestId':'b'}"));
    await("x unsubscribed", () -> uris(upstream, "resources/unsubscribe").contains("file:///x"));
    listen("c", "{'resourceSubscriptions':['file:///x']}");
    ackOf("c");
    assertThat(uris(upstream, "resources/subscribe")).as("subscribed again for a new listen")
        .containsExactly("file:///x", "file:///only-a", "file:///x");
  }

  @Test
  void theEndOfTheSessionEndsEachListenGracefullyAndUnsubscribes() {
    MockTransport upstream = server2025(ALL_CAPABILITIES);
    start(upstream);
    listen("a", "{'resourceSubscriptions':['file:///x']}");
    ackOf("a");

    proxy.close();
    proxy = null;

    assertThat(uris(upstream, "resources/unsubscribe")).containsExactly("file:///x");
  }

  private static long updatesAudited(Path log) {
    try {
      return Files.exists(log)
          ? Files.readString(log).lines().filter(line -> line.contains("notifications/resources/updated")).count() : 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void aSecretInAListensNotificationIsBlockedBeforeTheClientAndTheAuditLog(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("audit.jsonl");
    MockTransport upstream = server2025(ALL_CAPABILITIES);
    start(upstream, builder -> PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        new PluginEntry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "block"),
            "plugins.security._global[0]", 0),
        new PluginEntry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of("output_file", log.toString()),
            "plugins.auditing._global[0]", 0)), Set.of("old"))));
    listen("a", "{'resourceSubscriptions':['file:///x']}");
    ackOf("a");

    upstream.emitNotification(notification("notifications/resources/updated",
        "{'uri':'file:///x','title':'key " + AWS_KEY + "'}"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x','title':'clean'}"));
    await("the clean update", () -> seenBy("a").size() == 1);

    assertThat(client.all().toString()).doesNotContain(AWS_KEY);
    JsonNode clean = client.notifications().stream()
        .filter(n -> n.method().equals("notifications/resources/updated")).findFirst().orElseThrow().params();
    assertThat(clean.path("title").asText()).isEqualTo("clean");
    await("both updates in the audit log", () -> updatesAudited(log) == 2);
    assertThat(Files.readString(log)).doesNotContain(AWS_KEY);
  }

  @Test
  void aNewServersListenStillPassesThroughUntouched() {
    MockTransport upstream = MockTransport.builder()
        .result("server/discover", json("{'supportedVersions':['2026-07-28'],'capabilities':{},'resultType':'complete'}"))
        .handle("subscriptions/listen", r -> JsonRpcResponse.success(r.id(), obj("{'resultType':'complete'}")))
        .build();
    mocks.add(upstream);
    start(upstream);

    listen("a", "{'toolsListChanged':true}");

    assertThat(client.awaitResponse("a").result()).isEqualTo(json("{'resultType':'complete'}"));
    List<JsonRpcRequest> listens = upstream.requests().stream()
        .filter(r -> r.method().equals("subscriptions/listen")).toList();
    assertThat(listens).hasSize(1);
    assertThat(uris(upstream, "resources/subscribe")).isEmpty();
  }
}
