package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.InboundHandler;
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
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * A {@link VersionedUpstream} over a real {@link StdioTransport} that restarts its upstream: one
 * command on the first start, another on every later one (a flag file tells them apart), so a test
 * can kill the first server and meet the second. Skips the calling test where Node.js or the npm
 * packages of {@code src/test/node} are missing.
 */
public final class RestartingUpstream implements AutoCloseable {

  public static final Duration WAIT = Duration.ofSeconds(60);
  private static final Path NODE_DIR = Path.of("src", "test", "node");

  final StdioTransport transport;
  final @Nullable VersionedUpstream upstream;
  private final Set<ProcessHandle> before;
  private @Nullable ProcessHandle first;

  private RestartingUpstream(Path dir, List<String> firstCommand, List<String> laterCommand,
      @Nullable InboundHandler handler) {
    String flag = quote(dir.resolve("started-once").toString());
    String script = "if [ -e " + flag + " ]; then exec " + words(laterCommand) + "; else touch " + flag + "; exec "
        + words(firstCommand) + "; fi";
    before = ProcessHandle.current().children().collect(Collectors.toSet());
    transport = StdioTransport.builder(List.of("sh", "-c", script)).name("restarting")
        .restartPolicy(new RestartPolicy(3, Duration.ofMillis(50), Duration.ofMillis(200)))
        .build();
    if (handler == null) {
      upstream = null;
      return;
    }
    upstream = new VersionedUpstream("restarting", transport);
    upstream.setInboundHandler(handler);
    upstream.start();
  }

  /**
   * Only the transport, not started, for a proxy to take (it starts and closes it): {@code
   * firstCommand} on the first start, {@code laterCommand} on every later one.
   */
  public static RestartingUpstream transportOnly(Path dir, List<String> firstCommand, List<String> laterCommand) {
    return new RestartingUpstream(dir, firstCommand, laterCommand, null);
  }

  /** Returns the versioned upstream over the transport (not for {@link #transportOnly}). */
  VersionedUpstream upstream() {
    return java.util.Objects.requireNonNull(upstream, "transportOnly has no VersionedUpstream");
  }

  /** Returns the transport that restarts its upstream. */
  public StdioTransport transport() {
    return transport;
  }

  /** The TypeScript SDK v2's 2026-only server first, the test kit's 2025-era Java server after a restart. */
  static RestartingUpstream modernThenTestKit(Path dir) {
    return new RestartingUpstream(dir, server2026("--modern-only"), testKit(), InboundHandler.REFUSE_ALL);
  }

  /** {@code firstCommand} on the first start, {@code laterCommand} on every later one. */
  static RestartingUpstream of(Path dir, List<String> firstCommand, List<String> laterCommand, InboundHandler handler) {
    return new RestartingUpstream(dir, firstCommand, laterCommand, handler);
  }

  /** The TypeScript SDK v2's 2026-07-28 test server ({@code src/test/node/server-2026.mjs}) with {@code args}. */
  public static List<String> server2026(String... args) {
    assumeSdk();
    List<String> command = new ArrayList<>(List.of(node(), NODE_DIR.resolve("server-2026.mjs").toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** A Node.js script of {@code src/test/node} on the TypeScript SDK v2, with {@code args}. */
  public static List<String> nodeScript(String script, String... args) {
    assumeSdk();
    List<String> command = new ArrayList<>(List.of(node(), NODE_DIR.resolve(script).toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return command;
  }

  /** The official 2025-era {@code server-everything} over stdio. */
  public static List<String> serverEverything() {
    Path bin = NODE_DIR.resolve("node_modules/.bin/mcp-server-everything");
    Assumptions.assumeTrue(Files.isExecutable(bin),
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci)");
    return List.of(bin.toAbsolutePath().toString(), "stdio");
  }

  /** The test kit's 2025-era Java server. */
  public static List<String> testKit() {
    return TestServer.builder().withoutDefaultJvmOptions()
        .jvmOptions("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1").command();
  }

  /** Kills the first server and waits until the transport has started the second and is running. */
  public void killAndAwaitRestart() {
    if (first == null) {
      List<ProcessHandle> started = ProcessHandle.current().children().filter(p -> !before.contains(p)).toList();
      assertThat(started).as("the first server, started by this transport").hasSize(1);
      first = started.get(0);
    }
    first.descendants().forEach(ProcessHandle::destroyForcibly);
    first.destroyForcibly();
    await(() -> transport.stats().restarts() == 1 && transport.state() == TransportState.RUNNING,
        "the transport restarted its upstream");
  }

  @Override
  public void close() {
    if (upstream != null) {
      upstream.close();
    }
    transport.close();
  }

  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private static void assumeSdk() {
    Assumptions.assumeTrue(Files.isDirectory(NODE_DIR.resolve("node_modules/@modelcontextprotocol/server")),
        "the MCP TypeScript SDK v2 is not installed: run (cd gatekit-proxy/src/test/node && npm ci)");
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
