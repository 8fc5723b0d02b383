package dev.gatekit.transport.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HTTP client's executor: starts of exchanges on the pool, the client's own work in place. */
@Timeout(60)
class ClientExecutorTest {

  private final AtomicInteger started = new AtomicInteger();
  private final ExecutorService pool =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "test-starts");
            thread.setDaemon(true);
            return thread;
          });
  private final ClientExecutor executor =
      new ClientExecutor(
          task -> {
            started.incrementAndGet();
            pool.execute(task);
          });
  private HttpServer server;

  @AfterEach
  void stop() {
    pool.shutdownNow();
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void runsTasksInPlaceOutsideSend() {
    AtomicReference<Thread> ran = new AtomicReference<>();
    executor.execute(() -> ran.set(Thread.currentThread()));
    assertThat(ran.get()).isSameAs(Thread.currentThread());
    assertThat(started).hasValue(0);
  }

  @Test
  void handsTasksToThePoolInsideSendEvenWhenNested() throws Exception {
    AtomicReference<Thread> outer = new AtomicReference<>();
    AtomicReference<Thread> inner = new AtomicReference<>();
    CountDownLatch ran = new CountDownLatch(2);
    String result =
        ClientExecutor.send(
            () -> {
              executor.execute(() -> {
                outer.set(Thread.currentThread());
                ran.countDown();
              });
              return ClientExecutor.send(
                  () -> {
                    executor.execute(() -> {
                      inner.set(Thread.currentThread());
                      ran.countDown();
                    });
                    return "sent";
                  });
            });
    assertThat(result).isEqualTo("sent");
    assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(outer.get().getName()).isEqualTo("test-starts");
    assertThat(inner.get().getName()).isEqualTo("test-starts");
    assertThat(ClientExecutor.sending()).isFalse();
    // After send, this thread runs tasks in place again.
    AtomicReference<Thread> after = new AtomicReference<>();
    executor.execute(() -> after.set(Thread.currentThread()));
    assertThat(after.get()).isSameAs(Thread.currentThread());
  }

  @Test
  void aSendFailingInsideLeavesTheThreadOutsideSend() {
    try {
      ClientExecutor.send(
          () -> {
            throw new IllegalStateException("refused");
          });
    } catch (IllegalStateException expected) {
      assertThat(expected).hasMessage("refused");
    }
    assertThat(ClientExecutor.sending()).isFalse();
  }

  /**
   * A real exchange: the caller's thread only hands the start to the pool, and the body subscriber
   * runs on the client's own threads — never on the caller's — with no further hand-off to the pool.
   */
  @Test
  void anExchangeStartsOnThePoolAndIsReadWhereTheClientRuns() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    HttpClient client = HttpClient.newBuilder().executor(executor).version(HttpClient.Version.HTTP_1_1).build();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/mcp");
    Set<String> readers = ConcurrentHashMap.newKeySet();
    List<String> bodies = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 20; i++) {
      HttpRequest request = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("{}")).build();
      HttpResponse<Void> response =
          ClientExecutor.send(() -> client.sendAsync(request, info -> new Recording(readers, bodies)))
              .get(30, TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
    }
    assertThat(bodies).hasSize(20).allMatch(body -> body.contains("\"result\""));
    assertThat(started).hasValue(20); // one hand-off per exchange: its start
    // Read by the client's selector thread, or by the pool thread that started the exchange when the
    // answer was there before that start was over; never by the caller's thread.
    assertThat(readers)
        .doesNotContain(Thread.currentThread().getName())
        .allMatch(name -> name.equals("test-starts") || name.endsWith("-SelectorManager"), "the selector or the pool");
  }

  /** A body subscriber that records the threads it runs on. */
  private static final class Recording implements HttpResponse.BodySubscriber<Void> {
    private final Set<String> readers;
    private final List<String> bodies;
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private Flow.Subscription subscription;

    Recording(Set<String> readers, List<String> bodies) {
      this.readers = readers;
      this.bodies = bodies;
    }

    @Override
    public CompletionStage<Void> getBody() {
      return done;
    }

    @Override
    public void onSubscribe(Flow.Subscription value) {
      subscription = value;
      value.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      readers.add(Thread.currentThread().getName());
      for (ByteBuffer buffer : item) {
        text.append(StandardCharsets.UTF_8.decode(buffer));
      }
    }

    @Override
    public void onError(Throwable throwable) {
      done.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      readers.add(Thread.currentThread().getName());
      bodies.add(text.toString());
      done.complete(null);
    }
  }
}
