package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 2026-era client's {@code subscriptions/listen} behind two namespaced real stdio upstreams of the
 * 2025 generation, both bridged: the test kit's Java server ({@code tools.listChanged}, and a
 * {@code notify} tool that sends any notification) and the official {@code server-everything}
 * ({@code resources.subscribe}, {@code prompts.listChanged}, a tool that makes it send updates of
 * the subscribed resources). Skipped where Node.js or the npm packages are missing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ListenNamespacedStdioTest {

  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
  private static final String ACKNOWLEDGED = "notifications/subscriptions/acknowledged";

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private static List<String> serverEverything() {
    Path bin = Path.of("src", "test", "node", "node_modules", ".bin", "mcp-server-everything");
    Assumptions.assumeTrue(Files.isExecutable(bin),
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    return List.of(bin.toAbsolutePath().toString(), "stdio");
  }

  private JsonRpcResponse call(String id, String method, String params) {
    proxy.receive(request(id, method, params));
    JsonRpcResponse answer = client.awaitResponse(id);
    assertThat(answer.isError()).as("%s", answer).isFalse();
    return answer;
  }

  private List<JsonNode> of(String id, String method) {
    return client.notifications().stream().filter(n -> n.method().equals(method))
        .map(JsonRpcNotification::params)
        .filter(p -> p != null && p.path("_meta").path(SUBSCRIPTION_ID).asText().equals(id)).toList();
  }

  @Test
  void oneListenGetsTheChangesOfBothUpstreamsUnderItsId() {
    List<String> everything = serverEverything();
    List<String> kit = TestServer.builder().withoutDefaultJvmOptions()
        .jvmOptions("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1").command();
    proxy = GatekitProxy.builder()
        .upstream("kit", StdioTransport.builder(kit).name("kit").build())
        .upstream("every", StdioTransport.builder(everything).name("every").build())
        .namespacing(true).build();
    proxy.connect(client);

    JsonNode resources = call("list", "resources/list", "{" + META + "}").result().path("resources");
    String uri = resources.get(0).path("uri").asText();
    assertThat(uri).isNotEmpty();

    proxy.receive(request("l", "subscriptions/listen", "{'notifications':{'toolsListChanged':true,"
        + "'resourceSubscriptions':['" + uri + "','unknown://nobody']}," + META + "}"));
    await("the acknowledgement", () -> of("l", ACKNOWLEDGED).size() == 1);
    JsonNode honored = of("l", ACKNOWLEDGED).get(0).path("notifications");
    assertThat(honored.path("toolsListChanged").asBoolean()).as("the test kit offers tools.listChanged").isTrue();
    assertThat(honored.path("resourceSubscriptions").toString()).isEqualTo("[\"" + uri + "\"]");

    call("notify", "tools/call", "{'name':'kit__notify','arguments':{'method':'notifications/tools/list_changed'},"
        + META + "}");
    await("the test kit's tools/list_changed under the listen's id",
        () -> of("l", "notifications/tools/list_changed").size() == 1);

    String toggled = call("on", "tools/call", "{'name':'every__toggle-subscriber-updates','arguments':{}," + META + "}")
        .result().path("content").get(0).path("text").asText();
    assertThat(toggled).startsWith("Started simulated resource updated notifications");
    await("server-everything's update under the listen's id",
        () -> !of("l", "notifications/resources/updated").isEmpty());
    assertThat(of("l", "notifications/resources/updated").get(0).path("uri").asText()).isEqualTo(uri);
    assertThat(of("l", ACKNOWLEDGED)).as("one acknowledgement for both").hasSize(1);
    assertThat(client.responsesTo(ProxyFixture.idOf("l"))).isEmpty();

    proxy.receive(notification("notifications/cancelled", "{'requestId':'l'}"));
    call("off", "tools/call", "{'name':'every__toggle-subscriber-updates','arguments':{}," + META + "}");
  }
}
