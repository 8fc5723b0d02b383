package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.McpMethods;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The far end of {@link CommandHopBenchmark}'s raw client: {@code line_answer.c} (compiled with
 * {@code cc -O2} into a temporary directory) on its own ({@code direct}), or the real {@code gatekit}
 * command in its own JVM in front of it ({@code command}: {@code java -cp CLASSPATH MAIN --log-level
 * warn -- line_answer}; {@code command-metrics} adds {@code --metrics 127.0.0.1:PORT}), or {@code
 * line_relay.c} in front of it ({@code c-relay}: one thread polling both pipes and copying bytes,
 * the floor of any process in the middle). The MCP handshake is done on every peer, so the client's
 * traffic is the same.
 * Also reads the CPU time of the gateway and of the answerer from {@code /proc}.
 */
final class HopPeer {

  /** The gateway of the current build: this jar's class path, the command of {@code gatekit-cli}. */
  static final String CURRENT = "current";

  /**
   * Extra JVM options for the gateway's JVM, separated by {@code ;} or spaces (none by default, as a
   * user runs it). JMH splits {@code -jvmArgsAppend} at spaces, so give several with {@code ;}.
   */
  static final String JVM_ARGS_PROPERTY = "gatekit.benchmarks.command.jvmArgs";

  private static final String CURRENT_MAIN = "dev.gatekit.cli.GatekitCommand";

  /** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
  private static final long NANOS_PER_TICK = 10_000_000L;

  final Process process;
  final OutputStream out;
  final InputStream in;
  final @Nullable ProcessHandle gateway;
  final ProcessHandle answerer;
  private final Path directory;
  private final @Nullable Path gatewayLog;

  private HopPeer(Process process, @Nullable ProcessHandle gateway, ProcessHandle answerer,
      Path directory, @Nullable Path gatewayLog) {
    this.process = process;
    this.out = process.getOutputStream();
    this.in = process.getInputStream();
    this.gateway = gateway;
    this.answerer = answerer;
    this.directory = directory;
    this.gatewayLog = gatewayLog;
  }

  /**
   * Starts the peer and makes the MCP handshake ({@code initialize}, its answer, {@code
   * notifications/initialized}).
   *
   * @param peer {@code direct}, {@code command}, {@code command-metrics} (the command with {@code
   *     --metrics} on a free loopback port: metrics recorded, no trace) or {@code c-relay}
   * @param gatewaySpec {@value #CURRENT}, or {@code CLASSPATH@MAIN_CLASS} of another build of the command
   */
  static HopPeer start(String peer, String gatewaySpec) throws IOException, InterruptedException {
    Path directory = Files.createTempDirectory("gatekit-command-hop");
    Path answererBinary = compile(directory, "line_answer");
    Process process;
    ProcessHandle gateway = null;
    Path log = null;
    if (peer.equals("direct")) {
      System.out.println("# Peer: line_answer.c directly");
      process = new ProcessBuilder(answererBinary.toString()).redirectError(Redirect.INHERIT).start();
    } else if (peer.equals("c-relay")) {
      Path relay = compile(directory, "line_relay");
      System.out.println("# Peer: line_relay.c in front of line_answer.c");
      process = new ProcessBuilder(relay.toString(), answererBinary.toString()).redirectError(Redirect.INHERIT).start();
      gateway = process.toHandle();
    } else if (peer.equals("command") || peer.equals("command-metrics")) {
      List<String> command = gatewayCommand(gatewaySpec);
      command.add("--log-level");
      command.add("warn");
      if (peer.equals("command-metrics")) { // the SDK's meter provider, no tracer: what --metrics installs
        command.add("--metrics");
        command.add("127.0.0.1:" + freePort());
      }
      command.add("--");
      command.add(answererBinary.toString());
      System.out.println("# Peer: the gatekit command, " + String.join(" ", command));
      log = directory.resolve("gateway.log");
      process = new ProcessBuilder(command).redirectError(log.toFile()).start();
      gateway = process.toHandle();
    } else {
      throw new IllegalArgumentException("peer must be direct, command, command-metrics or c-relay, was " + peer);
    }
    try {
      handshake(process);
      ProcessHandle answerer = process.toHandle();
      if (gateway != null) {
        Optional<ProcessHandle> child = gateway.children().findFirst();
        if (child.isEmpty()) {
          throw new IllegalStateException("the gateway has no upstream process after the handshake");
        }
        answerer = child.get();
      }
      return new HopPeer(process, gateway, answerer, directory, log);
    } catch (IOException | RuntimeException e) {
      // Leave nothing behind, and say what the gateway said.
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      String said = log == null ? "" : "; the gateway's stderr: " + Files.readString(log).strip();
      deleteDirectory(directory);
      throw new IllegalStateException("the " + peer + " peer did not start: " + e.getMessage() + said, e);
    }
  }

  /** Returns a loopback port free just now, for the gateway's {@code /metrics}. */
  private static int freePort() throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static List<String> gatewayCommand(String spec) {
    String classPath;
    String main;
    if (spec.equals(CURRENT)) {
      classPath = System.getProperty("java.class.path");
      main = CURRENT_MAIN;
    } else {
      int at = spec.lastIndexOf('@');
      if (at <= 0 || at == spec.length() - 1) {
        throw new IllegalArgumentException(
            "gateway must be " + CURRENT + " or CLASSPATH@MAIN_CLASS, was " + spec);
      }
      classPath = spec.substring(0, at);
      main = spec.substring(at + 1);
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String jvmArgs = System.getProperty(JVM_ARGS_PROPERTY, "").strip();
    if (!jvmArgs.isEmpty()) {
      command.addAll(Arrays.asList(jvmArgs.split("[;\\s]+")));
    }
    command.add("-cp");
    command.add(classPath);
    command.add(main);
    return command;
  }

  private static void handshake(Process process) throws IOException {
    OutputStream out = process.getOutputStream();
    out.write(JsonRpcCodec.get().encode(McpCalls.initialize()));
    out.write('\n');
    out.flush();
    InputStream in = process.getInputStream();
    StringBuilder answer = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new IOException("the peer ended before it answered initialize: " + answer);
      }
      answer.append((char) c);
    }
    if (!answer.toString().contains("\"result\"")) {
      throw new IllegalStateException("initialize failed: " + answer);
    }
    out.write(JsonRpcCodec.get().encode(
        new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null)));
    out.write('\n');
    out.flush();
  }

  /** Compiles line_answer.c into {@code directory}; returns the binary. */
  static Path compile(Path directory) throws IOException, InterruptedException {
    return compile(directory, "line_answer");
  }

  /** Compiles {@code NAME.c} (a resource beside this class) into {@code directory}; returns the binary. */
  private static Path compile(Path directory, String name) throws IOException, InterruptedException {
    Path source = directory.resolve(name + ".c");
    Path binary = directory.resolve(name);
    try (InputStream in = HopPeer.class.getResourceAsStream(name + ".c")) {
      if (in == null) {
        throw new IllegalStateException(name + ".c is missing from the class path");
      }
      Files.copy(in, source);
    }
    Process cc = new ProcessBuilder("cc", "-O2", "-o", binary.toString(), source.toString())
        .redirectErrorStream(true)
        .start();
    String output = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
      throw new IllegalStateException("CommandHopBenchmark needs a C compiler (cc): " + output.strip());
    }
    return binary;
  }

  /** CPU time (user + system) of the gateway so far in ns, or -1 for the direct peer. */
  long gatewayCpuNanos() {
    return gateway == null ? -1 : cpuNanos(gateway.pid());
  }

  /** CPU time (user + system) of the answerer so far in ns. */
  long answererCpuNanos() {
    return cpuNanos(answerer.pid());
  }

  /** utime + stime of a process from {@code /proc/PID/stat}, or -1 where that cannot be read. */
  static long cpuNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Fields after the command name (which may hold spaces) in parentheses: state is field 3,
      // utime field 14, stime field 15.
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** Voluntary context switches of the gateway's threads so far (its thread wake-ups), or -1 for the direct peer. */
  long gatewaySwitches() {
    return gateway == null ? -1 : voluntarySwitches(gateway.pid());
  }

  /**
   * The sum of {@code voluntary_ctxt_switches} over the live threads of a process, from {@code
   * /proc/PID/task/TID/status}: each is a thread that blocked (in a park, a read, a wait) and so had
   * to be woken again. Threads that ended take their counts with them. -1 where that cannot be read.
   */
  static long voluntarySwitches(long pid) {
    long sum = 0;
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              sum += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
          }
        } catch (IOException threadEnded) {
          // the thread ended while we listed them
        }
      }
      return sum;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Closes the peer's stdin (the gateway then ends its upstream), waits for it to exit (killing it
   * and what it started if it does not), prints any warnings the gateway logged and deletes the
   * temporary directory.
   */
  void close() {
    try {
      out.close();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      answerer.destroyForcibly();
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    if (gatewayLog != null) {
      try {
        List<String> lines = Files.readAllLines(gatewayLog);
        if (!lines.isEmpty()) {
          System.out.println("# The gateway logged " + lines.size() + " lines; the first:");
          lines.stream().limit(5).forEach(line -> System.out.println("#   " + line));
        }
      } catch (IOException e) {
        System.out.println("# Cannot read the gateway's log: " + e.getMessage());
      }
    }
    deleteDirectory(directory);
  }

  private static void deleteDirectory(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
