package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.obj;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcNotification;
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
 * {@code subscriptions/listen} of 2026-era clients in several sessions behind one shared 2025-era
 * upstream connection (in memory): an update of a URI reaches each session whose listen asked for
 * it and no other, and {@code resources/subscribe} and {@code resources/unsubscribe} are counted
 * over the sessions, so one session's end does not take another's subscription away.
 */
class ProxyListenSharedTest {

  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  private final MockTransport upstream = MockTransport.builder()
      .result("initialize", obj("{'protocolVersion':'2025-11-25','capabilities':{'resources':{'subscribe':true}},"
          + "'serverInfo':{'name':'shared-old','version':'1.0'}}"))
      .result("resources/subscribe", obj("{}"))
      .result("resources/unsubscribe", obj("{}"))
      .build();
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    upstream.close();
  }

  private static void listen(ProxySession session, ProxyFixture.Client client, String id, String uris) {
    session.receive(request(id, "subscriptions/listen",
        "{'notifications':{'resourceSubscriptions':" + uris + "}," + META + "}"));
    client.await(JsonRpcNotification.class, n -> n.method().equals("notifications/subscriptions/acknowledged")
        && n.params().path("_meta").path(SUBSCRIPTION_ID).asText().equals(id), "the acknowledgement of " + id);
  }

  private static List<String> updates(ProxyFixture.Client client) {
    return client.notifications().stream().filter(n -> n.method().equals("notifications/resources/updated"))
        .map(n -> n.params().path("uri").asText() + " @" + n.params().path("_meta").path(SUBSCRIPTION_ID).asText())
        .toList();
  }

  private List<String> requested(String method) {
    return upstream.requests().stream().filter(r -> r.method().equals(method))
        .map(r -> r.params().path("uri").asText()).toList();
  }

  @Test
  void anUpdateReachesEverySessionThatListensToItsUriAndNoOther() {
    proxy = GatekitProxy.builder().upstream("shared", upstream).build();
    ProxyFixture.Client a = new ProxyFixture.Client();
    ProxyFixture.Client b = new ProxyFixture.Client();
    ProxyFixture.Client c = new ProxyFixture.Client();
    ProxySession sessionA = proxy.open("a", a);
    ProxySession sessionB = proxy.open("b", b);
    ProxySession sessionC = proxy.open("c", c);
    listen(sessionA, a, "l", "['file:///x','file:///only-a']");
    listen(sessionB, b, "l", "['file:///x']");
    listen(sessionC, c, "l", "['file:///y']");
    assertThat(requested("resources/subscribe")).as("each URI once on the shared connection")
        .containsExactlyInAnyOrder("file:///x", "file:///only-a", "file:///y");

    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x'}"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///only-a'}"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///nobody'}"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///y'}"));
    await("the updates", () -> updates(a).size() == 2 && updates(b).size() == 1 && updates(c).size() == 1);
    assertThat(updates(a)).containsExactly("file:///x @l", "file:///only-a @l");
    assertThat(updates(b)).containsExactly("file:///x @l");
    assertThat(updates(c)).containsExactly("file:///y @l");

    sessionA.close();
    await("only-a given up", () -> requested("resources/unsubscribe").contains("file:///only-a"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x'}"));
    await("b still gets x", () -> updates(b).size() == 2);
    assertThat(requested("resources/unsubscribe")).as("x is still b's").containsExactly("file:///only-a");

    sessionB.receive(notification("notifications/cancelled", "{'requestId':'l'}"));
    await("x given up with its last holder", () -> requested("resources/unsubscribe").contains("file:///x"));
    assertThat(requested("resources/unsubscribe")).containsExactly("file:///only-a", "file:///x");
    assertThat(updates(c)).hasSize(1);
    sessionC.close();
    sessionB.close();
  }

  @Test
  void anOldClientsOwnSubscriptionOnASharedUpstreamGetsItsUpdatesToo() {
    proxy = GatekitProxy.builder().upstream("shared", upstream).build();
    ProxyFixture.Client old = new ProxyFixture.Client();
    ProxyFixture.Client modern = new ProxyFixture.Client();
    ProxySession oldSession = proxy.open("old", old);
    ProxySession modernSession = proxy.open("modern", modern);
    oldSession.receive(request("init", "initialize", "{'protocolVersion':'2025-11-25','capabilities':{},"
        + "'clientInfo':{'name':'old','version':'1'}}"));
    old.awaitResponse("init");
    oldSession.receive(notification("notifications/initialized", null));
    oldSession.receive(request("s", "resources/subscribe", "{'uri':'file:///x'}"));
    assertThat(old.awaitResponse("s").isError()).isFalse();
    listen(modernSession, modern, "l", "['file:///x']");
    assertThat(requested("resources/subscribe")).containsExactly("file:///x");

    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x'}"));
    await("both sessions updated", () -> updates(old).size() == 1 && updates(modern).size() == 1);
    assertThat(updates(old)).containsExactly("file:///x @"); // a 2025-era client's update is as the server sent it
    assertThat(updates(modern)).containsExactly("file:///x @l");

    oldSession.receive(request("u", "resources/unsubscribe", "{'uri':'file:///x'}"));
    assertThat(old.awaitResponse("u").isError()).isFalse();
    assertThat(requested("resources/unsubscribe")).as("the listen still holds it").isEmpty();
    oldSession.close();
    modernSession.close();
  }

  @Test
  void aSecretInASharedUpdateIsBlockedForEverySession(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("audit.jsonl");
    GatekitProxy.Builder builder = GatekitProxy.builder().upstream("shared", upstream);
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        new PluginEntry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "block"),
            "plugins.security._global[0]", 0),
        new PluginEntry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of("output_file", log.toString()),
            "plugins.auditing._global[0]", 0)), Set.of("shared")));
    proxy = builder.build();
    ProxyFixture.Client a = new ProxyFixture.Client();
    ProxyFixture.Client b = new ProxyFixture.Client();
    ProxySession sessionA = proxy.open("a", a);
    ProxySession sessionB = proxy.open("b", b);
    listen(sessionA, a, "l", "['file:///x']");
    listen(sessionB, b, "l", "['file:///x']");

    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x','title':'"
        + AWS_KEY + "'}"));
    upstream.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x','title':'clean'}"));
    await("the clean update in both", () -> updates(a).size() == 1 && updates(b).size() == 1);

    assertThat(a.all().toString()).doesNotContain(AWS_KEY);
    assertThat(b.all().toString()).doesNotContain(AWS_KEY);
    await("four updates audited, two of them blocked", () -> blockedAndAllowed(log).equals(List.of(2L, 2L)));
    assertThat(Files.readString(log)).doesNotContain(AWS_KEY);
    sessionA.close();
    sessionB.close();
  }

  private static List<Long> blockedAndAllowed(Path log) {
    try {
      if (!Files.exists(log)) {
        return List.of();
      }
      List<String> lines = Files.readString(log).lines()
          .filter(line -> line.contains("notifications/resources/updated")).toList();
      return List.of(lines.stream().filter(l -> l.contains("\"outcome\":\"blocked\"")).count(),
          lines.stream().filter(l -> l.contains("\"outcome\":\"allowed\"")).count());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
