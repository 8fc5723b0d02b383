package dev.gatekit.testkit.server;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Starts {@link TestMcpServer} as a subprocess of the current JVM: the same {@code java} executable
 * ({@code java.home}) and the same class path ({@code java.class.path}), so a test needs no build
 * step or script. Under Maven Surefire the class path may be a manifest-only jar; {@code -cp}
 * honours its {@code Class-Path} entries, so that works too.
 *
 * <p>The command is {@code <java.home>/bin/java <JVM options> -cp <class path>
 * dev.gatekit.testkit.server.TestMcpServer <server arguments>}. The JVM options are {@link
 * #DEFAULT_JVM_OPTIONS} (which keep the JIT at its defaults, so they suit benchmarks) followed by
 * any extra ones. {@link #start} leaves stdin and stdout as pipes for the caller and lets the
 * server's stderr go to this JVM's stderr ({@link Redirect#INHERIT}) unless the builder says
 * otherwise; a caller that asks for {@link Redirect#PIPE} must drain it. The caller owns the
 * process and must destroy it.
 */
public final class TestServer {

  /**
   * The JVM options used unless told otherwise: the serial collector and no perf-data file, which
   * start faster and suit a small single-client server. The JIT is left at its defaults.
   */
  public static final List<String> DEFAULT_JVM_OPTIONS =
      List.of("-XX:+UseSerialGC", "-XX:-UsePerfData");

  private TestServer() {}

  /** Returns the command that runs the server with the default JVM options and these arguments. */
  public static List<String> command(String... serverArgs) {
    return builder().args(serverArgs).command();
  }

  /** Returns the command with the default JVM options, then {@code extraJvmOptions}. */
  public static List<String> command(List<String> extraJvmOptions, String... serverArgs) {
    return builder().jvmOptions(extraJvmOptions).args(serverArgs).command();
  }

  /** Starts the server with these arguments; its stderr goes to this JVM's stderr. */
  public static Process start(String... serverArgs) throws IOException {
    return builder().args(serverArgs).start();
  }

  /** Returns a builder for a command or a process with more choices. */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects JVM options, server arguments and the stderr redirect; not thread-safe. */
  public static final class Builder {
    private boolean defaultJvmOptions = true;
    private final List<String> jvmOptions = new ArrayList<>();
    private final List<String> serverArgs = new ArrayList<>();
    private Redirect stderr = Redirect.INHERIT;

    private Builder() {}

    /** Adds JVM options, after the defaults unless {@link #withoutDefaultJvmOptions()}. */
    public Builder jvmOptions(String... options) {
      return jvmOptions(Arrays.asList(options));
    }

    /** Adds JVM options, after the defaults unless {@link #withoutDefaultJvmOptions()}. */
    public Builder jvmOptions(List<String> options) {
      options.forEach(option -> jvmOptions.add(Objects.requireNonNull(option, "JVM option")));
      return this;
    }

    /** Leaves out {@link #DEFAULT_JVM_OPTIONS}. */
    public Builder withoutDefaultJvmOptions() {
      defaultJvmOptions = false;
      return this;
    }

    /** Adds arguments for the server, such as fault-mode flags. */
    public Builder args(String... args) {
      Arrays.stream(args).forEach(arg -> serverArgs.add(Objects.requireNonNull(arg, "argument")));
      return this;
    }

    /** Sets where the server's stderr goes; {@link Redirect#INHERIT} unless set. */
    public Builder stderr(Redirect redirect) {
      this.stderr = Objects.requireNonNull(redirect, "redirect");
      return this;
    }

    /** Returns the command line. */
    public List<String> command() {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      if (defaultJvmOptions) {
        command.addAll(DEFAULT_JVM_OPTIONS);
      }
      command.addAll(jvmOptions);
      command.add("-cp");
      command.add(classPath());
      command.add(TestMcpServer.class.getName());
      command.addAll(serverArgs);
      return List.copyOf(command);
    }

    /** Returns a process builder for the command, with the stderr redirect set. */
    public ProcessBuilder processBuilder() {
      return new ProcessBuilder(command()).redirectError(stderr);
    }

    /** Starts the server. */
    public Process start() throws IOException {
      return processBuilder().start();
    }

    private static String classPath() {
      String classPath = System.getProperty("java.class.path", "");
      if (classPath.isEmpty()) {
        throw new IllegalStateException(
            "java.class.path is empty; the test server needs this JVM's class path to start");
      }
      return classPath;
    }
  }
}
