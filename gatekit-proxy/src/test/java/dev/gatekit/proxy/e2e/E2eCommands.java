package dev.gatekit.proxy.e2e;

import dev.gatekit.testkit.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * The command lines of the end-to-end tests: the real servers (the test kit's Java server and the
 * official {@code @modelcontextprotocol/server-everything} from npm) and the proxy in front of them,
 * each run as a subprocess speaking MCP over stdio. Java programs run on this JVM's {@code java} and
 * class path, which hold the proxy, the transport, the test kit and slf4j-simple.
 */
final class E2eCommands {

  /** Where {@code npm ci} installs server-everything, relative to the module (Surefire's working directory). */
  static final Path NODE_DIR = Path.of("src", "test", "node");

  /** The bin that {@code @modelcontextprotocol/server-everything} installs. */
  static final String EVERYTHING_BIN = "mcp-server-everything";

  /**
   * JVM options of every Java subprocess: quick to start and small, which matters on a loaded
   * machine where each start costs seconds. These tests measure behaviour, never speed.
   */
  private static final List<String> JVM_OPTIONS =
      List.of("-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1");

  private E2eCommands() {}

  /** This JVM's {@code java} executable. */
  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The test kit's MCP server: {@code java ... dev.gatekit.testkit.server.TestMcpServer ARGS}. */
  static List<String> testKitServer(String... serverArgs) {
    return TestServer.builder()
        .withoutDefaultJvmOptions()
        .jvmOptions(JVM_OPTIONS)
        .args(serverArgs)
        .command();
  }

  /**
   * server-everything over stdio ({@code mcp-server-everything stdio}); skips the calling test when
   * it is not installed.
   */
  static List<String> serverEverything() {
    Path bin = everythingBin();
    Assumptions.assumeTrue(
        bin != null,
        "server-everything is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    return List.of(bin.toAbsolutePath().toString(), "stdio");
  }

  /**
   * The 2026-07-28 test server on the official TypeScript SDK v2 ({@code src/test/node/server-2026.mjs}:
   * tools {@code echo} and {@code confirm}, which needs input, and the resource {@code
   * test://greeting}); {@code --modern-only} makes it refuse {@code initialize}. Skips the calling
   * test when Node.js or the SDK is not installed.
   */
  static List<String> server2026(String... args) {
    List<String> command = new ArrayList<>(List.of(node(), nodeScript("server-2026.mjs")));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * The 2026-07-28 test client on the official TypeScript SDK v2 ({@code src/test/node/client-2026.mjs})
   * running {@code scenario} against {@code gateway}, which it starts; it prints one JSON object of
   * what it saw. Skips the calling test when Node.js or the SDK is not installed.
   */
  static List<String> client2026(String scenario, List<String> gateway) {
    List<String> command = new ArrayList<>(List.of(node(), nodeScript("client-2026.mjs"), scenario));
    command.addAll(gateway);
    return command;
  }

  private static String nodeScript(String name) {
    Path sdk = NODE_DIR.resolve("node_modules").resolve("@modelcontextprotocol").resolve("server");
    Assumptions.assumeTrue(Files.isDirectory(sdk) && Files.isDirectory(sdk.resolveSibling("client")),
        "the MCP TypeScript SDK v2 is not installed: run (cd gatekit-proxy/src/test/node && npm ci) — needs Node.js");
    return NODE_DIR.resolve(name).toAbsolutePath().toString();
  }

  private static String node() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path node = Path.of(dir, "node");
      if (Files.isExecutable(node)) {
        return node.toString();
      }
    }
    Assumptions.abort("Node.js is not installed (no 'node' on the PATH)");
    throw new AssertionError("unreachable");
  }

  /** Returns whether server-everything is installed. */
  static boolean serverEverythingInstalled() {
    return everythingBin() != null;
  }

  private static Path everythingBin() {
    Path bins = NODE_DIR.resolve("node_modules").resolve(".bin");
    for (String name : List.of(EVERYTHING_BIN, EVERYTHING_BIN + ".cmd")) {
      Path bin = bins.resolve(name);
      if (Files.isRegularFile(bin) && Files.isExecutable(bin)) {
        return bin;
      }
    }
    return null;
  }

  /**
   * The proxy in front of one upstream, transparent as {@code gatekit -- UPSTREAM...} is: {@link
   * TwoUpstreamProxyMain} with that one upstream. The command itself lives in {@code gatekit-cli},
   * whose tests run its packaged jar.
   */
  static List<String> gatekit(List<String> upstream) {
    return gatekitMulti(List.of(), new Upstream("upstream", upstream));
  }

  /**
   * {@link TwoUpstreamProxyMain} with its options (such as {@code --block b__fail}) in front of
   * these upstreams, in order.
   */
  static List<String> gatekitMulti(List<String> options, Upstream... upstreams) {
    List<String> command = javaMain(TwoUpstreamProxyMain.class.getName());
    command.addAll(options);
    for (Upstream upstream : upstreams) {
      command.add(TwoUpstreamProxyMain.UPSTREAM);
      command.add(upstream.name());
      command.addAll(upstream.command());
    }
    return List.copyOf(command);
  }

  /** One named upstream of {@link #gatekitMulti}. */
  record Upstream(String name, List<String> command) {}

  private static List<String> javaMain(String mainClass) {
    String classPath = System.getProperty("java.class.path", "");
    if (classPath.isEmpty()) {
      throw new IllegalStateException("java.class.path is empty; the proxy needs this JVM's class path");
    }
    List<String> command = new ArrayList<>();
    command.add(java());
    command.addAll(JVM_OPTIONS);
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    return command;
  }
}
