package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.McpMethods;
import dev.gatekit.testkit.server.TestServer;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the pipe itself allows: the denominator for {@link TransportThroughputBenchmark}. The
 * upstream is the most minimal line echo there is — {@code line_echo.c}, compiled with {@code cc
 * -O2} into a temporary directory at trial setup, or, where no C compiler works (or with {@code
 * -Dgatekit.benchmarks.echo=java}), {@link LineEcho} on a JVM with the test server's default options.
 * The client is a bare Java loop over the process's pipes: no JSON, no correlation, no futures.
 * Each line is the exact bytes {@code StdioTransport} writes for one {@code tools/call echo}.
 *
 * <p>With {@code -p upstreamKind=test-server} the same raw client runs against the test kit's MCP
 * server instead (started, initialized and primed as in {@link TestServerTransport}): what that
 * server allows when the client costs next to nothing, which tells client overhead from server
 * capacity.
 *
 * <ul>
 *   <li>{@code pipelined}: lines per second with {@code inFlight} lines in flight. The benchmark
 *       thread writes as many lines as the window has room for in one write; a reader thread counts
 *       the lines coming back and wakes it. The window stays full across invocations of
 *       {@value TransportThroughputBenchmark#BATCH} lines each.
 *   <li>{@code sequential}: the round trip of one line at a time (write, flush, read until the line
 *       ends) on the benchmark thread, in microseconds.
 * </ul>
 */
@Fork(3)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 5)
public class PipeBaselineBenchmark {

  static final int BATCH = TransportThroughputBenchmark.BATCH;

  /** The system property that picks the echo upstream: {@code auto} (default), {@code c} or {@code java}. */
  static final String ECHO_PROPERTY = "gatekit.benchmarks.echo";

  /** One echo call as {@code StdioTransport} puts it on the wire, with its line break. */
  static byte[] line() {
    byte[] json = JsonRpcCodec.get().encode(McpCalls.echo());
    byte[] line = Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    return line;
  }

  // ---------------------------------------------------------------------------------------------

  /** The sequential client: one line at a time. */
  @State(Scope.Benchmark)
  public static class SequentialPipe {
    /** {@code echo}, or {@code test-server} for the raw client against the test kit's server. */
    @Param({"echo"})
    public String upstreamKind;

    EchoUpstream upstream;
    OutputStream out;
    InputStream in;
    final byte[] line = line();
    final byte[] buffer = new byte[64 * 1024];

    /** Starts the echo and checks one round trip. */
    @Setup(Level.Trial)
    public void start() throws IOException, InterruptedException {
      upstream = EchoUpstream.start(upstreamKind);
      out = upstream.process.getOutputStream();
      in = upstream.process.getInputStream();
      int length = roundTrip();
      if (upstreamKind.equals("echo") && length != line.length) {
        throw new IllegalStateException("the echo did not return the line");
      }
      if (upstreamKind.equals("test-server")) {
        for (int i = 0; i < Priming.PRIME_REQUESTS; i++) {
          roundTrip();
        }
      }
    }

    /** One line out and back; returns the number of bytes read. */
    int roundTrip() throws IOException {
      out.write(line);
      out.flush();
      int got = 0;
      while (true) {
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
          throw new IOException("the echo closed its stdout");
        }
        got += n;
        if (buffer[n - 1] == '\n') {
          return got;
        }
      }
    }

    /** Ends the echo. */
    @TearDown(Level.Trial)
    public void close() {
      CpuProfiler.noteUpstreams();
      upstream.close();
    }
  }

  /** The pipelined client: a window of {@code inFlight} lines, refilled as lines come back. */
  @State(Scope.Benchmark)
  public static class PipelinedPipe {
    @Param({"1", "10", "100", "1000"})
    public int inFlight;

    /** {@code echo}, or {@code test-server} for the raw client against the test kit's server. */
    @Param({"echo"})
    public String upstreamKind;

    EchoUpstream upstream;
    OutputStream out;
    byte[] lines;
    int lineLength;
    final AtomicLong received = new AtomicLong();
    long sent;
    volatile @Nullable Thread writer;
    volatile boolean writerWaiting;
    volatile boolean ended;
    volatile @Nullable IOException readFailure;

    /** Starts the echo and the reader thread. */
    @Setup(Level.Trial)
    public void start() throws IOException, InterruptedException {
      byte[] line = line();
      lineLength = line.length;
      lines = new byte[lineLength * inFlight];
      for (int i = 0; i < inFlight; i++) {
        System.arraycopy(line, 0, lines, i * lineLength, lineLength);
      }
      upstream = EchoUpstream.start(upstreamKind);
      out = upstream.process.getOutputStream();
      InputStream in = upstream.process.getInputStream();
      Thread reader = new Thread(() -> read(in), "pipe-baseline-reader");
      reader.setDaemon(true);
      reader.start();
      if (upstreamKind.equals("test-server")) {
        roundTrips(Priming.PRIME_REQUESTS);
        drain();
      }
    }

    private void read(InputStream in) {
      byte[] buffer = new byte[64 * 1024];
      try {
        int n;
        while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
          int count = 0;
          for (int i = 0; i < n; i++) {
            if (buffer[i] == '\n') {
              count++;
            }
          }
          if (count > 0) {
            received.addAndGet(count);
            if (writerWaiting) {
              wakeWriter();
            }
          }
        }
      } catch (IOException e) {
        readFailure = e;
      } finally {
        ended = true;
        wakeWriter();
      }
    }

    private void wakeWriter() {
      Thread thread = writer;
      if (thread != null) {
        LockSupport.unpark(thread);
      }
    }

    /** Keeps the window full until {@code count} more lines have come back. */
    void roundTrips(long count) throws IOException {
      writer = Thread.currentThread();
      long goal = received.get() + count;
      while (true) {
        long back = received.get();
        if (back >= goal) {
          return;
        }
        int room = (int) (back + inFlight - sent);
        if (room > 0) {
          out.write(lines, 0, room * lineLength);
          out.flush();
          sent += room;
          continue;
        }
        writerWaiting = true;
        if (received.get() == back) {
          checkAlive();
          LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
        }
        writerWaiting = false;
      }
    }

    /** Waits until every line sent has come back. */
    @TearDown(Level.Iteration)
    public void drain() throws IOException {
      writer = Thread.currentThread();
      while (received.get() < sent) {
        checkAlive();
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
      }
    }

    private void checkAlive() throws IOException {
      if (ended) {
        IOException failure = readFailure;
        throw failure != null ? failure : new IOException("the echo closed its stdout");
      }
    }

    /** Ends the echo; the reader thread ends with its stdout. */
    @TearDown(Level.Trial)
    public void close() {
      CpuProfiler.noteUpstreams();
      upstream.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Lines per second over the bare pipe with {@code inFlight} in flight. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void pipelined(PipelinedPipe pipe) throws IOException {
    pipe.roundTrips(BATCH);
  }

  /** The round trip of one line over the bare pipe. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int sequential(SequentialPipe pipe) throws IOException {
    return pipe.roundTrip();
  }

  // ---------------------------------------------------------------------------------------------

  /** The echo upstream process and the temporary directory it may run from. */
  static final class EchoUpstream {
    final Process process;
    private final @Nullable Path directory;

    private EchoUpstream(Process process, @Nullable Path directory) {
      this.process = process;
      this.directory = directory;
    }

    /**
     * Starts the upstream: for {@code echo} the C echo if it compiles here (unless told otherwise),
     * else the Java one; for {@code test-server} the test kit's MCP server as {@link
     * TestServerTransport} starts it, with the MCP handshake done.
     */
    static EchoUpstream start(String kind) throws IOException, InterruptedException {
      if (kind.equals("test-server")) {
        return startTestServer();
      }
      if (!kind.equals("echo")) {
        throw new IllegalArgumentException("upstreamKind must be echo or test-server, was " + kind);
      }
      String choice = System.getProperty(ECHO_PROPERTY, "auto");
      if (!List.of("auto", "c", "java").contains(choice)) {
        throw new IllegalArgumentException(ECHO_PROPERTY + " must be auto, c or java, was " + choice);
      }
      Path directory = Files.createTempDirectory("gatekit-pipe-baseline");
      List<String> command = null;
      if (!choice.equals("java")) {
        command = compile(directory);
        if (command == null && choice.equals("c")) {
          throw new IllegalStateException("the C echo does not compile here (" + ECHO_PROPERTY + "=c)");
        }
      }
      String description = "C (line_echo.c, cc -O2)";
      if (command == null) {
        command = javaCommand();
        description = "Java (LineEcho)";
      }
      System.out.println("# Pipe baseline upstream: " + description);
      Process process = new ProcessBuilder(command).redirectError(Redirect.INHERIT).start();
      return new EchoUpstream(process, directory);
    }

    private static EchoUpstream startTestServer() throws IOException {
      System.out.println("# Pipe baseline upstream: the test kit's MCP server, raw client");
      Process process = TestServer.builder().start();
      OutputStream out = process.getOutputStream();
      out.write(JsonRpcCodec.get().encode(McpCalls.initialize()));
      out.write('\n');
      out.write(
          JsonRpcCodec.get()
              .encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null)));
      out.write('\n');
      out.flush();
      InputStream in = process.getInputStream();
      int c;
      while ((c = in.read()) != '\n') {
        if (c < 0) {
          throw new IOException("the test server ended before it answered initialize");
        }
      }
      return new EchoUpstream(process, null);
    }

    /** Compiles line_echo.c into {@code directory}; returns the command, or null if that fails. */
    private static @Nullable List<String> compile(Path directory) throws InterruptedException {
      Path source = directory.resolve("line_echo.c");
      Path binary = directory.resolve("line_echo");
      try (InputStream in = PipeBaselineBenchmark.class.getResourceAsStream("line_echo.c")) {
        if (in == null) {
          throw new IllegalStateException("line_echo.c is missing from the class path");
        }
        Files.copy(in, source);
        Process cc =
            new ProcessBuilder("cc", "-O2", "-o", binary.toString(), source.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!cc.waitFor(60, TimeUnit.SECONDS) || cc.exitValue() != 0) {
          System.out.println("# cc failed; using the Java echo: " + output.strip());
          return null;
        }
        return List.of(binary.toString());
      } catch (IOException e) {
        System.out.println("# No C compiler (" + e.getMessage() + "); using the Java echo");
        return null;
      }
    }

    private static List<String> javaCommand() {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(TestServer.DEFAULT_JVM_OPTIONS);
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(LineEcho.class.getName());
      return command;
    }

    /** Closes the echo's stdin, waits for it to exit (killing it if it does not), deletes the directory. */
    void close() {
      try {
        process.getOutputStream().close();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (IOException e) {
        process.destroyForcibly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      if (directory == null) {
        return;
      }
      try (Stream<Path> files = Files.walk(directory)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
