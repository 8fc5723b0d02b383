package dev.gatekit.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * What one hop through the real {@code gatekit} process costs (issue 13): the same raw client as
 * {@link PipeBaselineBenchmark} (a bare Java loop over pipes, no JSON, no correlation) on two peers
 * in the same run, selected by {@code peer}:
 *
 * <ul>
 *   <li>{@code direct}: {@code line_answer.c}, a C program that answers every request line with a
 *       response line carrying the same id (the benchmarks' echo result), compiled with {@code cc
 *       -O2} at trial setup;
 *   <li>{@code command}: {@code java -cp CLASSPATH MAIN --log-level warn -- line_answer}, the
 *       gateway's command in its own JVM, with no plugins, in front of the same program. {@code
 *       gateway} = {@code current} (default) runs {@code dev.gatekit.cli.GatekitCommand} from this
 *       jar; {@code gateway} = {@code CLASSPATH@MAIN_CLASS} runs another build (an older commit's
 *       command jar, for a before/after table).
 *   <li>{@code c-relay}: {@code line_relay.c} in front of the same program: one thread polling both
 *       pipes and copying bytes, two wake-ups per sequential round trip, no parsing. Nothing that
 *       stands between the two processes can cost less, so {@code c-relay - direct} is the floor under
 *       the added round trip on the machine at hand, measured in the same run.
 *   <li>{@code command-metrics} (not in the default run: {@code -p peer=command,command-metrics}):
 *       {@code command} with {@code --metrics 127.0.0.1:PORT}, which installs the OpenTelemetry SDK's
 *       meter provider and no tracer: what metrics cost on the byte pass-through.
 * </ul>
 *
 * <p>The client makes the MCP handshake with both peers, then primes with {@value
 * Priming#PRIME_REQUESTS} requests, so the gateway's JVM (alive for the whole trial) is compiled
 * before JMH's warmup. Every request is the {@code tools/call echo} line {@code StdioTransport}
 * writes, under an id of its own (a counter; the gateway refuses an id in flight twice). An answer
 * that is a JSON-RPC error fails the iteration.
 *
 * <ul>
 *   <li>{@code pipelined}: answers per second with {@code inFlight} requests in flight.
 *   <li>{@code sequential}: the round trip of one request at a time, in microseconds.
 * </ul>
 *
 * <p>Each measurement iteration also prints the CPU time per request of the gateway's JVM and of the
 * answerer, from {@code /proc/PID/stat} (10 ms ticks; iterations should be seconds long), and the
 * trial prints their average over the measurement iterations, with the gateway's thread wake-ups per
 * request (voluntary context switches summed over its threads, from {@code /proc/PID/task}).
 */
@Fork(3)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 5)
public class CommandHopBenchmark {

  static final int BATCH = TransportThroughputBenchmark.BATCH;

  // ---------------------------------------------------------------------------------------------

  /** Request lines with ids of their own: the bytes of {@link PipeBaselineBenchmark#line()} around them. */
  static final class RequestLines {
    private static final byte[] PREFIX = "{\"jsonrpc\":\"2.0\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private final byte[] suffix;
    private final byte[] digits = new byte[20];
    byte[] buffer;
    private long nextId = 1;

    RequestLines(int lines) {
      byte[] line = PipeBaselineBenchmark.line();
      byte[] head = Arrays.copyOf(PREFIX, PREFIX.length + 1);
      head[PREFIX.length] = '1';
      if (!Arrays.equals(Arrays.copyOf(line, head.length), head)
          || line[head.length] != ',') {
        throw new IllegalStateException("unexpected request line: " + new String(line, StandardCharsets.UTF_8));
      }
      suffix = Arrays.copyOfRange(line, head.length, line.length);
      buffer = new byte[lines * (PREFIX.length + digits.length + suffix.length)];
    }

    /** Writes {@code count} request lines into {@link #buffer}; returns their length in bytes. */
    int fill(int count) {
      int at = 0;
      for (int i = 0; i < count; i++) {
        System.arraycopy(PREFIX, 0, buffer, at, PREFIX.length);
        at += PREFIX.length;
        long id = nextId++;
        int n = 0;
        do {
          digits[n++] = (byte) ('0' + id % 10);
          id /= 10;
        } while (id > 0);
        while (n > 0) {
          buffer[at++] = digits[--n];
        }
        System.arraycopy(suffix, 0, buffer, at, suffix.length);
        at += suffix.length;
      }
      return at;
    }
  }

  /** Counts answer lines and, without parsing, the answers that are JSON-RPC errors. */
  static final class AnswerCounter {
    private static final byte[] ERROR = "\"error\"".getBytes(StandardCharsets.US_ASCII);
    private int matched;
    long lines;
    long errors;

    /** Counts the lines that end in {@code buffer[0..n)}; returns how many. */
    int count(byte[] buffer, int n) {
      int count = 0;
      for (int i = 0; i < n; i++) {
        byte b = buffer[i];
        if (b == '\n') {
          count++;
        }
        if (b == ERROR[matched]) {
          if (++matched == ERROR.length) {
            errors++;
            matched = 0;
          }
        } else {
          matched = b == '"' ? 1 : 0;
        }
      }
      lines += count;
      return count;
    }
  }

  /** The CPU time the peer's processes spend per request over iterations, printed as it goes. */
  static final class CpuPerRequest {
    private long gatewayStart;
    private long answererStart;
    private long switchesStart;
    private long requestsStart;
    private long gatewayTotal;
    private long answererTotal;
    private long switchesTotal;
    private long requestsTotal;

    void begin(HopPeer peer, long requests) {
      gatewayStart = peer.gatewayCpuNanos();
      answererStart = peer.answererCpuNanos();
      switchesStart = peer.gatewaySwitches();
      requestsStart = requests;
    }

    void end(HopPeer peer, long requests, IterationParams iteration) {
      long n = requests - requestsStart;
      long gateway = peer.gatewayCpuNanos() - gatewayStart;
      long answerer = peer.answererCpuNanos() - answererStart;
      long switches = peer.gatewaySwitches() - switchesStart;
      if (n <= 0) {
        return;
      }
      System.out.printf("%n# CPU per request: %s (%,d requests)%n",
          describe(gateway, answerer, switches, n, peer), n);
      if (iteration.getType() == IterationType.MEASUREMENT) {
        gatewayTotal += gateway;
        answererTotal += answerer;
        switchesTotal += switches;
        requestsTotal += n;
      }
    }

    void report(HopPeer peer) {
      if (requestsTotal > 0) {
        System.out.printf("# CPU per request, measurement iterations: %s (%,d requests)%n",
            describe(gatewayTotal, answererTotal, switchesTotal, requestsTotal, peer), requestsTotal);
      }
    }

    private static String describe(long gateway, long answerer, long switches, long n, HopPeer peer) {
      String answers = String.format("line_answer %.2f us", answerer / 1_000.0 / n);
      return peer.gateway == null ? answers
          : String.format("gateway %.2f us, %s; gateway thread wake-ups %.2f", gateway / 1_000.0 / n, answers,
              (double) switches / n);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** The sequential client: one request at a time. */
  @State(Scope.Benchmark)
  public static class SequentialHop {
    /**
     * {@code direct} (the answerer alone), {@code c-relay} (the floor of a process in the middle) or
     * {@code command} (the gateway in front of it).
     */
    @Param({"direct", "c-relay", "command"})
    public String peer;

    /** Which command: {@code current}, or {@code CLASSPATH@MAIN_CLASS}. */
    @Param({HopPeer.CURRENT})
    public String gateway;

    HopPeer upstream;
    OutputStream out;
    InputStream in;
    final RequestLines lines = new RequestLines(1);
    final byte[] buffer = new byte[64 * 1024];
    final AnswerCounter answers = new AnswerCounter();
    final CpuPerRequest cpu = new CpuPerRequest();

    /** Starts the peer, makes the handshake and primes it. */
    @Setup(Level.Trial)
    public void start() throws IOException, InterruptedException {
      upstream = HopPeer.start(peer, gateway);
      out = upstream.out;
      in = upstream.in;
      long start = System.nanoTime();
      for (int i = 0; i < Priming.PRIME_REQUESTS; i++) {
        roundTrip();
      }
      System.out.printf("# Primed with %,d sequential requests in %,d ms%n", Priming.PRIME_REQUESTS,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      checkAnswers();
    }

    /** One request out and its answer back; returns the number of bytes read. */
    int roundTrip() throws IOException {
      out.write(lines.buffer, 0, lines.fill(1));
      out.flush();
      int got = 0;
      while (true) {
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
          throw new IOException("the peer closed its stdout");
        }
        got += n;
        if (answers.count(buffer, n) > 0) {
          return got;
        }
      }
    }

    private void checkAnswers() {
      if (answers.errors > 0) {
        throw new IllegalStateException(answers.errors + " answers were JSON-RPC errors");
      }
    }

    @Setup(Level.Iteration)
    public void beginIteration() {
      cpu.begin(upstream, answers.lines);
    }

    @TearDown(Level.Iteration)
    public void endIteration(IterationParams iteration) {
      cpu.end(upstream, answers.lines, iteration);
      checkAnswers();
    }

    /** Ends the peer. */
    @TearDown(Level.Trial)
    public void close() {
      cpu.report(upstream);
      upstream.close();
    }
  }

  /** The pipelined client: a window of {@code inFlight} requests, refilled as answers come back. */
  @State(Scope.Benchmark)
  public static class PipelinedHop {
    @Param({"100"})
    public int inFlight;

    /**
     * {@code direct} (the answerer alone), {@code c-relay} (the floor of a process in the middle) or
     * {@code command} (the gateway in front of it).
     */
    @Param({"direct", "c-relay", "command"})
    public String peer;

    /** Which command: {@code current}, or {@code CLASSPATH@MAIN_CLASS}. */
    @Param({HopPeer.CURRENT})
    public String gateway;

    HopPeer upstream;
    OutputStream out;
    RequestLines lines;
    final AnswerCounter answers = new AnswerCounter();
    final AtomicLong received = new AtomicLong();
    final CpuPerRequest cpu = new CpuPerRequest();
    long sent;
    volatile @Nullable Thread writer;
    volatile boolean writerWaiting;
    volatile boolean ended;
    volatile @Nullable IOException readFailure;

    /** Starts the peer, makes the handshake, starts the reader thread and primes. */
    @Setup(Level.Trial)
    public void start() throws IOException, InterruptedException {
      lines = new RequestLines(inFlight);
      upstream = HopPeer.start(peer, gateway);
      out = upstream.out;
      Thread reader = new Thread(() -> read(upstream.in), "command-hop-reader");
      reader.setDaemon(true);
      reader.start();
      long start = System.nanoTime();
      roundTrips(Priming.PRIME_REQUESTS);
      drain();
      System.out.printf("# Primed with %,d requests, %d in flight, in %,d ms%n", Priming.PRIME_REQUESTS,
          inFlight, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }

    private void read(InputStream in) {
      byte[] buffer = new byte[64 * 1024];
      try {
        int n;
        while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
          if (answers.count(buffer, n) > 0) {
            received.set(answers.lines);
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

    /** Keeps the window full until {@code count} more answers have come back. */
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
          out.write(lines.buffer, 0, lines.fill(room));
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

    /** Waits until every request sent has been answered. */
    void drain() throws IOException {
      writer = Thread.currentThread();
      while (received.get() < sent) {
        checkAlive();
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
      }
      if (answers.errors > 0) {
        throw new IllegalStateException(answers.errors + " answers were JSON-RPC errors");
      }
    }

    private void checkAlive() throws IOException {
      if (ended) {
        IOException failure = readFailure;
        throw failure != null ? failure : new IOException("the peer closed its stdout");
      }
    }

    @Setup(Level.Iteration)
    public void beginIteration() {
      cpu.begin(upstream, received.get());
    }

    /** Drains the window, then notes the CPU time of the iteration. */
    @TearDown(Level.Iteration)
    public void endIteration(IterationParams iteration) throws IOException {
      drain();
      cpu.end(upstream, received.get(), iteration);
    }

    /** Ends the peer; the reader thread ends with its stdout. */
    @TearDown(Level.Trial)
    public void close() {
      cpu.report(upstream);
      upstream.close();
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Answers per second with {@code inFlight} requests in flight. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void pipelined(PipelinedHop hop) throws IOException {
    hop.roundTrips(BATCH);
  }

  /** The round trip of one request. */
  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public int sequential(SequentialHop hop) throws IOException {
    return hop.roundTrip();
  }
}
