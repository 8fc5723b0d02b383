package dev.gatekit.benchmarks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.util.thread.Invocable;
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
 * The HTTP engines under an MCP client, without the client: the same echo {@code tools/call} POSTed
 * with {@code inFlight} in flight to the same server as in {@link HttpTransportBenchmark} (chosen
 * with {@code server}), by {@code engine}:
 *
 * <ul>
 *   <li>{@code jdk}: the JDK's {@code java.net.http.HttpClient} over HTTP/1.1, run as {@code
 *       HttpTransport} runs its own (its work in place on its selector thread, the starts of
 *       exchanges on a fixed pool of two threads), bodies read with {@code ofByteArray};
 *   <li>{@code jetty-h1}: Jetty 12's {@code HttpClient} over HTTP/1.1 (up to 256 connections), its
 *       response listeners run on its pool (Jetty's default: each read wakes a pool thread);
 *   <li>{@code jetty-h1-nonblocking}: the same with the listeners declared non-blocking, so the
 *       selector thread runs them itself, as {@code HttpTransport} declares its own;
 *   <li>{@code jetty-h2c}: Jetty 12's {@code HttpClient} over HTTP/2 in clear text with prior
 *       knowledge (one connection, a stream per request);
 *   <li>{@code raw}: {@link RawHttpClient}, HTTP/1.1 on one selector thread at a few microseconds of
 *       CPU per exchange: near what the server alone can do, its floor.
 * </ul>
 *
 * <p>Each engine sends the same headers (the session's included) and the same bodies (each with an id
 * of its own), reads the whole answer and checks that it is HTTP 200 and holds the echoed text; no
 * JSON-RPC decoding, so what differs between engines is the engine. The handshake ({@code
 * initialize}, {@code notifications/initialized}) is made with the JDK client for every engine, then
 * {@value Priming#PRIME_REQUESTS} echo calls go through the engine before JMH's warmup. Use with
 * {@code -prof dev.gatekit.benchmarks.CpuProfiler} (the whole JVM's CPU per request) and {@code -prof
 * dev.gatekit.benchmarks.ServerCpuProfiler} (the server's own threads).
 */
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 4, time = 3)
public class HttpEngineBenchmark {

  static final int BATCH = 1_000;

  private static final String PROTOCOL_VERSION = "2025-06-18";
  private static final byte[] TEXT = McpCalls.TEXT.getBytes(StandardCharsets.UTF_8);

  /** One HTTP answer: its status, its {@code Mcp-Session-Id} (or null) and its body. */
  record Answer(int status, @Nullable String session, byte[] body) {}

  /** An HTTP engine that POSTs MCP messages to one endpoint. */
  interface Engine extends AutoCloseable {
    /** POSTs {@code body} with the session's headers (none when {@code session} is null). */
    CompletableFuture<Answer> post(byte[] body, @Nullable String session);

    @Override
    void close() throws Exception;
  }

  /** The server and an engine to it, in a session, primed. */
  @State(Scope.Benchmark)
  public static class Upstream {
    @Param({"lean", "sdk-json", "sdk-sse"})
    public String server;

    @Param({"jdk", "jetty-h1", "jetty-h1-nonblocking", "jetty-h2c", "raw"})
    public String engine;

    BenchmarkMcpServer upstream;
    Engine client;
    @Nullable String session;
    final AtomicLong ids = new AtomicLong(1);

    @Setup(Level.Trial)
    public void start() throws Exception {
      upstream = BenchmarkMcpServer.start(server);
      URI endpoint = URI.create(upstream.base() + "/mcp");
      try (JdkEngine handshake = new JdkEngine(endpoint)) {
        Answer initialized =
            handshake
                .post(
                    ("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\""
                            + PROTOCOL_VERSION
                            + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}")
                        .getBytes(StandardCharsets.UTF_8),
                    null)
                .get(30, TimeUnit.SECONDS);
        if (initialized.status() != 200) {
          throw new IllegalStateException("initialize: HTTP " + initialized.status());
        }
        session = initialized.session();
        Answer accepted =
            handshake
                .post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}".getBytes(StandardCharsets.UTF_8), session)
                .get(30, TimeUnit.SECONDS);
        if (accepted.status() / 100 != 2) {
          throw new IllegalStateException("notifications/initialized: HTTP " + accepted.status());
        }
      }
      client =
          switch (engine) {
            case "jdk" -> new JdkEngine(endpoint);
            case "jetty-h1" -> new JettyEngine(endpoint, false, false);
            case "jetty-h1-nonblocking" -> new JettyEngine(endpoint, false, true);
            case "jetty-h2c" -> new JettyEngine(endpoint, true, false);
            case "raw" -> new RawEngine(endpoint, 256);
            default ->
                throw new IllegalArgumentException(
                    "engine must be jdk, jetty-h1, jetty-h1-nonblocking, jetty-h2c or raw, was '" + engine + "'");
          };
      check(client.post(echo(), session).get(30, TimeUnit.SECONDS));
      Priming.prime(pump(Priming.PRIME_IN_FLIGHT));
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
      try {
        client.close();
      } finally {
        upstream.stop();
      }
    }

    /** The echo call, under a new id. */
    byte[] echo() {
      return ("{\"jsonrpc\":\"2.0\",\"id\":"
              + ids.incrementAndGet()
              + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\""
              + McpCalls.TEXT
              + "\"}}}")
          .getBytes(StandardCharsets.UTF_8);
    }

    /** Keeps {@code window} echo calls in flight through the engine. */
    Pump pump(int window) {
      return new Pump(window) {
        @Override
        protected void send() {
          client.post(echo(), session).whenComplete((answer, error) -> completed(error != null ? error : problem(answer)));
        }
      };
    }

    private static void check(Answer answer) {
      Throwable problem = problem(answer);
      if (problem != null) {
        throw new IllegalStateException(problem);
      }
    }

    private static @Nullable Throwable problem(Answer answer) {
      if (answer.status() != 200) {
        return new IllegalStateException("echo: HTTP " + answer.status());
      }
      return contains(answer.body(), TEXT) ? null : new IllegalStateException("echo: the text is not in the answer");
    }

    private static boolean contains(byte[] body, byte[] part) {
      outer:
      for (int i = 0; i + part.length <= body.length; i++) {
        for (int j = 0; j < part.length; j++) {
          if (body[i + j] != part[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    }
  }

  /** Keeps {@code inFlight} echo calls in flight through the engine. */
  @State(Scope.Thread)
  public static class Pipeline extends PumpState {
    @Param({"100"})
    public int inFlight;

    @Setup(Level.Iteration)
    public void start(Upstream upstream) {
      run(upstream.pump(inFlight));
    }
  }

  /** Requests per second through the engine with {@code inFlight} in flight. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public void enginePipelined(Pipeline pipeline) {
    pipeline.pump.awaitCompletions(BATCH);
  }

  // ---------------------------------------------------------------------------------------------
  // The engines

  private static final String ACCEPT = "application/json, text/event-stream";

  /** The JDK's client over HTTP/1.1, with {@code HttpTransport}'s executor arrangement. */
  static final class JdkEngine implements Engine {
    private static final ThreadLocal<Boolean> SENDING = ThreadLocal.withInitial(() -> Boolean.FALSE);

    private final URI endpoint;
    private final ExecutorService starts = Executors.newFixedThreadPool(2, daemon("engine-jdk-start"));
    private final HttpClient client;

    JdkEngine(URI endpoint) {
      this.endpoint = endpoint;
      this.client =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .executor(task -> {
                if (SENDING.get()) {
                  starts.execute(task);
                } else {
                  task.run();
                }
              })
              .build();
    }

    @Override
    public CompletableFuture<Answer> post(byte[] body, @Nullable String session) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(endpoint)
              .timeout(Duration.ofSeconds(60))
              .header("Content-Type", "application/json")
              .header("Accept", ACCEPT)
              .POST(HttpRequest.BodyPublishers.ofByteArray(body));
      if (session != null) {
        request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", PROTOCOL_VERSION);
      }
      CompletableFuture<Answer> answer = new CompletableFuture<>();
      SENDING.set(Boolean.TRUE);
      try {
        client
            .sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
            .whenComplete(
                (response, error) -> {
                  if (error != null) {
                    answer.completeExceptionally(error);
                  } else {
                    answer.complete(
                        new Answer(response.statusCode(), response.headers().firstValue("Mcp-Session-Id").orElse(null), response.body()));
                  }
                });
      } finally {
        SENDING.set(Boolean.FALSE);
      }
      return answer;
    }

    @Override
    public void close() {
      starts.shutdownNow();
    }
  }

  /**
   * Jetty 12's client, over HTTP/1.1 or over h2c with prior knowledge; with {@code nonBlocking}, its
   * listeners (which only complete a future) run on the selector thread.
   */
  static final class JettyEngine implements Engine {
    private final URI endpoint;
    private final org.eclipse.jetty.client.HttpClient client;

    JettyEngine(URI endpoint, boolean h2c, boolean nonBlocking) throws Exception {
      this.endpoint = endpoint;
      HttpClientTransport transport =
          h2c ? new HttpClientTransportOverHTTP2(new HTTP2Client()) : new HttpClientTransportOverHTTP(1);
      if (nonBlocking) {
        transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
      }
      this.client = new org.eclipse.jetty.client.HttpClient(transport);
      client.setMaxConnectionsPerDestination(256);
      client.setMaxRequestsQueuedPerDestination(4096);
      client.start();
    }

    @Override
    public CompletableFuture<Answer> post(byte[] body, @Nullable String session) {
      CompletableFuture<Answer> answer = new CompletableFuture<>();
      client
          .newRequest(endpoint)
          .method(HttpMethod.POST)
          .timeout(60, TimeUnit.SECONDS)
          .headers(
              headers -> {
                headers.put("Accept", ACCEPT);
                if (session != null) {
                  headers.put("Mcp-Session-Id", session);
                  headers.put("MCP-Protocol-Version", PROTOCOL_VERSION);
                }
              })
          .body(new BytesRequestContent("application/json", body))
          .send(
              new BufferingResponseListener(1 << 20) {
                @Override
                public void onComplete(Result result) {
                  if (result.isFailed()) {
                    answer.completeExceptionally(result.getFailure());
                  } else {
                    answer.complete(
                        new Answer(
                            result.getResponse().getStatus(),
                            result.getResponse().getHeaders().get("Mcp-Session-Id"),
                            getContent()));
                  }
                }
              });
      return answer;
    }

    @Override
    public void close() throws Exception {
      client.stop();
    }
  }

  /** {@link RawHttpClient} over a pool of keep-alive connections, each carrying one request at a time. */
  static final class RawEngine implements Engine {
    private final RawHttpClient client = new RawHttpClient();
    private final ConcurrentLinkedQueue<RawHttpClient.Connection> idle = new ConcurrentLinkedQueue<>();

    RawEngine(URI endpoint, int connections) throws Exception {
      List<RawHttpClient.Connection> opened = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        opened.add(client.connect(endpoint));
      }
      idle.addAll(opened);
    }

    @Override
    public CompletableFuture<Answer> post(byte[] body, @Nullable String session) {
      RawHttpClient.Connection connection = idle.poll();
      if (connection == null) {
        return CompletableFuture.failedFuture(new IllegalStateException("more requests in flight than connections"));
      }
      String headers =
          session == null ? "" : "Mcp-Session-Id: " + session + "\r\nMCP-Protocol-Version: " + PROTOCOL_VERSION + "\r\n";
      return connection
          .post(headers, body)
          .thenApply(
              raw -> {
                idle.add(connection);
                return new Answer(raw.status(), null, raw.body());
              });
    }

    @Override
    public void close() {
      client.close();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicLong count = new AtomicLong();
    return task -> {
      Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
