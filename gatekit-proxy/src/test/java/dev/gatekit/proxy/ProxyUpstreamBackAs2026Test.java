package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.internal.RestartingUpstream;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2025-era client's 2025-era stdio upstream that the transport's restart policy brings back as a
 * 2026-only server (the test kit's Java server first, the TypeScript SDK v2's {@code
 * server-2026.mjs --modern-only} after the test kills it): the gateway finds the generation again
 * and bridges the old client to it, also where requests went upstream as bytes before; what the new
 * server sends still passes the plugins ({@code server-2026-leaky.mjs}, whose tool answers a secret). Skipped where Node.js or the npm packages are missing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProxyUpstreamBackAs2026Test {

  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  @TempDir Path dir;
  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private GatekitProxy proxy;
  private RestartingUpstream restarting;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    if (restarting != null) {
      restarting.close();
    }
  }

  private void start(GatekitProxy.Builder builder) {
    start(builder, RestartingUpstream.server2026("--modern-only"));
  }

  private void start(GatekitProxy.Builder builder, List<String> afterRestart) {
    restarting = RestartingUpstream.transportOnly(dir, RestartingUpstream.testKit(), afterRestart);
    proxy = builder.upstream("r", restarting.transport()).build();
    proxy.connect(client);
    proxy.receive(request("init", "initialize", "{'protocolVersion':'2025-11-25','capabilities':{},"
        + "'clientInfo':{'name':'old-client','version':'1'}}"));
    assertThat(client.awaitResponse("init").result().path("serverInfo").path("name").asText())
        .isEqualTo("gatekit-test-server");
    proxy.receive(notification("notifications/initialized", null));
  }

  private static String text(JsonRpcResponse answer) {
    assertThat(answer.isError()).as("%s", answer).isFalse();
    return answer.result().path("content").get(0).path("text").asText();
  }

  @Test
  void requestsThatWentAsBytesAreBridgedOnceTheUpstreamIsBackAs2026() {
    start(GatekitProxy.builder());
    proxy.receive(request("0", "tools/call", "{'name':'echo','arguments':{'text':'first'}}"));
    assertThat(text(client.awaitResponse("0"))).isEqualTo("first"); // notifications/initialized has gone up
    byte[] line = ("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"method\":\"tools/call\","
        + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(line, 0, line.length)).as("passed on as bytes").isTrue();
    assertThat(text(client.awaitResponse("1"))).isEqualTo("hi");

    restarting.killAndAwaitRestart();

    byte[] after = ("{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"method\":\"tools/call\","
        + "\"params\":{\"name\":\"echo\",\"arguments\":{\"message\":\"again\"}}}").getBytes(StandardCharsets.UTF_8);
    assertThat(proxy.receiveLine(after, 0, after.length)).as("not as bytes: the upstream may need translating").isFalse();
    proxy.receive(request("2", "tools/call", "{'name':'echo','arguments':{'message':'again'}}"));
    assertThat(text(client.awaitResponse("2"))).isEqualTo("Echo: again");
    proxy.receive(request("3", "ping"));
    assertThat(client.awaitResponse("3").isError()).as("ping, which the 2026-era server lacks, is answered").isFalse();
  }

  @Test
  void aSecretInWhatTheRestartedServerSendsIsBlocked() throws Exception {
    GatekitProxy.Builder builder = GatekitProxy.builder();
    PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(List.of(
        new PluginEntry(PluginKind.SECURITY, "_global", "basic_secrets_filter", Map.of("action", "block"),
            "plugins.security._global[0]", 0)), Set.of("r")));
    start(builder, RestartingUpstream.nodeScript("server-2026-leaky.mjs"));

    restarting.killAndAwaitRestart();

    proxy.receive(request("clean", "tools/call", "{'name':'echo','arguments':{'message':'clean'}}"));
    assertThat(text(client.awaitResponse("clean"))).isEqualTo("Echo: clean");
    proxy.receive(request("leak", "tools/call", "{'name':'leak','arguments':{}}"));
    JsonRpcResponse leaked = client.awaitResponse("leak");
    assertThat(leaked.isError()).as("the answer with the key is blocked: %s", leaked).isTrue();
    assertThat(client.all().toString()).doesNotContain(AWS_KEY);
  }
}
