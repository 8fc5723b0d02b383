package dev.gatekit.server.http;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The official reference server, {@code @modelcontextprotocol/server-everything}, over stdio, as
 * {@code npm ci} in gatekit-proxy/src/test/node installs it (the proxy's and the HTTP transport's
 * end-to-end tests use the same install).
 */
final class ServerEverything {

  private static final Path BINS =
      Path.of("..", "gatekit-proxy", "src", "test", "node", "node_modules", ".bin");

  private ServerEverything() {}

  /** Its command line; skips the calling test, with the reason, when it is not installed. */
  static List<String> command() {
    Path bin = BINS.resolve("mcp-server-everything");
    Assumptions.assumeTrue(Files.isRegularFile(bin) && Files.isExecutable(bin),
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    return List.of(bin.toAbsolutePath().normalize().toString(), "stdio");
  }

  /** The server-everything processes running under this JVM now. */
  static long running() {
    return ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(line -> line.contains("server-everything")).orElse(false))
        .count();
  }
}
