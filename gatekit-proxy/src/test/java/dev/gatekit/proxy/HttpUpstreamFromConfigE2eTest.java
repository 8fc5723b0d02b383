package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.proxy.config.ConfigLoader;
import dev.gatekit.proxy.config.GatekitConfig;
import dev.gatekit.proxy.config.ServiceLoaderWiring;
import dev.gatekit.transport.http.HttpTransport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration with a {@code url:} upstream, end to end: the proxy the configuration builds (a
 * {@link HttpTransport} and the built-in secrets filter) in front of the official reference server,
 * {@code @modelcontextprotocol/server-everything}, run by Node.js in its {@code streamableHttp}
 * mode (installed by {@code npm ci} in src/test/node). Skipped, with the reason, when Node.js or the
 * package is missing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class HttpUpstreamFromConfigE2eTest {

  private static final Path EVERYTHING = Path.of("src", "test", "node", "node_modules", "@modelcontextprotocol",
      "server-everything", "dist", "index.js");
  /** In the server's environment, so that its get-env tool answers with a secret. */
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  @TempDir Path dir;

  private Process node;
  private int port;
  private GatekitProxy proxy;
  private final ProxyFixture.Client client = new ProxyFixture.Client();

  @BeforeAll
  void startServer() throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(EVERYTHING),
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    Assumptions.assumeTrue(nodeRuns(), "Node.js (node) is not on the PATH");
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    ProcessBuilder builder = new ProcessBuilder("node", EVERYTHING.toString(), "streamableHttp");
    builder.environment().put("PORT", Integer.toString(port));
    builder.environment().put("LEAKED_KEY", AWS_KEY);
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    node = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!listening(port)) {
      if (!node.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("server-everything did not start on port " + port);
      }
      Thread.sleep(50);
    }
  }

  @AfterEach
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
  }

  @AfterAll
  void stopServer() {
    if (node != null) {
      node.descendants().forEach(ProcessHandle::destroyForcibly);
      node.destroyForcibly();
    }
  }

  private static boolean nodeRuns() {
    try {
      Process version = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
      return version.waitFor(20, TimeUnit.SECONDS) && version.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void toolCallsPassAndTheSecretsFilterBlocksSecretsBothWays() throws Exception {
    Path file = dir.resolve("gatekit.yaml");
    Files.writeString(file, """
        proxy:
          upstreams:
            - name: everything
              url: "http://127.0.0.1:%d/mcp"
              headers: {X-Gatekit-Test: "Bearer ${TEST_TOKEN}"}
          timeouts: {request_seconds: 30}
        plugins:
          security:
            _global:
              - {handler: basic_secrets_filter, config: {action: block}}
          auditing:
            _global:
              - {handler: audit_jsonl, config: {output_file: "%s"}}
        """.formatted(port, dir.resolve("audit.jsonl").toString().replace('\\', '/')));
    GatekitConfig config = ConfigLoader.load(file, Map.of("TEST_TOKEN", "t0ken"));
    assertThat(config.upstreams().get(0).headers()).containsEntry("X-Gatekit-Test", "Bearer t0ken");
    proxy = config.proxyBuilder(ServiceLoaderWiring.fromClassPath()).build();
    proxy.connect(client);
    handshake(proxy, client);

    proxy.receive(request(1, "tools/call", "{'name':'echo','arguments':{'message':'hello through gatekit'}}"));
    JsonRpcResponse echoed = client.awaitResponse(1);
    assertThat(echoed.isError()).as("echo: %s", echoed).isFalse();
    assertThat(echoed.result().toString()).contains("Echo: hello through gatekit");

    // Towards the server: the request carries a secret and never leaves the gateway.
    proxy.receive(request(2, "tools/call", "{'name':'echo','arguments':{'message':'key " + AWS_KEY + "'}}"));
    JsonRpcResponse blockedRequest = client.awaitResponse(2);
    assertThat(blockedRequest.isError()).isTrue();
    assertThat(blockedRequest.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);

    // From the server: its answer (the server's environment) carries a secret and never reaches the client.
    proxy.receive(request(3, "tools/call", "{'name':'get-env','arguments':{}}"));
    JsonRpcResponse blockedAnswer = client.awaitResponse(3);
    assertThat(blockedAnswer.isError()).as("get-env: %s", blockedAnswer).isTrue();
    assertThat(blockedAnswer.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);

    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
    assertThat(client.all().toString()).doesNotContain(AWS_KEY);

    // The audit log has the exchange, the blocked answer among it, and neither secret in clear.
    proxy.close();
    String audit = Files.readString(dir.resolve("audit.jsonl"));
    assertThat(audit.lines().filter(line -> line.contains("\"direction\":\"upstream_to_client\"")
            && line.contains("\"request_id\":3") && line.contains("\"outcome\":\"blocked\"")))
        .as("the blocked answer to get-env in %s", audit)
        .hasSize(1);
    assertThat(audit).doesNotContain(AWS_KEY).doesNotContain("t0ken");
  }
}
