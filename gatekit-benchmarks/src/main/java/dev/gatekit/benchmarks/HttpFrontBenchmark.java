package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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
 * Many clients at once through an HTTP front (issue 15): {@code sessions} MCP sessions, each calling
 * {@code tools/call echo} one call after another (so {@code sessions} calls are in flight), against
 * the test kit's MCP server, one server process per session, through
 *
 * <ul>
 *   <li>{@code front=gatekit}: {@code gatekit --config FILE} with {@code proxy.transport: http}, a
 *       process of its own (this jar's class path), logging at warn;
 *   <li>{@code front=supergateway}: {@code supergateway --stdio CMD --outputTransport streamableHttp
 *       --stateful} (npm 4.0.0, pinned in {@code src/main/node}; {@code npm ci} there first), which
 *       also starts a server process per session, logging off;
 *   <li>{@code front=direct}: no gateway: one {@code StdioTransport} per session straight to its
 *       server process, the baseline for the latency a front adds.
 * </ul>
 *
 * <p>The HTTP client ({@code -p client=}) is {@link RawHttpClient} (default: keep-alive connections
 * on one selector thread) or {@code java.net.http}, doing the MCP POSTs ({@link HttpMcpSession}), the
 * same for both fronts. After the sessions are open, {@value Priming#PRIME_REQUESTS} calls are made
 * before JMH's warmup. Each iteration prints the front process's own CPU time per request (without
 * its upstream children) and its thread count. The score is requests per second; each trial also prints p50 and p99 of the
 * measured iterations' requests and the memory of idle sessions: the front process's resident set
 * before and after opening the sessions, divided by their number, and the resident set of one
 * server process. Find supergateway with {@code -jvmArgsAppend
 * -Dgatekit.benchmarks.supergateway=PATH/node_modules/supergateway/dist/index.js} when not run from
 * the repository root.
 *
 * <p>The benchmark's JVM runs with {@code java.util.concurrent.ForkJoinPool.common.parallelism=2}:
 * {@code java.net.http} completes every exchange on the common pool, which on two cores has one
 * thread and so starts a new thread per task; the load generator then used more CPU than the fronts
 * it measured (Gatekit 827 against 1,980 requests per second, same machine, same minute).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2")
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
public class HttpFrontBenchmark {

  /**
   * The JVM options of Gatekit's front process, separated by {@code ;} or spaces (JMH splits {@code
   * -jvmArgsAppend} at spaces): {@code -XX:+UseParallelGC} unless given, e.g. {@code
   * -jvmArgsAppend -Dgatekit.benchmarks.front.jvmArgs=-XX:+UseZGC} for a collector with sub-millisecond pauses.
   */
  static final String FRONT_JVM_ARGS_PROPERTY = "gatekit.benchmarks.front.jvmArgs";

  /** Calls per benchmark invocation. */
  static final int BATCH = 1_000;
  private static final Pattern ENDPOINT = Pattern.compile("serving MCP Streamable HTTP at (http://\\S+)");
  private static final String ECHO = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\","
      + "\"arguments\":{\"text\":\"" + McpCalls.TEXT + "\"}}}";

  @Param({"direct", "gatekit", "supergateway"})
  public String front;

  @Param({"100"})
  public int sessions;

  /**
   * The HTTP client: {@code raw} ({@link RawHttpClient}: keep-alive connections on one selector
   * thread, a few microseconds of CPU per call) or {@code jdk} ({@code java.net.http}, which at 100
   * sessions spent more CPU than the front it measured). The same for both fronts.
   */
  @Param({"raw"})
  public String client;

  /**
   * The upstream, one process per session: {@code test-server} (the test kit's Java MCP server) or
   * {@code line-answer} ({@code line_answer.c}, compiled with {@code cc -O2} at setup: answers every
   * request line at once; what the fronts cost when 100 upstream JVMs do not dominate).
   */
  @Param({"test-server"})
  public String upstream;

  /**
   * Requests per second offered over all sessions. {@code 0} (the default) is a closed loop: each
   * session sends its next call as soon as the previous one is answered, so the score is the front's
   * throughput and the latencies are those of a saturated front (by Little's law, sessions divided by
   * throughput: a slower front has a longer p99 whatever it adds per call). With a rate, calls are
   * due every {@code 1 / rate} seconds, to the sessions in turn (each session every {@code sessions /
   * rate} seconds); a call due while its session's previous call is still out is sent as soon as that
   * one is answered, and every latency counts from when its call was due, so a front that falls
   * behind shows it in its latencies instead of hiding it by sending less. The score is then the rate
   * carried, and p50 and p99 are what the run is for: what a front adds at a load that it and the
   * direct peer both carry. The trial is primed in a closed loop first, as without a rate.
   */
  @Param({"0"})
  public int rate;

  private final List<Supplier<CompletableFuture<?>>> calls = new ArrayList<>();
  private final List<StdioTransport> transports = new ArrayList<>();
  private final List<HttpMcpSession> httpSessions = new ArrayList<>();
  private final Semaphore completions = new Semaphore(0);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final LatencyHistogram measured = new LatencyHistogram();
  private volatile LatencyHistogram iteration = new LatencyHistogram();
  private volatile boolean running;
  /** Whether an answered call sends its session's next at once (the closed loop, and priming). */
  private volatile boolean closedLoop = true;
  private @Nullable Thread pacer;
  private final AtomicLong answered = new AtomicLong();
  private @Nullable RawHttpClient rawClient;
  private Process gateway;
  private Path work;
  private String memory = "";
  private long frontCpuStart;
  private int threadsBefore;
  private long answeredStart;

  @Setup(Level.Trial)
  public void start() throws Exception {
    try {
      open();
    } catch (Throwable e) {
      // JMH runs no teardown after a failed setup: leave no front and no 100 servers behind.
      running = false;
      closeEverything();
      throw e;
    }
  }

  private void open() throws Exception {
    work = Files.createTempDirectory("gatekit-http-front");
    List<String> server = switch (upstream) {
      case "test-server" -> TestServer.command();
      case "line-answer" -> List.of(HopPeer.compile(work).toString());
      default -> throw new IllegalArgumentException("upstream is test-server or line-answer, not " + upstream);
    };
    URI endpoint = switch (front) {
      case "direct" -> null;
      case "gatekit" -> startGatekit(server);
      case "supergateway" -> startSupergateway(server);
      default -> throw new IllegalArgumentException("front is direct, gatekit or supergateway, not " + front);
    };
    long before = gateway == null ? 0 : rssKiB(gateway.pid());
    threadsBefore = gateway == null ? 0 : threads(gateway.pid());
    HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    rawClient = switch (client) {
      case "raw" -> new RawHttpClient();
      case "jdk" -> null;
      default -> throw new IllegalArgumentException("client is raw or jdk, not " + client);
    };
    ExecutorService opener = Executors.newFixedThreadPool(4);
    try {
      List<Future<Supplier<CompletableFuture<?>>>> opened = new ArrayList<>();
      for (int i = 0; i < sessions; i++) {
        opened.add(opener.submit(() -> endpoint == null ? openDirect(server) : openHttp(jdk, endpoint)));
      }
      for (Future<Supplier<CompletableFuture<?>>> session : opened) {
        calls.add(session.get(5, TimeUnit.MINUTES));
      }
    } finally {
      opener.shutdownNow();
    }
    memory = memory(before);
    running = true;
    for (Supplier<CompletableFuture<?>> call : calls) {
      next(call);
    }
    // Priming: the front's JVM (started fresh for the trial) has compiled its way before JMH's warmup.
    long primeStart = System.nanoTime();
    while (!completions.tryAcquire(Priming.PRIME_REQUESTS, 1, TimeUnit.SECONDS)) {
      if (failure.get() != null) {
        throw new IllegalStateException("a call failed while priming", failure.get());
      }
    }
    System.out.printf("# Primed with %,d requests in %,d ms%n", Priming.PRIME_REQUESTS,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - primeStart));
    if (rate > 0) {
      startPacing();
    }
  }

  /** Ends the closed loop, waits for its last calls, then offers {@link #rate} calls per second. */
  private void startPacing() throws InterruptedException {
    closedLoop = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10); // the closed loop's last calls are answered
    }
    completions.drainPermits();
    List<PacedSession> paced = calls.stream().map(PacedSession::new).toList();
    long period = TimeUnit.SECONDS.toNanos(1) / rate;
    Thread thread = new Thread(() -> {
      long start = System.nanoTime();
      for (long k = 0; running; k++) {
        long due = start + k * period;
        long wait;
        while ((wait = due - System.nanoTime()) > 0 && running) {
          LockSupport.parkNanos(wait);
        }
        paced.get((int) (k % paced.size())).due(due);
      }
    }, "http-front-pacer");
    thread.setDaemon(true);
    pacer = thread;
    thread.start();
    System.out.printf("# Offering %,d calls per second, one session every %,d us%n", rate, period / 1_000);
  }

  /**
   * One session under a fixed rate: its calls are sent one at a time, each at its due time or, when
   * the previous one is still out then, as soon as that one is answered; latencies count from the due
   * time.
   */
  private final class PacedSession {
    private final Supplier<CompletableFuture<?>> call;
    private final ArrayDeque<Long> waiting = new ArrayDeque<>();
    private boolean busy;

    PacedSession(Supplier<CompletableFuture<?>> call) {
      this.call = call;
    }

    void due(long dueNanos) {
      synchronized (this) {
        if (busy) {
          waiting.add(dueNanos);
          return;
        }
        busy = true;
      }
      send(dueNanos);
    }

    private void send(long dueNanos) {
      inFlight.incrementAndGet();
      call.get().whenComplete((answer, error) -> {
        answered(dueNanos, error);
        Long next;
        synchronized (this) {
          next = running ? waiting.poll() : null;
          busy = next != null;
        }
        if (next != null) {
          send(next);
        }
      });
    }
  }

  /** Records an answered (or failed) call sent, or due, at {@code sentNanos}. */
  private void answered(long sentNanos, @Nullable Throwable error) {
    iteration.record(System.nanoTime() - sentNanos);
    answered.incrementAndGet();
    inFlight.decrementAndGet();
    if (error != null) {
      failure.compareAndSet(null, error);
      running = false;
    }
    completions.release();
  }

  private Supplier<CompletableFuture<?>> openDirect(List<String> server) {
    StdioTransport transport = StdioTransport.builder(server).name("test-server").options(TestServerTransport.options()).build();
    synchronized (transports) {
      transports.add(transport);
    }
    transport.start();
    Caller caller = Caller.of(transport);
    McpCalls.handshake(caller);
    JsonRpcRequest echo = McpCalls.echo();
    return () -> caller.call(echo).thenApply(HttpFrontBenchmark::checked);
  }

  private Supplier<CompletableFuture<?>> openHttp(HttpClient client, URI endpoint) throws IOException, InterruptedException {
    RawHttpClient raw = rawClient;
    HttpMcpSession session = new HttpMcpSession(client, endpoint, raw == null ? null : raw.connect(endpoint));
    synchronized (httpSessions) {
      httpSessions.add(session);
    }
    session.initialize();
    return () -> session.call(ECHO).thenApply(answer -> {
      if (!McpCalls.TEXT.equals(answer.path("result").path("content").path(0).path("text").asText())) {
        throw new IllegalStateException("echo did not answer with its text: " + answer);
      }
      return answer;
    });
  }

  private static JsonRpcResponse checked(JsonRpcResponse response) {
    McpCalls.checkEcho(response);
    return response;
  }

  /** Sends the session's next call; its completion records the latency and sends the one after. */
  private void next(Supplier<CompletableFuture<?>> call) {
    if (!running || !closedLoop) {
      return;
    }
    inFlight.incrementAndGet();
    long sent = System.nanoTime();
    call.get().whenComplete((answer, error) -> {
      answered(sent, error);
      next(call);
    });
  }

  @Setup(Level.Iteration)
  public void startIteration() {
    iteration = new LatencyHistogram();
    answeredStart = answered.get();
    frontCpuStart = gateway == null ? 0 : cpuNanos(gateway.toHandle());
  }

  @TearDown(Level.Iteration)
  public void endIteration(IterationParams params) {
    if (params.getType() == IterationType.MEASUREMENT) {
      measured.add(iteration);
    }
    long requests = Math.max(1, answered.get() - answeredStart);
    if (gateway != null) {
      // The front's own process, without its upstream children: what the gateway costs per request.
      System.out.printf(" [front CPU %.1f us/request, %d threads]", (cpuNanos(gateway.toHandle()) - frontCpuStart) / 1e3 / requests,
          threads(gateway.pid()));
    }
  }

  /** The CPU time a process has used (its own, not its children's), in ns; 0 where unknown. */
  private static long cpuNanos(ProcessHandle process) {
    return process.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
  }

  /** The number of threads of a process, from /proc (0 where there is none). */
  static int threads(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("Threads:")) {
          return Integer.parseInt(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | UncheckedIOException | NumberFormatException e) {
      // not Linux, or gone
    }
    return 0;
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void toolsCall() throws Exception {
    while (!completions.tryAcquire(BATCH, 1, TimeUnit.SECONDS)) {
      Throwable problem = failure.get();
      if (problem != null) {
        throw new IllegalStateException("a call failed", problem);
      }
    }
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    running = false;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (inFlight.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10); // the last calls of the sessions are answered
    }
    Thread pacing = pacer;
    if (pacing != null) {
      pacing.join(TimeUnit.SECONDS.toMillis(10));
    }
    System.out.printf("%nHttpFrontBenchmark front=%s sessions=%d upstream=%s rate=%s: p50 %d us, p99 %d us over %d measured requests; %s%n",
        front, sessions, upstream, rate == 0 ? "closed loop" : rate + "/s", measured.percentileMicros(0.50),
        measured.percentileMicros(0.99), measured.count(), memory);
    CpuProfiler.noteUpstreams();
    closeEverything();
    Throwable problem = failure.get();
    if (problem != null) {
      throw new IllegalStateException("a call failed", problem);
    }
  }

  /** Closes the sessions, the client and the front, and ends every process the trial started. */
  private void closeEverything() throws InterruptedException {
    synchronized (httpSessions) {
      httpSessions.forEach(HttpMcpSession::close);
    }
    RawHttpClient raw = rawClient;
    if (raw != null) {
      raw.close();
    }
    synchronized (transports) {
      transports.forEach(StdioTransport::close);
    }
    Process front = gateway;
    if (front != null) {
      List<ProcessHandle> children = front.descendants().toList();
      front.destroy();
      if (!front.waitFor(60, TimeUnit.SECONDS)) {
        front.destroyForcibly();
      }
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

    private URI startGatekit(List<String> server) throws Exception {
    Path config = work.resolve("gatekit.yaml");
    Files.writeString(config, "proxy:\n  transport: http\n  http: {host: 127.0.0.1, port: 0, max_sessions: " + (sessions + 10) + "}\n"
        + "  upstreams:\n    - name: kit\n      command: [" + server.stream().map(HttpFrontBenchmark::yamlQuoted)
        .collect(Collectors.joining(", ")) + "]\n  max_requests_in_flight: 1000\n");
    Path err = work.resolve("gatekit.err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(List.of(System.getProperty(FRONT_JVM_ARGS_PROPERTY, "-XX:+UseParallelGC").strip().split("[;\\s]+")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"),
        "dev.gatekit.cli.GatekitCommand", "--config", config.toString(), "--log-level", "warn"));
    gateway = new ProcessBuilder(command)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher matcher = ENDPOINT.matcher(Files.readString(err));
      if (matcher.find()) {
        return URI.create(matcher.group(1));
      }
      if (!gateway.isAlive()) {
        break;
      }
      Thread.sleep(20); // polling for the line that says it listens
    }
    throw new IllegalStateException("gatekit did not start listening: " + Files.readString(err));
  }

  private URI startSupergateway(List<String> server) throws Exception {
    Path script = Path.of(System.getProperty("gatekit.benchmarks.supergateway",
        "gatekit-benchmarks/src/main/node/node_modules/supergateway/dist/index.js"));
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException("supergateway is not installed at " + script.toAbsolutePath()
          + ": run npm ci in gatekit-benchmarks/src/main/node, or give -Dgatekit.benchmarks.supergateway=PATH");
    }
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    String command = server.stream().map(HttpFrontBenchmark::shellQuoted).collect(Collectors.joining(" "));
    gateway = new ProcessBuilder("node", script.toString(), "--stdio", command, "--outputTransport", "streamableHttp",
        "--stateful", "--port", Integer.toString(port), "--logLevel", "none")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(work.resolve("supergateway.err").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && gateway.isAlive()) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return URI.create("http://127.0.0.1:" + port + "/mcp");
      } catch (IOException notYet) {
        Thread.sleep(20); // polling for the port
      }
    }
    throw new IllegalStateException("supergateway did not start listening: " + Files.readString(work.resolve("supergateway.err")));
  }

  /** The memory line: the front's growth per idle session, and one server process. */
  private String memory(long frontBefore) {
    ProcessHandle parent = gateway != null ? gateway.toHandle() : ProcessHandle.current();
    // The server JVMs themselves, not a shell that started one (supergateway spawns through one).
    List<Long> servers = parent.descendants()
        .filter(p -> p.info().command().orElse("").endsWith("java") && p.info().commandLine().orElse("").contains("TestMcpServer")
            || p.info().command().orElse("").endsWith("line_answer"))
        .map(p -> rssKiB(p.pid())).toList();
    long serverAverage = servers.isEmpty() ? 0 : servers.stream().mapToLong(Long::longValue).sum() / servers.size();
    String front = gateway == null ? "no front"
        : String.format("front RSS %d MiB -> %d MiB, %.1f KiB per idle session", frontBefore / 1024, rssKiB(gateway.pid()) / 1024,
            (rssKiB(gateway.pid()) - frontBefore) / (double) sessions)
        + String.format(", threads %d -> %d, %.2f per idle session", threadsBefore, threads(gateway.pid()),
            (threads(gateway.pid()) - threadsBefore) / (double) sessions);
    return front + String.format("; %d server processes, %d KiB RSS each", servers.size(), serverAverage);
  }

  /** The resident set of a process, in KiB, from /proc (0 where there is none). */
  private static long rssKiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | UncheckedIOException | NumberFormatException e) {
      // not Linux, or gone
    }
    return 0;
  }

  private static String yamlQuoted(String word) {
    return "'" + word.replace("'", "''") + "'";
  }

  private static String shellQuoted(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
