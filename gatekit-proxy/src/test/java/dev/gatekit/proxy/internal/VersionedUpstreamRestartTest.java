package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream restarted by its transport's restart policy may come back speaking the other
 * generation of MCP: a real {@code StdioTransport} whose command runs the TypeScript SDK v2's
 * 2026-07-28 server ({@code src/test/node/server-2026.mjs --modern-only}) the first time and the test
 * kit's 2025-era Java server after a restart; the test kills the first. Skipped where Node.js or the
 * npm packages are missing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class VersionedUpstreamRestartTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String META_2026 = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";

  @TempDir Path dir;

  private static JsonNode json(String singleQuoted) throws Exception {
    return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
  }

  @Test
  void aNewClientsUpstreamRestartedAsAnOldServerIsFoundOutAgainAndBridged() throws Exception {
    try (RestartingUpstream restarting = RestartingUpstream.modernThenTestKit(dir)) {
      VersionedUpstream upstream = restarting.upstream();

      JsonRpcResponse before = call(upstream, 1, "{'name':'echo','arguments':{'message':'hi'}," + META_2026 + "}");
      assertThat(text(before)).isEqualTo("Echo: hi");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2026);

      restarting.killAndAwaitRestart();

      JsonRpcResponse after = call(upstream, 2, "{'name':'echo','arguments':{'text':'again'}," + META_2026 + "}");
      assertThat(after.isError()).as("%s", after).isFalse();
      assertThat(text(after)).isEqualTo("again");
      assertThat(after.result().path("resultType").asText()).isEqualTo("complete"); // the bridge added it
      assertThat(after.result().path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText())
          .isEqualTo("gatekit-test-server");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2025);
    }
  }

  @Test
  void anOldClientsUpstreamRestartedAsAnOldServerGetsTheClientsInitializeAndIsNoLongerBridged() throws Exception {
    try (RestartingUpstream restarting = RestartingUpstream.modernThenTestKit(dir)) {
      VersionedUpstream upstream = restarting.upstream();
      JsonRpcResponse initialized = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of("init"), "initialize",
          json("{'protocolVersion':'2025-11-25','capabilities':{},'clientInfo':{'name':'old-client','version':'1'}}")))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(initialized.result().path("serverInfo").path("name").asText()).isEqualTo("gatekit-test-2026");
      upstream.sendNotification(new JsonRpcNotification("notifications/initialized", null));
      assertThat(text(call(upstream, 1, "{'name':'echo','arguments':{'message':'hi'}}"))).isEqualTo("Echo: hi");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2026);

      restarting.killAndAwaitRestart();

      JsonRpcResponse after = call(upstream, 2, "{'name':'echo','arguments':{'text':'again'}}");
      assertThat(after.isError()).as("%s", after).isFalse();
      assertThat(text(after)).isEqualTo("again");
      assertThat(after.result().has("resultType")).isFalse(); // passed as the 2025-era server gave it
      assertThat(upstream.generation()).isEqualTo(Generation.Y2025);
    }
  }

  @Test
  void anOldClientsOldUpstreamRestartedAsA2026OnlyServerIsBridgedFromThenOn() throws Exception {
    try (RestartingUpstream restarting = RestartingUpstream.of(dir, RestartingUpstream.testKit(),
        RestartingUpstream.server2026("--modern-only"), InboundHandler.REFUSE_ALL)) {
      VersionedUpstream upstream = restarting.upstream();
      JsonRpcResponse initialized = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of("init"), "initialize",
          json("{'protocolVersion':'2025-11-25','capabilities':{},'clientInfo':{'name':'old-client','version':'1'}}")))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(initialized.result().path("serverInfo").path("name").asText()).isEqualTo("gatekit-test-server");
      upstream.sendNotification(new JsonRpcNotification("notifications/initialized", null));
      assertThat(text(call(upstream, 1, "{'name':'echo','arguments':{'text':'hi'}}"))).isEqualTo("hi");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2025);
      assertThat(upstream.isTransparentFor(Generation.Y2025)).isTrue();

      restarting.killAndAwaitRestart(); // the transport's replay of the client's initialize is refused

      assertThat(upstream.isTransparentFor(Generation.Y2025)).as("no longer known to be the same").isFalse();
      JsonRpcResponse after = call(upstream, 2, "{'name':'echo','arguments':{'message':'again'}}");
      assertThat(text(after)).isEqualTo("Echo: again");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2026);
      assertThat(text(call(upstream, 3, "{'name':'echo','arguments':{'message':'and again'}}")))
          .isEqualTo("Echo: and again");
    }
  }

  private static JsonRpcResponse call(VersionedUpstream upstream, int id, String params) throws Exception {
    return upstream.sendAndReceive(new JsonRpcRequest(RequestId.of(id), "tools/call", json(params)))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static String text(JsonRpcResponse answer) {
    assertThat(answer.isError()).as("%s", answer).isFalse();
    return answer.result().path("content").get(0).path("text").asText();
  }
}
