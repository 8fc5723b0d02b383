package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out, for real: two {@code gatekit --http} processes (the packaged jar, the test kit's MCP
 * server as their upstream, one upstream process per session) behind HAProxy (the Debian package,
 * configured here): new sessions are spread round robin, every later request of a session sticks to
 * the replica that created it (a stick-table on the {@code Mcp-Session-Id} response and request
 * header), and when a replica dies its sessions get a clean 404 from the other one, where they
 * initialize again. Skipped where HAProxy is not installed ({@code .ci/run} installs it).
 *
 * <p>What shows where a request went: HAProxy names the server that answered in a response header
 * ({@code X-Gatekit-Replica}); the gateways show it themselves, since a replica that does not know a
 * session answers 404 (so every request answered 200 reached the replica that holds the session),
 * and each replica runs one upstream process per session it holds.
 */
class ScaleOutIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ENDPOINT = Pattern.compile(Pattern.quote(HttpServe.LISTENING) + "(http://\\S+)");
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int SESSIONS = 6;
  private static final int CALLS_PER_SESSION = 5;

  private static Path jar;
  private static String java;
  private static Path haproxy;

  @TempDir Path dir;

  private final List<Process> processes = new ArrayList<>();
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private URI endpoint;

  @BeforeAll
  static void findTools() {
    haproxy = findHaproxy().orElse(null);
    Assumptions.assumeTrue(haproxy != null,
        "HAProxy is not installed (Debian package haproxy; .ci/run installs it): the scale-out test needs a real load balancer");
    jar = Path.of(System.getProperty("gatekit.cliJar", "gatekit-cli/target/gatekit.jar"));
    assertThat(jar).exists();
    java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static Optional<Path> findHaproxy() {
    List<Path> candidates = new ArrayList<>(List.of(Path.of("/usr/sbin/haproxy"), Path.of("/usr/local/sbin/haproxy")));
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!folder.isEmpty()) {
        candidates.add(Path.of(folder, "haproxy"));
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (Process process : processes) {
      process.destroy();
    }
    for (Process process : processes) {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
  }

  @Test
  void sessionsSpreadOverBothReplicasStickToTheirsAndReinitializeOnTheOtherWhenOneDies() throws Exception {
    Process a = startGateway("a");
    Process b = startGateway("b");
    URI endpointA = endpointOf("a", a);
    URI endpointB = endpointOf("b", b);
    endpoint = startHaproxy(endpointA, endpointB);

    // New sessions go round robin: both replicas get some.
    Map<String, String> replicaOf = new LinkedHashMap<>();
    for (int i = 0; i < SESSIONS; i++) {
      Initialized session = initialize();
      replicaOf.put(session.id(), session.replica());
    }
    assertThat(replicaOf.values()).as("replicas of the sessions").contains("a", "b");
    long onA = replicaOf.values().stream().filter("a"::equals).count();
    long onB = SESSIONS - onA;

    // Every request of a session goes to its replica: HAProxy says so, and the other replica would
    // have answered 404. Each replica runs one upstream process per session it holds.
    for (int round = 0; round < CALLS_PER_SESSION; round++) {
      for (Map.Entry<String, String> session : replicaOf.entrySet()) {
        HttpResponse<String> answer = post(session.getKey(), call(round, "echo", "{\"text\":\"" + session.getKey() + "-" + round + "\"}"));
        assertThat(answer.statusCode()).as("call %d of session %s: %s", round, session.getKey(), answer.body()).isEqualTo(200);
        assertThat(replica(answer)).as("replica of a call of session %s", session.getKey()).isEqualTo(session.getValue());
        assertThat(McpHttpAnswer.message(answer).path("result").path("content").get(0).path("text").asText())
            .isEqualTo(session.getKey() + "-" + round);
      }
    }
    waitFor(() -> upstreams(a) == onA && upstreams(b) == onB,
        () -> "one upstream process per session: a has " + upstreams(a) + " for " + onA + ", b has " + upstreams(b) + " for " + onB);

    // Replica a dies. Its sessions get 404 (from b, which never knew them), then start again on b.
    List<ProcessHandle> upstreamsOfA = a.descendants().toList();
    a.destroyForcibly();
    assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
    for (ProcessHandle upstream : upstreamsOfA) {
      assertThat(upstream.onExit().get(30, TimeUnit.SECONDS).isAlive()).as("an upstream of the dead replica ends").isFalse();
    }
    int reinitialized = 0;
    for (Map.Entry<String, String> session : replicaOf.entrySet()) {
      HttpResponse<String> answer = post(session.getKey(), call(99, "echo", "{\"text\":\"after\"}"));
      if (session.getValue().equals("b")) {
        assertThat(answer.statusCode()).as("a session of the live replica: %s", answer.body()).isEqualTo(200);
        assertThat(replica(answer)).isEqualTo("b");
        continue;
      }
      assertThat(answer.statusCode()).as("a session of the dead replica: %s", answer.body()).isEqualTo(404);
      assertThat(replica(answer)).isEqualTo("b");
      assertThat(JSON.readTree(answer.body()).path("error").path("code").isInt()).as("a JSON-RPC error: " + answer.body()).isTrue();
      Initialized again = initialize();
      assertThat(again.replica()).isEqualTo("b");
      HttpResponse<String> retried = post(again.id(), call(100, "echo", "{\"text\":\"again\"}"));
      assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
      assertThat(replica(retried)).isEqualTo("b");
      assertThat(McpHttpAnswer.message(retried).path("result").path("content").get(0).path("text").asText()).isEqualTo("again");
      reinitialized++;
    }
    assertThat(reinitialized).isEqualTo(onA);
    long expectedOnB = onB + onA;
    waitFor(() -> upstreams(b) == expectedOnB, () -> "b runs an upstream per session: " + upstreams(b) + " for " + expectedOnB);
  }

  /** A session created through the load balancer: its id and the replica that holds it. */
  private record Initialized(String id, String replica) {}

  private Initialized initialize() throws Exception {
    HttpResponse<String> answer = post(null, """
        {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},
        "clientInfo":{"name":"scale-out-it","version":"1"}}}""");
    assertThat(answer.statusCode()).as("initialize: " + answer.body()).isEqualTo(200);
    String id = answer.headers().firstValue("Mcp-Session-Id").orElseThrow(() -> new AssertionError("no Mcp-Session-Id"));
    assertThat(McpHttpAnswer.message(answer).path("result").path("protocolVersion").asText()).isEqualTo("2025-06-18");
    HttpResponse<String> initialized = post(id, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
    assertThat(initialized.statusCode()).as("notifications/initialized: " + initialized.body()).isEqualTo(202);
    String replica = replica(answer);
    assertThat(replica(initialized)).isEqualTo(replica);
    return new Initialized(id, replica);
  }

  private static String call(int id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "}}";
  }

  private HttpResponse<String> post(String session, String body) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (session != null) {
      request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-06-18");
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }


  /** Which server HAProxy sent the request to. */
  private static String replica(HttpResponse<String> answer) {
    return answer.headers().firstValue("X-Gatekit-Replica").orElseThrow(() -> new AssertionError("no X-Gatekit-Replica"));
  }

  private static long upstreams(Process gateway) {
    return gateway.descendants().filter(p -> p.info().commandLine().orElse("").contains("TestMcpServer")).count();
  }

  private Process startGateway(String name) throws IOException {
    Path config = dir.resolve(name + ".yaml");
    Files.writeString(config, """
        proxy:
          transport: http
          http: {host: 127.0.0.1, port: 0, max_sessions: 50}
          upstreams:
            - name: kit
              command: '"%s" -cp "%s" dev.gatekit.testkit.server.TestMcpServer'
          timeouts: {request_seconds: 30}
        """.formatted(java, jar));
    Process process = new ProcessBuilder(java, "-jar", jar.toString(), "--config", config.toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(dir.resolve(name + ".out").toFile())
        .redirectError(dir.resolve(name + ".err").toFile())
        .start();
    processes.add(process);
    return process;
  }

  /** Waits for the line that says where the gateway listens. */
  private URI endpointOf(String name, Process gateway) throws Exception {
    Path err = dir.resolve(name + ".err");
    URI[] found = new URI[1];
    waitFor(() -> {
      assertThat(gateway.isAlive()).as("gateway " + name + " runs; its stderr:\n" + read(err)).isTrue();
      try {
        Matcher matcher = ENDPOINT.matcher(Files.readString(err));
        if (matcher.find()) {
          found[0] = URI.create(matcher.group(1));
        }
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return found[0] != null;
    }, () -> "gateway " + name + " listening; its stderr:\n" + read(err));
    return found[0];
  }

  private URI startHaproxy(URI a, URI b) throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Path config = dir.resolve("haproxy.cfg");
    Files.writeString(config, """
        global
          maxconn 256
        defaults
          mode http
          timeout connect 500ms
          timeout client 60s
          timeout server 60s
          # A request for a dead replica is retried, then sent to another server.
          retries 2
          option redispatch
        frontend mcp
          bind 127.0.0.1:%d
          default_backend gateways
        backend gateways
          # New sessions round robin; a session's requests to the server that created it.
          balance roundrobin
          stick-table type string len 128 size 100k expire 30m
          stick on req.hdr(Mcp-Session-Id)
          stick store-response res.hdr(Mcp-Session-Id)
          http-response set-header X-Gatekit-Replica %%[srv_name]
          server a %s:%d check inter 500ms fall 1 rise 1
          server b %s:%d check inter 500ms fall 1 rise 1
        """.formatted(port, a.getHost(), a.getPort(), b.getHost(), b.getPort()));
    Process process = new ProcessBuilder(haproxy.toString(), "-db", "-f", config.toString())
        .redirectOutput(dir.resolve("haproxy.out").toFile())
        .redirectError(dir.resolve("haproxy.err").toFile())
        .start();
    processes.add(process);
    waitFor(() -> {
      assertThat(process.isAlive()).as("haproxy runs; its stderr:\n" + read(dir.resolve("haproxy.err"))).isTrue();
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return true;
      } catch (IOException e) {
        return false;
      }
    }, () -> "haproxy listening on " + port + "; its stderr:\n" + read(dir.resolve("haproxy.err")));
    return URI.create("http://127.0.0.1:" + port + a.getPath());
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "(none)";
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static void waitFor(BooleanSupplier condition, java.util.function.Supplier<String> what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what.get());
      }
      Thread.sleep(50); // polling a condition, with a deadline
    }
  }
}
