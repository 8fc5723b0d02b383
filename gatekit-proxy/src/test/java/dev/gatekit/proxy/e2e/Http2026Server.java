package dev.gatekit.proxy.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The 2026-07-28 Streamable HTTP test server ({@code src/test/node/http-server-2026.mjs}, the
 * official TypeScript SDK v2's {@code createMcpHandler}, modern-only: tools echo, confirm,
 * headers, slow, cancelled, secret and the resource test://greeting) as a subprocess on a free port
 * of 127.0.0.1. Skips the calling test, with the reason, when Node.js or the SDK is not installed.
 */
public final class Http2026Server implements AutoCloseable {

  private static final Path NODE_DIR = Path.of("src", "test", "node");

  private final Process process;
  private final URI uri;

  private Http2026Server(Process process, URI uri) {
    this.process = process;
    this.uri = uri;
  }

  /** Starts the server and waits until it listens. */
  public static Http2026Server start() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(NODE_DIR.resolve("node_modules/@modelcontextprotocol/server")),
        "the MCP TypeScript SDK v2 is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    Process process;
    try {
      process = new ProcessBuilder("node", "http-server-2026.mjs")
          .directory(NODE_DIR.toFile())
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException noNode) {
      Assumptions.abort("Node.js is not installed (no 'node' on the PATH): " + noNode.getMessage());
      throw new AssertionError("unreachable");
    }
    CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
      try {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    String line = Await.future(first, Await.TIMEOUT, "http-server-2026.mjs listening");
    if (line == null) {
      process.destroyForcibly();
      throw new AssertionError("http-server-2026.mjs exited without listening");
    }
    int port = new ObjectMapper().readTree(line).path("port").asInt();
    return new Http2026Server(process, URI.create("http://127.0.0.1:" + port + "/mcp"));
  }

  /** The server's MCP endpoint. */
  public URI uri() {
    return uri;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
