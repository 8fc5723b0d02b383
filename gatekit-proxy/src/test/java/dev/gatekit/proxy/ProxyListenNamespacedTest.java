package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.obj;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.MockTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2026-era client's {@code subscriptions/listen} behind two namespaced 2025-era upstreams (in
 * memory): each upstream gets its part of the filter, the client one acknowledgement of what both
 * honored, each upstream's notifications under the one listen id (through that upstream's plugins),
 * and the end unsubscribes on each. With real processes: {@code ListenNamespacedE2eTest}.
 */
class ProxyListenNamespacedTest {

  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  private static final String ACKNOWLEDGED = "notifications/subscriptions/acknowledged";
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final MockTransport files = server2025("files", "{'resources':{'subscribe':true,'listChanged':true}}",
      "file:///notes.txt");
  private final MockTransport tools = server2025("tools", "{'tools':{'listChanged':true},'resources':{'subscribe':true}}",
      "test://status");
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    files.close();
    tools.close();
  }

  private static MockTransport server2025(String name, String capabilities, String resource) {
    return MockTransport.builder()
        .result("initialize", obj("{'protocolVersion':'2025-11-25','capabilities':" + capabilities
            + ",'serverInfo':{'name':'" + name + "','version':'1.0'}}"))
        .result("resources/list", obj("{'resources':[{'uri':'" + resource + "','name':'r'}]}"))
        .result("resources/subscribe", obj("{}"))
        .result("resources/unsubscribe", obj("{}"))
        .build();
  }

  private void start(GatekitProxy.Builder builder) {
    proxy = builder.upstream("files", files).upstream("tools", tools).namespacing(true).build();
    proxy.connect(client);
    proxy.receive(request("list", "resources/list", "{" + META + "}"));
    client.awaitResponse("list"); // the URIs' owners are known from the merged list
  }

  private void listen(String id, String filter) {
    proxy.receive(request(id, "subscriptions/listen", "{'notifications':" + filter + "," + META + "}"));
  }

  private List<JsonRpcNotification> acks() {
    return client.notifications().stream().filter(n -> n.method().equals(ACKNOWLEDGED)).toList();
  }

  private static List<String> requested(MockTransport upstream, String method) {
    return upstream.requests().stream().filter(r -> r.method().equals(method))
        .map(r -> r.params().path("uri").asText()).toList();
  }

  private List<String> seenBy(String id) {
    return client.notifications().stream()
        .filter(n -> !n.method().equals(ACKNOWLEDGED))
        .filter(n -> n.params() != null && n.params().path("_meta").path(SUBSCRIPTION_ID).asText().equals(id))
        .map(n -> n.method() + (n.params().has("uri") ? " " + n.params().get("uri").asText() : ""))
        .toList();
  }

  @Test
  void oneListenOverTwoUpstreamsIsAcknowledgedOnceAndGetsTheChangesOfBoth() {
    start(GatekitProxy.builder());

    listen("l", "{'toolsListChanged':true,'resourcesListChanged':true,"
        + "'resourceSubscriptions':['file:///notes.txt','test://status','unknown://x']}");

    await("one acknowledgement", () -> acks().size() == 1);
    JsonRpcNotification ack = acks().get(0);
    assertThat(ack.params().path("_meta").path(SUBSCRIPTION_ID).asText()).isEqualTo("l");
    assertThat(ack.params().get("notifications")).isEqualTo(json("{'toolsListChanged':true,"
        + "'resourcesListChanged':true,'resourceSubscriptions':['file:///notes.txt','test://status']}"));
    assertThat(requested(files, "resources/subscribe")).containsExactly("file:///notes.txt");
    assertThat(requested(tools, "resources/subscribe")).containsExactly("test://status");

    files.emitNotification(notification("notifications/resources/list_changed", null));
    files.emitNotification(notification("notifications/tools/list_changed", null)); // files never offered it
    tools.emitNotification(notification("notifications/tools/list_changed", null));
    tools.emitNotification(notification("notifications/resources/updated", "{'uri':'test://status'}"));
    files.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///notes.txt'}"));
    await("four changes", () -> seenBy("l").size() == 4);
    assertThat(seenBy("l")).containsExactlyInAnyOrder("notifications/resources/list_changed",
        "notifications/tools/list_changed", "notifications/resources/updated test://status",
        "notifications/resources/updated file:///notes.txt");
    assertThat(acks()).as("still one acknowledgement").hasSize(1);
    assertThat(client.responsesTo(ProxyFixture.idOf("l"))).as("the listen stays open").isEmpty();

    proxy.receive(notification("notifications/cancelled", "{'requestId':'l'}"));
    await("both unsubscribed", () -> requested(files, "resources/unsubscribe").size() == 1
        && requested(tools, "resources/unsubscribe").size() == 1);
    assertThat(requested(files, "resources/unsubscribe")).containsExactly("file:///notes.txt");
    assertThat(requested(tools, "resources/unsubscribe")).containsExactly("test://status");
  }

  @Test
  void aListenNoUpstreamCanHonorIsAcknowledgedAsNothingAndEnds() {
    start(GatekitProxy.builder());

    listen("l", "{'promptsListChanged':true,'resourceSubscriptions':['unknown://x']}");

    JsonRpcResponse end = client.awaitResponse("l");
    assertThat(end.result().path("resultType").asText()).isEqualTo("complete");
    assertThat(end.result().path("_meta").path(SUBSCRIPTION_ID).asText()).isEqualTo("l");
    assertThat(acks()).hasSize(1);
    assertThat(acks().get(0).params().get("notifications")).isEqualTo(json("{}"));
  }

  @Test
  void anInvalidFilterIsInvalidParams() {
    start(GatekitProxy.builder());

    listen("l", "{'resourceSubscriptions':'file:///notes.txt'}");

    assertThat(client.awaitResponse("l").error().code()).isEqualTo(-32602);
    assertThat(requested(files, "resources/subscribe")).isEmpty();
  }

  private static long updatesAudited(Path log) {
    try {
      return Files.exists(log)
          ? Files.readString(log).lines().filter(line -> line.contains("notifications/resources/updated")).count() : 0;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aSecretInTheSecondUpstreamsNotificationIsBlocked(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("audit.jsonl");
    GatekitProxy.Builder builder = GatekitProxy.builder();
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        new PluginEntry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "block"),
            "plugins.security._global[0]", 0),
        new PluginEntry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of("output_file", log.toString()),
            "plugins.auditing._global[0]", 0)), Set.of("files", "tools")));
    start(builder);
    listen("l", "{'resourceSubscriptions':['file:///notes.txt','test://status']}");
    await("one acknowledgement", () -> acks().size() == 1);

    tools.emitNotification(notification("notifications/resources/updated", "{'uri':'test://status','title':'"
        + AWS_KEY + "'}"));
    tools.emitNotification(notification("notifications/resources/updated", "{'uri':'test://status','title':'clean'}"));
    await("the clean update", () -> seenBy("l").size() == 1);

    assertThat(client.all().toString()).doesNotContain(AWS_KEY);
    await("both updates audited", () -> updatesAudited(log) == 2);
    assertThat(Files.readString(log)).doesNotContain(AWS_KEY).contains("\"upstream\":\"tools\"");
  }
}
