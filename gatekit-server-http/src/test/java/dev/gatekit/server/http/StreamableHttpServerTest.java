package dev.gatekit.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.TransportState;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The front's protocol over real sockets with a raw HTTP client, in front of in-memory upstreams
 * (one per session): how answers travel (JSON or SSE), the GET stream, resumption, sessions' ends.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamableHttpServerTest {

  private final MockUpstreams upstreams = new MockUpstreams();
  private StreamableHttpServer server;
  private Http http;

  private void start(StreamableHttpServer.Builder builder) {
    server = builder.build();
    server.start();
    http = new Http(server.endpoint());
  }

  private void start() {
    start(StreamableHttpServer.builder(upstreams.proxy));
  }

  @AfterEach
  void close() {
    upstreams.release();
    if (server != null) {
      server.close();
    }
    upstreams.close();
  }

  @Test
  void initializeGivesASecureSessionIdAndAToolCallIsAnsweredAsJson() {
    start();
    assertThat(server.endpoint().toString()).startsWith("http://127.0.0.1:").endsWith("/mcp");
    HttpResponse<String> init = http.post(null, Http.initializeRequest(1));
    assertThat(init.statusCode()).isEqualTo(200);
    assertThat(init.headers().firstValue("Content-Type")).hasValue("application/json");
    String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertThat(session).matches("[A-Za-z0-9_-]{43}");
    assertThat(Http.json(init.body()).path("result").path("serverInfo").path("name").asText()).isEqualTo("mock");

    assertThat(http.post(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").statusCode())
        .isEqualTo(202);
    HttpResponse<String> call = http.post(session, Http.toolCall(7, "echo", null));
    assertThat(call.statusCode()).isEqualTo(200);
    assertThat(call.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(Http.json(call.body()).path("id").asInt()).isEqualTo(7);
    assertThat(call.body()).contains("echo {}");
    assertThat(server.sessionCount()).isEqualTo(1);
    assertThat(http.initialize()).isNotEqualTo(session);
    assertThat(server.sessionCount()).isEqualTo(2);
    assertThat(upstreams.upstreams).hasSize(2);
  }

  @Test
  void progressBeforeTheAnswerTurnsThePostIntoAnEventStream() {
    start();
    String session = http.initialize();
    try (Http.Sse stream = http.stream("POST", Http.toolCall(3, "progress", "tok-1"), Http.postHeaders(session))) {
      assertThat(stream.response.statusCode()).isEqualTo(200);
      assertThat(stream.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      Http.Event progress = stream.next();
      assertThat(progress.data().path("method").asText()).isEqualTo("notifications/progress");
      assertThat(progress.data().path("params").path("progressToken").asText()).isEqualTo("tok-1");
      assertThat(progress.id()).matches("[0-9]+-1");
      Http.Event log = stream.next(); // no GET stream open: the log message rides on the open POST
      assertThat(log.data().path("method").asText()).isEqualTo("notifications/message");
      upstreams.release();
      Http.Event answer = stream.next();
      assertThat(answer.data().path("id").asInt()).isEqualTo(3);
      assertThat(answer.data().toString()).contains("progress done");
      assertThat(stream.next()).isNull(); // the answer ends the stream
    }
  }

  @Test
  void aClientThatAcceptsOnlyJsonGetsJsonAndItsNotificationsWaitForTheGetStream() {
    start();
    String session = http.initialize();
    Map<String, String> jsonOnly = Http.postHeaders(session);
    jsonOnly.put("Accept", "application/json");
    CompletableFuture<HttpResponse<String>> call =
        CompletableFuture.supplyAsync(() -> http.send("POST", Http.toolCall(4, "progress", "tok-2"), jsonOnly));
    awaitTrue(() -> upstreams.upstreams.get(0).requests().stream().anyMatch(r -> r.method().equals("tools/call")));
    upstreams.release();
    HttpResponse<String> answer = call.join();
    assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(answer.body()).contains("progress done");
    try (Http.Sse get = http.stream("GET", null, Map.of("Accept", "text/event-stream", "Mcp-Session-Id", session))) {
      assertThat(get.response.statusCode()).isEqualTo(200);
      assertThat(get.next().data().path("method").asText()).isEqualTo("notifications/progress");
      assertThat(get.next().data().path("method").asText()).isEqualTo("notifications/message");
    }
  }

  @Test
  void theGetStreamCarriesUnrelatedMessagesOneAtATimeAndResumesAfterADrop() {
    start();
    String session = http.initialize();
    Map<String, String> get = Map.of("Accept", "text/event-stream", "Mcp-Session-Id", session);
    String lastId;
    try (Http.Sse stream = http.stream("GET", null, get)) {
      assertThat(stream.response.statusCode()).isEqualTo(200);
      HttpResponse<String> second = http.send("GET", null, get);
      assertThat(second.statusCode()).isEqualTo(409);
      assertThat(Http.json(second.body()).path("error").path("code").asInt()).isEqualTo(-32600);

      assertThat(http.post(session, Http.toolCall(5, "log", null)).body()).contains("log done");
      Http.Event event = stream.next();
      assertThat(event.data().path("params").path("data").asText()).isEqualTo("logged");
      assertThat(event.id()).isEqualTo("0-1");
      lastId = event.id();
    } // dropped
    // Sent while the client is away (the server may not know yet): kept for the client.
    assertThat(http.post(session, Http.toolCall(6, "log", null)).body()).contains("log done");
    Map<String, String> resume = new java.util.HashMap<>(get);
    resume.put("Last-Event-ID", lastId);
    try (Http.Sse stream = http.stream("GET", null, resume)) {
      assertThat(stream.response.statusCode()).isEqualTo(200);
      Http.Event missed = stream.next();
      assertThat(missed.id()).isEqualTo("0-2");
      assertThat(missed.data().path("params").path("data").asText()).isEqualTo("logged");
    }
  }

  @Test
  void thePostStreamOfARequestWhoseConnectionDroppedStillDeliversItsAnswer() {
    start();
    String session = http.initialize();
    List<String> methods = new java.util.ArrayList<>();
    String firstId;
    try (Http.Sse stream = http.stream("POST", Http.toolCall(8, "progress", "tok-3"), Http.postHeaders(session))) {
      Http.Event first = stream.next();
      firstId = first.id();
      methods.add(first.data().path("method").asText());
    } // dropped before the answer
    upstreams.release();
    awaitTrue(() -> upstreams.upstreams.get(0).stats().inFlight() == 0);
    Map<String, String> resume =
        Map.of("Accept", "text/event-stream", "Mcp-Session-Id", session, "Last-Event-ID", firstId);
    try (Http.Sse stream = http.stream("GET", null, resume)) {
      assertThat(stream.response.statusCode()).isEqualTo(200);
      Http.Event answer = stream.next();
      while (answer.data().has("method")) { // the log message, unless it came after the answer
        methods.add(answer.data().path("method").asText());
        answer = stream.next();
      }
      assertThat(methods).contains("notifications/progress");
      assertThat(answer.data().path("id").asInt()).isEqualTo(8);
      assertThat(answer.data().toString()).contains("progress done");
      assertThat(stream.next()).isNull();
    }
  }

  @Test
  void deleteEndsTheSessionAndItsUpstream() {
    start();
    String session = http.initialize();
    HttpResponse<String> delete = http.send("DELETE", null, Map.of("Mcp-Session-Id", session));
    assertThat(delete.statusCode()).isEqualTo(204);
    assertThat(server.sessionCount()).isZero();
    assertThat(upstreams.upstreams.get(0).state()).isEqualTo(TransportState.CLOSED);
    HttpResponse<String> after = http.post(session, Http.toolCall(9, "echo", null));
    assertThat(after.statusCode()).isEqualTo(404);
    assertThat(Http.json(after.body()).path("error").path("message").asText()).contains("Session not found");
  }

  @Test
  void anIdleSessionExpiresAndItsUpstreamStops() {
    start(StreamableHttpServer.builder(upstreams.proxy).sessionIdleTimeout(Duration.ofMillis(300)));
    String session = http.initialize();
    awaitTrue(() -> server.sessionCount() == 0);
    assertThat(upstreams.running()).isZero();
    assertThat(http.post(session, Http.toolCall(2, "echo", null)).statusCode()).isEqualTo(404);
    assertThat(http.initialize()).isNotEqualTo(session);
  }

  @Test
  void aRequestInFlightKeepsItsSessionFromExpiring() {
    start(StreamableHttpServer.builder(upstreams.proxy).sessionIdleTimeout(Duration.ofSeconds(1)));
    String session = http.initialize();
    Map<String, String> jsonOnly = Http.postHeaders(session);
    jsonOnly.put("Accept", "application/json");
    CompletableFuture<HttpResponse<String>> call =
        CompletableFuture.supplyAsync(() -> http.send("POST", Http.toolCall(4, "progress", null), jsonOnly));
    awaitTrue(() -> upstreams.upstreams.get(0).stats().inFlight() == 1);
    // No event to wait for: the point is that time passes. Two and a half idle timeouts, the request in flight.
    LockSupport.parkNanos(Duration.ofMillis(2500).toNanos());
    assertThat(server.sessionCount()).isEqualTo(1);
    upstreams.release();
    assertThat(call.join().body()).contains("progress done");
  }

  @Test
  void pastTheCapANewSessionGets503() {
    start(StreamableHttpServer.builder(upstreams.proxy).maxSessions(1));
    http.initialize();
    HttpResponse<String> refused = http.post(null, Http.initializeRequest(1));
    assertThat(refused.statusCode()).isEqualTo(503);
    assertThat(Http.json(refused.body()).path("error").path("message").asText()).contains("maximum of 1 sessions");
    assertThat(upstreams.upstreams).hasSize(1);
  }

  @Test
  void drainLetsTheRequestInFlightFinishRefusesNewSessionsThenClosesEverySession() {
    start();
    String session = http.initialize();
    Map<String, String> jsonOnly = Http.postHeaders(session);
    jsonOnly.put("Accept", "application/json");
    CompletableFuture<HttpResponse<String>> call =
        CompletableFuture.supplyAsync(() -> http.send("POST", Http.toolCall(4, "progress", null), jsonOnly));
    awaitTrue(() -> upstreams.upstreams.get(0).stats().inFlight() == 1);
    CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> server.drain(Duration.ofSeconds(30)));
    awaitTrue(() -> http.post(null, Http.initializeRequest(1)).statusCode() == 503);
    assertThat(drained).isNotDone();
    upstreams.release();
    assertThat(call.join().body()).contains("progress done");
    assertThat(drained.join()).isTrue();
    assertThat(server.sessionCount()).isZero();
    assertThat(upstreams.running()).isZero();
  }

  @Test
  void closeEndsEverySessionAndAWaitingRequestGetsAnError() {
    start();
    String session = http.initialize();
    Map<String, String> jsonOnly = Http.postHeaders(session);
    jsonOnly.put("Accept", "application/json");
    CompletableFuture<HttpResponse<String>> call =
        CompletableFuture.supplyAsync(() -> http.send("POST", Http.toolCall(4, "progress", null), jsonOnly));
    awaitTrue(() -> upstreams.upstreams.get(0).stats().inFlight() == 1);
    server.close();
    HttpResponse<String> answer = call.join();
    assertThat(Http.json(answer.body()).path("error").isObject()).isTrue();
    assertThat(upstreams.running()).isZero();
    server.close(); // idempotent
  }

  static void awaitTrue(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 30 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
