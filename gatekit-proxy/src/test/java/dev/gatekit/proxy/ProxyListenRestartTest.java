package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.obj;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.ForwardingTransport;
import dev.gatekit.testkit.MockTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2026-era client's bridged {@code subscriptions/listen} when the transport restarts its 2025-era
 * upstream (in memory: a transport whose restart count the test raises, as a restart policy's
 * would): the URIs of the open listens are subscribed again, their notifications still pass the
 * plugins; an upstream back as a 2026-era server ends the listens gracefully. The same with real
 * processes: {@code ListenAcrossRestartTest}.
 */
class ProxyListenRestartTest {

  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final AtomicBoolean modern = new AtomicBoolean();
  private final MockTransport mock = MockTransport.builder()
      .result("initialize", obj("{'protocolVersion':'2025-11-25','capabilities':{'resources':{'subscribe':true,"
          + "'listChanged':true}},'serverInfo':{'name':'old-server','version':'1.0'}}"))
      .handle("server/discover", r -> modern.get()
          ? JsonRpcResponse.success(r.id(), obj("{'supportedVersions':['2026-07-28'],'capabilities':{},"
              + "'resultType':'complete'}"))
          : JsonRpcResponse.failure(r.id(), -32601, "Method not found"))
      .result("resources/subscribe", obj("{}"))
      .result("resources/unsubscribe", obj("{}"))
      .build();
  private final Restartable upstream = new Restartable(mock);
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    mock.close();
  }

  private void start(GatekitProxy.Builder builder) {
    proxy = builder.upstream("old", upstream).build();
    proxy.connect(client);
  }

  private void listen(String id, String filter) {
    proxy.receive(request(id, "subscriptions/listen", "{'notifications':" + filter + "," + META + "}"));
    client.await(JsonRpcNotification.class, n -> n.method().equals("notifications/subscriptions/acknowledged")
        && n.params().path("_meta").path(SUBSCRIPTION_ID).asText().equals(id), "the acknowledgement of " + id);
  }

  private List<String> subscribed() {
    return mock.requests().stream().filter(r -> r.method().equals("resources/subscribe"))
        .map(r -> r.params().path("uri").asText()).toList();
  }

  private List<JsonRpcNotification> updates() {
    return client.notifications().stream().filter(n -> n.method().equals("notifications/resources/updated")).toList();
  }

  @Test
  void afterARestartTheUrisAreSubscribedAgainAndASecretInAnUpdateIsStillBlocked(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("audit.jsonl");
    GatekitProxy.Builder builder = GatekitProxy.builder();
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        new PluginEntry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "block"),
            "plugins.security._global[0]", 0),
        new PluginEntry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of("output_file", log.toString()),
            "plugins.auditing._global[0]", 0)), Set.of("old")));
    start(builder);
    listen("a", "{'resourceSubscriptions':['file:///x','file:///y']}");
    listen("b", "{'resourceSubscriptions':['file:///x']}");
    assertThat(subscribed()).containsExactly("file:///x", "file:///y");

    upstream.restart();

    await("each held URI subscribed again, once", () -> subscribed().size() == 4);
    assertThat(subscribed()).containsExactly("file:///x", "file:///y", "file:///x", "file:///y");
    mock.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///x','title':'" + AWS_KEY + "'}"));
    mock.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///y','title':'clean'}"));
    await("the clean update", () -> updates().size() == 1);
    assertThat(updates().get(0).params().path("_meta").path(SUBSCRIPTION_ID).asText()).isEqualTo("a");
    assertThat(client.all().toString()).doesNotContain(AWS_KEY);
    assertThat(client.responsesTo(ProxyFixture.idOf("a"))).as("the listens stay open").isEmpty();
    assertThat(client.responsesTo(ProxyFixture.idOf("b"))).isEmpty();
    await("the updates in the audit log: the secret one as blocked for each of its two listens", () -> {
      try {
        return Files.exists(log) && Files.readString(log).lines()
            .filter(line -> line.contains("notifications/resources/updated")).count() == 3;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThat(Files.readString(log)).doesNotContain(AWS_KEY);
  }

  @Test
  void anUpstreamBackAs2026EndsEachListenGracefullyWithoutUnsubscribing() {
    start(GatekitProxy.builder());
    listen("a", "{'resourcesListChanged':true,'resourceSubscriptions':['file:///x']}");

    modern.set(true);
    upstream.restart();

    JsonRpcResponse end = client.awaitResponse("a");
    assertThat(end.result()).isEqualTo(json("{'resultType':'complete','_meta':{'" + SUBSCRIPTION_ID + "':'a',"
        + "'io.modelcontextprotocol/serverInfo':{'name':'old-server','version':'1.0'}}}"));
    assertThat(mock.requests()).extracting(JsonRpcRequest::method)
        .as("the new server never had the URI").doesNotContain("resources/unsubscribe");
  }

  @Test
  void withNoListenOpenARestartAsksNothing() {
    start(GatekitProxy.builder());
    listen("a", "{'resourceSubscriptions':['file:///x']}");
    proxy.receive(notification("notifications/cancelled", "{'requestId':'a'}"));
    await("x unsubscribed", () -> mock.requests().stream().anyMatch(r -> r.method().equals("resources/unsubscribe")));
    int before = mock.requests().size();

    upstream.restart();
    proxy.receive(request("after", "tools/list", "{" + META + "}"));
    client.awaitResponse("after");

    assertThat(subscribed()).containsExactly("file:///x");
    assertThat(mock.requests().subList(before, mock.requests().size())).extracting(JsonRpcRequest::method)
        .as("the restart is found out by the next request only").containsExactly("server/discover", "tools/list");
  }

  /** A transport whose restart count the test raises, as a transport with a restart policy does. */
  private static final class Restartable extends ForwardingTransport {
    private final AtomicLong restarts = new AtomicLong();

    Restartable(MockTransport delegate) {
      super(delegate);
    }

    void restart() {
      restarts.incrementAndGet();
    }

    @Override
    public TransportStats stats() {
      TransportStats s = delegate.stats();
      return new TransportStats(s.inFlight(), s.maxInFlight(), s.queued(), s.sent(), s.completed(), s.failed(),
          s.timedOut(), s.cancelled(), s.rejected(), restarts.get(), s.deaths(), s.dropped());
    }
  }
}
