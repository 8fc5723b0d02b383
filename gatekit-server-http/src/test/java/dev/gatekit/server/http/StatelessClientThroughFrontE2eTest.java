package dev.gatekit.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official TypeScript SDK v2 client, pinned to 2026-07-28, through the HTTP front over real
 * sockets without a session: to the SDK's own 2026-07-28 server over stdio (passed through, {@code
 * input_required} rounds included) and to {@code server-everything} over stdio, a 2025-era server that
 * the proxy bridges (sampling through {@code input_required}, progress on the POST's stream).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatelessClientThroughFrontE2eTest {

  private static final Path NODE_DIR = Path.of("..", "gatekit-proxy", "src", "test", "node");

  @TempDir Path dir;
  private GatekitProxy proxy;
  private StreamableHttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  private void serve(List<String> upstream) {
    proxy = GatekitProxy.builder()
        .upstreamPerSession("kit", () -> StdioTransport.builder(upstream).name("kit")
            .options(TransportOptions.builder().requestTimeout(Duration.ofSeconds(60)).build()).build())
        .build();
    server = StreamableHttpServer.builder(proxy).build();
    server.start();
  }

  @Test
  void aNewClientReachesANewServerWithoutASessionAndItsInputRequiredRoundsPassThrough() throws Exception {
    serve(List.of(node(), script("server-2026.mjs"), "--modern-only"));
    JsonNode seen = runClient("server-2026");
    assertThat(seen.path("error").isMissingNode()).as(seen.toString()).isTrue();
    assertThat(seen.path("version").asText()).isEqualTo("2026-07-28");
    assertThat(seen.path("sessionId").isNull()).as("no session id was given").isTrue();
    assertThat(seen.path("echo").asText()).isEqualTo("Echo: hi");
    assertThat(seen.path("confirm").asText()).isEqualTo("confirmed: deploy");
    assertThat(seen.path("elicitations").asInt()).isEqualTo(1);
    assertThat(seen.path("poem").asText()).isEqualTo("sampled: a title for sampled: a poem about gates / sampled: a poem about gates");
    assertThat(seen.path("samplings").asInt()).isEqualTo(2);
    assertThat(seen.path("resource").asText()).isEqualTo("hello from 2026");
    assertThat(server.sessionCount()).isZero();
  }

  @Test
  void aNewClientReachesServerEverythingThroughTheBridgeWithSamplingAndProgress() throws Exception {
    serve(ServerEverything.command());
    JsonNode seen = runClient("server-everything");
    assertThat(seen.path("error").isMissingNode()).as(seen.toString()).isTrue();
    assertThat(seen.path("version").asText()).isEqualTo("2026-07-28");
    assertThat(seen.path("tools").toString()).contains("echo");
    assertThat(seen.path("echo").asText()).contains("hi");
    assertThat(seen.path("samplings").asInt()).as(seen.toString()).isEqualTo(1);
    assertThat(seen.path("sampling").asText()).contains("sampled: ");
    assertThat(seen.path("progress").asInt()).as("progress on the POST's stream").isEqualTo(3);
    assertThat(seen.path("slow").asText()).contains("completed");
  }

  private JsonNode runClient(String scenario) throws IOException, InterruptedException {
    Path out = dir.resolve(scenario + "-out.txt");
    Path err = dir.resolve(scenario + "-err.txt");
    Process client = new ProcessBuilder(node(), script("http-client-2026.mjs"), scenario, server.endpoint().toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!client.waitFor(90, TimeUnit.SECONDS)) {
      client.destroyForcibly();
      throw new AssertionError("the client did not finish: " + Files.readString(err, StandardCharsets.UTF_8));
    }
    String line = Files.readString(out, StandardCharsets.UTF_8).strip();
    assertThat(line).as(Files.readString(err, StandardCharsets.UTF_8)).isNotEmpty();
    return Http.json(line);
  }

  private static String script(String name) {
    Path sdk = NODE_DIR.resolve("node_modules").resolve("@modelcontextprotocol");
    Assumptions.assumeTrue(Files.isDirectory(sdk.resolve("client")) && Files.isDirectory(sdk.resolve("server")),
        "the MCP TypeScript SDK v2 is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    return NODE_DIR.resolve(name).toAbsolutePath().normalize().toString();
  }

  private static String node() {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path node = Path.of(folder, "node");
      if (Files.isExecutable(node)) {
        return node.toString();
      }
    }
    Assumptions.abort("Node.js is not installed (no 'node' on the PATH)");
    throw new AssertionError("unreachable");
  }
}
