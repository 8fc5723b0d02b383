package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.transport.http.HttpTransport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 2026-era client's raw requests through the proxy to a 2025-era server over Streamable HTTP,
 * {@code @modelcontextprotocol/server-everything} in its {@code streamableHttp} mode: the proxy's
 * {@code server/discover} probe goes as a stateless POST, the server refuses it (HTTP 400, a
 * JSON-RPC error with a null id, no session), the transport hands that over as the probe's error
 * answer, and the proxy bridges: it initializes a session and answers the client in 2026 form.
 * Skipped, with the reason, when Node.js or the package is missing.
 */
@Timeout(120)
class HttpUpstreamBridgeE2eTest {

  private static final Path EVERYTHING = Path.of("src", "test", "node", "node_modules", "@modelcontextprotocol",
      "server-everything", "dist", "index.js");
  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},'io.modelcontextprotocol/clientInfo':{'name':'raw','version':'1'}}";

  private Process node;
  private GatekitProxy proxy;
  private final ProxyFixture.Client client = new ProxyFixture.Client();

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (node != null) {
      node.descendants().forEach(ProcessHandle::destroyForcibly);
      node.destroyForcibly();
    }
  }

  @Test
  void aNewClientReachesA2025HttpServerThroughTheBridge() throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(EVERYTHING),
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    ProcessBuilder builder = new ProcessBuilder("node", EVERYTHING.toString(), "streamableHttp");
    builder.environment().put("PORT", Integer.toString(port));
    builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    try {
      node = builder.start();
    } catch (IOException noNode) {
      Assumptions.abort("Node.js (node) is not on the PATH: " + noNode.getMessage());
    }
    ProxyFixture.await("server-everything listening", () -> listening(port) || !node.isAlive());
    assertThat(node.isAlive()).as("server-everything started").isTrue();

    proxy = GatekitProxy.builder()
        .upstream("everything", HttpTransport.builder(URI.create("http://127.0.0.1:" + port + "/mcp")).name("everything").build())
        .build();
    proxy.connect(client);

    proxy.receive(request(1, "server/discover", "{" + META + "}"));
    JsonRpcResponse discovered = client.awaitResponse(1);
    assertThat(discovered.isError()).as("server/discover: %s", discovered).isFalse();
    assertThat(discovered.result().path("supportedVersions").toString()).contains("2026-07-28");
    assertThat(discovered.result().toString()).contains("mcp-servers/everything");

    proxy.receive(request(2, "tools/call", "{'name':'echo','arguments':{'message':'hi'}," + META + "}"));
    JsonRpcResponse echoed = client.awaitResponse(2);
    assertThat(echoed.isError()).as("echo: %s", echoed).isFalse();
    assertThat(echoed.result().path("content").path(0).path("text").asText()).isEqualTo("Echo: hi");
    assertThat(echoed.result().path("resultType").asText()).isEqualTo("complete");
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
