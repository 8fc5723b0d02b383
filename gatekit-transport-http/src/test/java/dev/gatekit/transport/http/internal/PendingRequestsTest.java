package dev.gatekit.transport.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The correlator with an in-memory wire, under many threads. */
@Timeout(60)
class PendingRequestsTest {

  private final ScheduledExecutorService server = Executors.newScheduledThreadPool(4);
  private final ExecutorService callers = Executors.newFixedThreadPool(16);
  private final Set<Long> cancelled = ConcurrentHashMap.newKeySet();
  private final AtomicInteger aborted = new AtomicInteger();
  private final AtomicInteger concurrent = new AtomicInteger();
  private final AtomicInteger mostConcurrent = new AtomicInteger();

  @AfterEach
  void stop() {
    server.shutdownNow();
    callers.shutdownNow();
  }

  private static @Nullable GatekitException open() {
    return null;
  }

  /** A wire whose "server" answers each request after a delay named by its method ("ms:N"), or never. */
  private PendingRequests correlator(TransportOptions options) {
    PendingRequests[] self = new PendingRequests[1];
    self[0] =
        new PendingRequests(
            "test",
            options,
            new PendingRequests.Wire() {
              @Override
              public void post(PendingRequests.Pending request) {
                int now = concurrent.incrementAndGet();
                mostConcurrent.accumulateAndGet(now, Math::max);
                request.onAbort(aborted::incrementAndGet);
                String method = request.request().method();
                if (method.equals("never")) {
                  return;
                }
                long ms = Long.parseLong(method.substring(3));
                server.schedule(
                    () -> {
                      concurrent.decrementAndGet();
                      self[0].complete(
                          JsonRpcResponse.success(
                              RequestId.of(request.wireId()),
                              JsonNodeFactory.instance.textNode(request.request().params().get("n").asText())));
                    },
                    ms,
                    TimeUnit.MILLISECONDS);
              }

              @Override
              public void sendCancelled(long wireId, String reason) {
                cancelled.add(wireId);
              }
            },
            HttpExecutors.timers(),
            HttpExecutors.callbacks());
    return self[0];
  }

  private static JsonRpcRequest request(String method, int n) {
    return new JsonRpcRequest(RequestId.of(1), method, JsonNodeFactory.instance.objectNode().put("n", "n" + n));
  }

  @Test
  void everyOutcomeIsCountedOnceUnderContention() throws Exception {
    PendingRequests pending =
        correlator(TransportOptions.builder().maxInFlight(20).overflowPolicy(OverflowPolicy.QUEUE).maxQueued(5_000).build());
    int total = 2_000;
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<CompletableFuture<JsonRpcResponse>>> submitted = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      int n = i;
      submitted.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
                String method = n % 10 == 0 ? "never" : "ms:" + ThreadLocalRandom.current().nextInt(3);
                Duration timeout = n % 10 == 0 ? Duration.ofMillis(50) : Duration.ofSeconds(30);
                CompletableFuture<JsonRpcResponse> future = pending.send(request(method, n), timeout, PendingRequestsTest::open);
                if (n % 10 == 5) {
                  future.cancel(true);
                }
                return future;
              },
              callers));
    }
    go.countDown();
    for (var s : submitted) {
      futures.add(s.get(30, TimeUnit.SECONDS));
    }
    int answered = 0;
    int timedOut = 0;
    int cancelledCount = 0;
    for (int i = 0; i < total; i++) {
      try {
        JsonRpcResponse response = futures.get(i).get(30, TimeUnit.SECONDS);
        assertThat(response.result().asText()).isEqualTo("n" + i); // its own answer
        assertThat(response.id()).isEqualTo(RequestId.of(1)); // with the caller's id
        answered++;
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).isInstanceOf(RequestTimeoutException.class);
        timedOut++;
      } catch (CancellationException e) {
        cancelledCount++;
      }
    }
    assertThat(timedOut).isEqualTo(total / 10);
    TransportStats stats = pending.stats();
    assertThat(stats.timedOut()).isEqualTo(timedOut);
    // A cancel that races with the answer may reach a request already answered but not yet handed
    // to its caller: the caller sees the cancellation and the request counts as completed, once.
    assertThat(stats.completed()).isGreaterThanOrEqualTo(answered);
    assertThat(stats.completed() + stats.cancelled()).isEqualTo(answered + cancelledCount);
    assertThat(stats.completed() + stats.timedOut() + stats.cancelled() + stats.failed()).isEqualTo(total);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.queued()).isZero();
    assertThat(stats.maxInFlight()).isLessThanOrEqualTo(20);
    assertThat(pending.size()).isZero();
    // Timed-out and cancelled requests that had been sent were cancelled upstream and had their
    // exchange aborted; those that timed out still queued were never sent, so nothing was cancelled.
    assertThat(cancelled.size()).isBetween(1, timedOut + cancelledCount);
    assertThat(aborted.get()).isGreaterThanOrEqualTo(cancelled.size());
  }

  @Test
  void rejectBeyondTheLimitAndFailAllAtOnce() throws Exception {
    PendingRequests pending = correlator(TransportOptions.builder().maxInFlight(3).build());
    List<CompletableFuture<JsonRpcResponse>> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(pending.send(request("never", i), Duration.ofSeconds(30), PendingRequestsTest::open));
    }
    CompletableFuture<JsonRpcResponse> refused = pending.send(request("never", 9), Duration.ofSeconds(30), PendingRequestsTest::open);
    assertThat(refused).isCompletedExceptionally();
    assertThat(refused.handle((r, e) -> e).get()).isInstanceOf(OverloadedException.class);

    pending.failAll(new TransportClosedException("gone"));
    for (CompletableFuture<JsonRpcResponse> future : held) {
      assertThat(future.handle((r, e) -> e).get(5, TimeUnit.SECONDS)).isInstanceOf(TransportClosedException.class).hasMessage("gone");
    }
    assertThat(aborted.get()).isEqualTo(3);
    TransportStats stats = pending.stats();
    assertThat(stats.rejected()).isEqualTo(1);
    assertThat(stats.failed()).isEqualTo(3);
    assertThat(stats.inFlight()).isZero();
    // A slot is free again.
    CompletableFuture<JsonRpcResponse> again = pending.send(request("ms:1", 7), Duration.ofSeconds(30), PendingRequestsTest::open);
    assertThat(again.get(5, TimeUnit.SECONDS).result().asText()).isEqualTo("n7");
  }

  @Test
  void aClosedTransportFailsTheRequestWithoutSendingIt() throws Exception {
    PendingRequests pending = correlator(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request("ms:1", 1), Duration.ofSeconds(30), () -> new TransportClosedException("closed"));
    assertThat(future.handle((r, e) -> e).get(5, TimeUnit.SECONDS)).hasMessage("closed");
    assertThat(pending.stats().sent()).isZero();
    assertThat(concurrent.get()).isZero();
  }

  @Test
  void lateAndUnknownAnswersAreDropped() throws Exception {
    PendingRequests pending = correlator(TransportOptions.defaults());
    assertThat(pending.complete(JsonRpcResponse.success(RequestId.of(999), JsonNodeFactory.instance.nullNode()))).isFalse();
    assertThat(pending.complete(JsonRpcResponse.success(RequestId.of("1"), JsonNodeFactory.instance.nullNode()))).isFalse();
    CompletableFuture<JsonRpcResponse> future = pending.send(request("never", 1), Duration.ofMillis(20), PendingRequestsTest::open);
    assertThat(future.handle((r, e) -> e).get(5, TimeUnit.SECONDS)).isInstanceOf(RequestTimeoutException.class);
    assertThat(pending.complete(JsonRpcResponse.success(RequestId.of(1), JsonNodeFactory.instance.nullNode()))).isFalse();
    assertThat(pending.stats().completed()).isZero();
  }
}
