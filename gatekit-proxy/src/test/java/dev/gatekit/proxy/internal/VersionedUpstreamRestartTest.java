package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportState;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.RestartPolicy;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream restarted by its transport's restart policy may come back speaking the other
 * generation of MCP: a real {@link StdioTransport} whose command runs the TypeScript SDK v2's
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
    try (Restarting restarting = new Restarting(dir)) {
      VersionedUpstream upstream = restarting.upstream;

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
    try (Restarting restarting = new Restarting(dir)) {
      VersionedUpstream upstream = restarting.upstream;
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

  private static JsonRpcResponse call(VersionedUpstream upstream, int id, String params) throws Exception {
    return upstream.sendAndReceive(new JsonRpcRequest(RequestId.of(id), "tools/call", json(params)))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static String text(JsonRpcResponse answer) {
    assertThat(answer.isError()).as("%s", answer).isFalse();
    return answer.result().path("content").get(0).path("text").asText();
  }

  /**
   * A {@link VersionedUpstream} over a {@link StdioTransport} that restarts its upstream: the 2026-era
   * server on the first start, the 2025-era test kit server on every later one.
   */
  private static final class Restarting implements AutoCloseable {
    final StdioTransport transport;
    final VersionedUpstream upstream;
    final ProcessHandle first;

    Restarting(Path dir) {
      Path nodeDir = Path.of("src", "test", "node");
      Assumptions.assumeTrue(Files.isDirectory(nodeDir.resolve("node_modules/@modelcontextprotocol/server")),
          "the MCP TypeScript SDK v2 is not installed: run (cd gatekit-proxy/src/test/node && npm ci)");
      List<String> modern = List.of(node(), nodeDir.resolve("server-2026.mjs").toAbsolutePath().toString(), "--modern-only");
      List<String> old = TestServer.builder().withoutDefaultJvmOptions()
          .jvmOptions("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1").command();
      String flag = quote(dir.resolve("started-once").toString());
      String script = "if [ -e " + flag + " ]; then exec " + words(old) + "; else touch " + flag + "; exec "
          + words(modern) + "; fi";
      Set<ProcessHandle> before = ProcessHandle.current().children().collect(Collectors.toSet());
      transport = StdioTransport.builder(List.of("sh", "-c", script)).name("restarting")
          .restartPolicy(new RestartPolicy(3, Duration.ofMillis(50), Duration.ofMillis(200)))
          .build();
      upstream = new VersionedUpstream("restarting", transport);
      upstream.setInboundHandler(InboundHandler.REFUSE_ALL);
      upstream.start();
      List<ProcessHandle> started = ProcessHandle.current().children().filter(p -> !before.contains(p)).toList();
      assertThat(started).hasSize(1);
      first = started.get(0);
    }

    /** Kills the first server and waits until the transport has started the second and is running. */
    void killAndAwaitRestart() {
      first.descendants().forEach(ProcessHandle::destroyForcibly);
      first.destroyForcibly();
      await(() -> transport.stats().restarts() == 1 && transport.state() == TransportState.RUNNING,
          "the transport restarted its upstream");
    }

    @Override
    public void close() {
      upstream.close();
    }

    private static void await(BooleanSupplier condition, String what) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!condition.getAsBoolean()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("timed out waiting until " + what);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }

    private static String words(List<String> command) {
      List<String> quoted = new ArrayList<>();
      command.forEach(word -> quoted.add(quote(word)));
      return String.join(" ", quoted);
    }

    private static String quote(String word) {
      return "'" + word.replace("'", "'\\''") + "'";
    }

    private static String node() {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
        Path node = Path.of(dir, "node");
        if (Files.isExecutable(node)) {
          return node.toString();
        }
      }
      Assumptions.abort("Node.js is not installed (no 'node' on the PATH)");
      throw new AssertionError("unreachable");
    }
  }
}
