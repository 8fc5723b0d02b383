package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.initializeRequest;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.transport.stdio.StdioTransport;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several client sessions of one proxy ({@link GatekitProxy#open}), against the real test server over
 * stdio: per-session upstreams are processes of their own, a shared upstream keeps the sessions apart
 * (one {@code initialize}, progress to the session that asked, what a session has in flight failing when
 * it closes), plugins see each session's id and the audit log records it.
 */
@Timeout(120)
class ProxySessionsTest {

  private final List<StdioTransport> made = new CopyOnWriteArrayList<>();
  private GatekitProxy proxy;

  @AfterEach
  void close() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private StdioTransport newServer() {
    StdioTransport transport = ScenarioUpstream.stdio(TransportOptions.builder().build());
    made.add(transport);
    return transport;
  }

  private static ProxyFixture.Client initialized(ProxySession session, ProxyFixture.Client client) {
    session.receive(initializeRequest("init"));
    assertThat(client.awaitResponse("init").isError()).isFalse();
    session.receive(notification("notifications/initialized", null));
    return client;
  }

  private static JsonRpcResponse call(ProxySession session, ProxyFixture.Client client, Object id, String tool, String args) {
    session.receive(request(id, "tools/call", "{'name':'" + tool + "','arguments':" + args + "}"));
    return client.awaitResponse(id);
  }

  private static int requestsSeenByServer(ProxySession session, ProxyFixture.Client client, Object id) {
    JsonRpcResponse stats = call(session, client, id, "stats", "{}");
    return stats.result().path("structuredContent").path("requests").asInt();
  }

  @Test
  void eachSessionGetsItsOwnUpstreamProcessWhichEndsWithTheSession() {
    proxy = GatekitProxy.builder().upstreamPerSession("test", this::newServer).build();
    ProxyFixture.Client a = new ProxyFixture.Client();
    ProxyFixture.Client b = new ProxyFixture.Client();
    ProxySession sessionA = proxy.open("a", a);
    ProxySession sessionB = proxy.open("b", b);
    initialized(sessionA, a);
    initialized(sessionB, b);
    assertThat(made).hasSize(2);
    assertThat(proxy.openSessions()).isEqualTo(2);

    for (int i = 0; i < 5; i++) {
      assertThat(call(sessionA, a, "echo-" + i, "echo", "{'text':'a" + i + "'}").isError()).isFalse();
    }
    int seenByA = requestsSeenByServer(sessionA, a, "stats");
    int seenByB = requestsSeenByServer(sessionB, b, "stats");
    assertThat(seenByA - seenByB).as("A's five calls reached A's server only").isEqualTo(5);
    assertThat(a.all()).noneMatch(m -> b.all().contains(m) && !(m instanceof JsonRpcResponse));

    sessionA.close();
    await("A's server to end", () -> made.get(0).state() == TransportState.CLOSED);
    assertThat(proxy.openSessions()).isEqualTo(1);
    assertThat(made.get(1).state()).isNotEqualTo(TransportState.CLOSED);
    assertThat(call(sessionB, b, "after", "echo", "{'text':'still here'}").isError()).isFalse();
    assertThat(proxy.stats().handled()).isGreaterThanOrEqualTo(10);
  }

  @Test
  void aSharedUpstreamIsInitializedOnceAndSendsProgressOnlyToTheSessionThatAsked() {
    StdioTransport shared = newServer();
    proxy = GatekitProxy.builder().upstream("test", shared).build();
    ProxyFixture.Client a = new ProxyFixture.Client();
    ProxyFixture.Client b = new ProxyFixture.Client();
    ProxySession sessionA = proxy.open("a", a);
    ProxySession sessionB = proxy.open("b", b);
    JsonRpcResponse initA = initialized(sessionA, a).awaitResponse("init");
    JsonRpcResponse initB = initialized(sessionB, b).awaitResponse("init");
    assertThat(initB.result()).isEqualTo(initA.result());
    assertThat(made).hasSize(1);

    // Both clients use the same progress token: each must see its own steps only.
    sessionA.receive(request("p", "tools/call",
        "{'name':'progress','arguments':{'steps':3},'_meta':{'progressToken':'tok'}}"));
    sessionB.receive(request("p", "tools/call",
        "{'name':'progress','arguments':{'steps':5},'_meta':{'progressToken':'tok'}}"));
    assertThat(a.awaitResponse("p").isError()).isFalse();
    assertThat(b.awaitResponse("p").isError()).isFalse();
    List<JsonNotificationView> progressA = progress(a);
    List<JsonNotificationView> progressB = progress(b);
    assertThat(progressA).hasSize(3).allMatch(p -> p.token().equals("tok"));
    assertThat(progressB).hasSize(5).allMatch(p -> p.token().equals("tok"));

    // The upstream saw one initialize: its own count of requests is the calls of both sessions plus one.
    int requests = requestsSeenByServer(sessionA, a, "stats");
    assertThat(requests).isEqualTo(1 + 2 + 1);
  }

  @Test
  void closingASessionFailsWhatItHasInFlightOnASharedUpstreamAndLeavesTheOthersAlone() {
    proxy = GatekitProxy.builder().upstream("test", newServer()).build();
    ProxyFixture.Client a = new ProxyFixture.Client();
    ProxyFixture.Client b = new ProxyFixture.Client();
    ProxySession sessionA = initializedSession("a", a);
    ProxySession sessionB = initializedSession("b", b);
    sessionA.receive(request("slow", "tools/call", "{'name':'sleep','arguments':{'ms':60000}}"));
    await("the slow call upstream", () -> proxy.upstreamStats().get("test").inFlight() == 1);

    sessionA.close();
    JsonRpcResponse failed = a.awaitResponse("slow");
    assertThat(failed.isError()).isTrue();
    await("the upstream to forget the call", () -> proxy.upstreamStats().get("test").inFlight() == 0);
    assertThat(call(sessionB, b, "b1", "echo", "{'text':'fine'}").isError()).isFalse();
    assertThat(b.responses()).noneMatch(r -> r.id().equals(failed.id()));
  }

  private ProxySession initializedSession(String id, ProxyFixture.Client client) {
    ProxySession session = proxy.open(id, client);
    initialized(session, client);
    return session;
  }

  @Test
  void pluginsSeeTheSessionIdAndTheAuditRecordCarriesIt() {
    Set<String> seenBySecurity = ConcurrentHashMap.newKeySet();
    List<AuditEvent> audited = new CopyOnWriteArrayList<>();
    SecurityPlugin security = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(dev.gatekit.api.JsonRpcRequest request, PluginContext context) {
        seenBySecurity.add(String.valueOf(context.attributes().get(PluginContext.SESSION_ID)));
        return PluginResult.allow();
      }
    };
    AuditingPlugin auditor = audited::add;
    proxy = GatekitProxy.builder().upstreamPerSession("test", this::newServer)
        .plugin(security).plugin(auditor).build();
    ProxyFixture.Client a = new ProxyFixture.Client();
    ProxyFixture.Client b = new ProxyFixture.Client();
    call(initializedSession("session-a", a), a, 1, "echo", "{'text':'x'}");
    call(initializedSession("session-b", b), b, 1, "echo", "{'text':'y'}");

    assertThat(seenBySecurity).containsExactlyInAnyOrder("session-a", "session-b");
    assertThat(audited).extracting(AuditEvent::session).containsOnly("session-a", "session-b")
        .contains("session-a", "session-b");
  }

  @Test
  void oneClientOrManyButNotBoth() {
    proxy = GatekitProxy.builder().upstreamPerSession("test", this::newServer).build();
    proxy.open("a", new ProxyFixture.Client());
    assertThatThrownBy(() -> proxy.connect(new ProxyFixture.Client())).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> proxy.open("a", new ProxyFixture.Client()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("already open");
    proxy.close();
    assertThatThrownBy(() -> proxy.open("b", new ProxyFixture.Client()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThat(made).allMatch(t -> t.state() == TransportState.CLOSED);
  }

  private record JsonNotificationView(String token, double progress) {}

  private static List<JsonNotificationView> progress(ProxyFixture.Client client) {
    return client.notifications().stream()
        .filter(n -> n.method().equals("notifications/progress"))
        .map(n -> new JsonNotificationView(n.params().path("progressToken").asText(),
            n.params().path("progress").asDouble()))
        .toList();
  }
}
