package dev.gatekit.server.http;

import static dev.gatekit.server.http.StreamableHttpServerTest.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.transport.stdio.StdioTransport;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The front with a stdio upstream per session and no plugins: requests pass to the upstream as the
 * bytes they came in and answers come back as the upstream wrote them (no decoding, no hand-off),
 * except where the front must look inside (a progress token); and an idle session costs a bounded
 * number of threads.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StdioUpstreamsThroughFrontTest {

  /**
   * Threads of its own an idle session's stdio upstream may hold: the stdout reader and the stderr
   * drain (its stdin is written from a pool shared by every upstream, which holds no thread for an idle
   * one; the JDK adds its process reaper per child, a pool of its own).
   */
  private static final int UPSTREAM_THREADS_PER_IDLE_SESSION = 2;

  private GatekitProxy proxy;
  private StreamableHttpServer server;
  private Http http;

  @BeforeEach
  void start() {
    List<String> command = SpacedAnswerServer.command();
    proxy = GatekitProxy.builder()
        .upstreamPerSession("spaced", () -> StdioTransport.builder(command).name("spaced").build())
        .build();
    server = StreamableHttpServer.builder(proxy).build();
    server.start();
    http = new Http(server.endpoint());
  }

  /**
   * Opens a session and waits until its notifications/initialized has gone upstream (the front
   * answers it with 202 on receipt): from then on its requests may pass as bytes.
   */
  private String initialize() {
    long before = proxy.stats().notifications();
    String session = http.initialize();
    awaitTrue(() -> proxy.stats().notifications() > before);
    return session;
  }

  @AfterEach
  void stop() {
    server.close();
    proxy.close();
  }

  @Test
  void anAnswerComesBackAsTheUpstreamWroteIt() {
    String session = initialize();

    HttpResponse<String> answer = http.post(session, Http.toolCall(2, "echo", null));

    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
    assertThat(answer.body()).contains(SpacedAnswerServer.SPACED);
    assertThat(Http.json(answer.body()).path("id").asInt()).isEqualTo(2);
  }

  @Test
  void aStringIdComesBackAsTheClientSentIt() {
    String session = initialize();

    HttpResponse<String> answer = http.post(session,
        "{\"jsonrpc\":\"2.0\",\"id\":\"call-7\",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}");

    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).contains("\"id\":\"call-7\"").contains(SpacedAnswerServer.SPACED);
  }

  @Test
  void aRequestWithAProgressTokenIsDecodedSoItsPostCanCarryProgress() {
    String session = initialize();

    HttpResponse<String> answer = http.post(session, Http.toolCall(3, "echo", "progress-3"));

    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.body()).doesNotContain(SpacedAnswerServer.SPACED).contains("\"spaced\":1.5");
    assertThat(Http.json(answer.body()).path("id").asInt()).isEqualTo(3);
  }

  @Test
  void concurrentCallsOfOneSessionEachGetTheirOwnAnswer() {
    String session = initialize();
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int id = 10; id < 60; id++) {
      int call = id;
      answers.add(CompletableFuture.supplyAsync(() -> http.post(session, Http.toolCall(call, "echo", null))));
    }

    for (int i = 0; i < answers.size(); i++) {
      HttpResponse<String> answer = answers.get(i).join();
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(Http.json(answer.body()).path("id").asInt()).isEqualTo(10 + i);
      assertThat(answer.body()).contains(SpacedAnswerServer.SPACED);
    }
    awaitTrue(() -> server.sessionCount() == 1);
  }

  @Test
  void anIdleSessionHoldsABoundedNumberOfThreads() {
    int sessions = 8;
    for (int i = 0; i < sessions; i++) {
      String session = initialize();
      assertThat(http.post(session, Http.toolCall(2, "echo", null)).statusCode()).isEqualTo(200);
    }
    awaitTrue(() -> server.sessionCount() == sessions);

    // The upstream connections' own threads, named after the upstream ("gatekit-spaced-PID-..."): those
    // of sessions that other tests closed may take a moment to end, so the bound is awaited.
    awaitTrue(() -> threadsNamed("gatekit-spaced-") <= (long) sessions * UPSTREAM_THREADS_PER_IDLE_SESSION);
    assertThat(threadsNamed("gatekit-spaced-")).isGreaterThanOrEqualTo(sessions); // a reader each: the count sees them
  }

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }
}
