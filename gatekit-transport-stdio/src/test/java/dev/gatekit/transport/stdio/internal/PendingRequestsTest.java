package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
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
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The correlator on its own, against an in-memory "upstream" that answers on other threads: the
 * races between response, timeout, cancellation, queueing and connection death.
 */
class PendingRequestsTest {

  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final ScheduledExecutorService upstreamThreads = Executors.newScheduledThreadPool(2);
  private final ExecutorService callbacks = Executors.newCachedThreadPool();
  private final ConcurrentLinkedQueue<JsonRpcMessage> written = new ConcurrentLinkedQueue<>();

  @AfterEach
  void stop() {
    upstreamThreads.shutdownNow();
    callbacks.shutdownNow();
  }

  @Test
  void callersReusingOneIdEachGetTheirOwnAnswer() throws Exception {
    PendingRequests pending = echoing(TransportOptions.defaults(), 0);
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      futures.add(pending.send(request(RequestId.of(1), "m" + i), Duration.ofSeconds(30), () -> null));
    }
    for (int i = 0; i < 100; i++) {
      JsonRpcResponse response = futures.get(i).get(10, TimeUnit.SECONDS);
      assertThat(response.id()).isEqualTo(RequestId.of(1));
      assertThat(response.result().get("echo").asText()).isEqualTo("m" + i);
    }
    assertThat(pending.size()).isZero();
  }

  @Test
  void wireIdsAreTheTransportsOwnAndTheCallersIdTypeIsRestored() throws Exception {
    PendingRequests pending = echoing(TransportOptions.defaults(), 0);
    JsonRpcResponse number = pending.send(request(RequestId.of(1), "n"), Duration.ofSeconds(30), () -> null).get(10, TimeUnit.SECONDS);
    JsonRpcResponse string = pending.send(request(RequestId.of("1"), "s"), Duration.ofSeconds(30), () -> null).get(10, TimeUnit.SECONDS);
    assertThat(number.id()).isEqualTo(RequestId.of(1));
    assertThat(string.id()).isEqualTo(RequestId.of("1"));
    assertThat(written).allSatisfy(m -> assertThat(((JsonRpcRequest) m).id()).isInstanceOf(RequestId.NumberId.class));
    assertThat(written).extracting(m -> ((JsonRpcRequest) m).id()).doesNotHaveDuplicates();
  }

  @Test
  void aTimeoutRemovesTheRequestSendsOneCancellationAndDropsTheLateAnswer() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of(7), "slow"), Duration.ofMillis(50), () -> null);
    assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(RequestTimeoutException.class);
    long wireId = ((RequestId.NumberId) sentRequests().get(0).id()).value();
    List<JsonRpcNotification> cancels = cancellations();
    assertThat(cancels).hasSize(1);
    assertThat(cancels.get(0).params().get("requestId").asLong()).isEqualTo(wireId);
    // The late answer is dropped: nothing pending, counters unchanged.
    pending.complete(JsonRpcResponse.success(RequestId.of(wireId), JsonNodeFactory.instance.objectNode()));
    TransportStats stats = pending.stats();
    assertThat(stats.timedOut()).isEqualTo(1);
    assertThat(stats.completed()).isZero();
    assertThat(stats.inFlight()).isZero();
    assertThat(pending.size()).isZero();
  }

  @Test
  void cancellingTheFutureRemovesTheRequestAndTellsTheUpstreamOnce() {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of(7), "slow"), Duration.ofSeconds(30), () -> null);
    assertThat(future.cancel(true)).isTrue();
    future.cancel(true);
    assertThat(future).isCancelled();
    assertThat(cancellations()).hasSize(1);
    assertThat(pending.stats().cancelled()).isEqualTo(1);
    assertThat(pending.stats().inFlight()).isZero();
    assertThat(pending.size()).isZero();
  }

  @Test
  void rejectFailsExactlyTheOverflow() {
    PendingRequests pending = silent(TransportOptions.builder().maxInFlight(10).build());
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      futures.add(pending.send(request(RequestId.of(i), "x"), Duration.ofSeconds(30), () -> null));
    }
    assertThat(futures.stream().filter(f -> f.isCompletedExceptionally())).hasSize(15);
    assertThatThrownBy(() -> futures.get(24).join())
        .hasCauseInstanceOf(OverloadedException.class)
        .hasMessageContaining("10 requests")
        .hasMessageContaining("max_requests_in_flight");
    assertThat(sentRequests()).hasSize(10);
    assertThat(pending.stats().rejected()).isEqualTo(15);
    pending.failAll(new TransportClosedException("test over"));
  }

  @Test
  void queuedRequestsGoOutAsSlotsFreeUpAndTheirCancellationIsNotSentUpstream() throws Exception {
    PendingRequests pending =
        silent(TransportOptions.builder().maxInFlight(2).overflowPolicy(OverflowPolicy.QUEUE).build());
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      futures.add(pending.send(request(RequestId.of(i), "x"), Duration.ofSeconds(30), () -> null));
    }
    assertThat(sentRequests()).hasSize(2);
    assertThat(pending.stats().queued()).isEqualTo(3);
    futures.get(4).cancel(true); // still queued: withdrawn, never sent, nothing to tell upstream
    assertThat(cancellations()).isEmpty();
    answer(pending, sentRequests().get(0));
    assertThat(sentRequests()).hasSize(3);
    answer(pending, sentRequests().get(1));
    answer(pending, sentRequests().get(2));
    answer(pending, sentRequests().get(3));
    for (int i = 0; i < 4; i++) {
      assertThat(futures.get(i).get(10, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of(i));
    }
    assertThat(sentRequests()).hasSize(4);
    TransportStats stats = pending.stats();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.queued()).isZero();
    assertThat(stats.maxInFlight()).isEqualTo(2);
  }

  @Test
  void aRequestRegisteredWhileTheConnectionDiesFailsInsteadOfHanging() {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of(1), "x"), Duration.ofSeconds(30), () -> new TransportClosedException("died"));
    assertThatThrownBy(() -> future.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TransportClosedException.class)
        .hasMessageContaining("died");
    assertThat(sentRequests()).isEmpty();
    assertThat(pending.size()).isZero();
  }

  @Test
  void underContentionEveryRequestEndsExactlyOnceAndEverySlotIsReturned() throws Exception {
    int threads = 8;
    int perThread = 3_000;
    TransportOptions options =
        TransportOptions.builder().maxInFlight(16).overflowPolicy(OverflowPolicy.QUEUE).maxQueued(10_000).build();
    PendingRequests pending = echoing(options, 2);
    ConcurrentLinkedQueue<CompletableFuture<JsonRpcResponse>> futures = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> mismatches = new ConcurrentLinkedQueue<>();
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread sender =
          new Thread(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < perThread; i++) {
                  String marker = thread + ":" + i;
                  // Timeouts short enough to race the answers (which take 0-2 ms).
                  Duration timeout = Duration.ofMillis(random.nextInt(10) == 0 ? 1 : 5_000);
                  CompletableFuture<JsonRpcResponse> future =
                      pending.send(request(RequestId.of(1), marker), timeout, () -> null);
                  future.thenAccept(
                      r -> {
                        if (!r.result().get("echo").asText().equals(marker)) {
                          mismatches.add(marker);
                        }
                      });
                  if (random.nextInt(10) == 0) {
                    future.cancel(true);
                  }
                  futures.add(future);
                }
              });
      senders.add(sender);
      sender.start();
    }
    for (Thread sender : senders) {
      sender.join();
    }
    for (CompletableFuture<JsonRpcResponse> future : futures) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException | CancellationException expected) {
        // timed out, cancelled: counted below
      }
    }
    assertThat(mismatches).isEmpty();
    TransportStats stats = pending.stats();
    assertThat(stats.completed() + stats.failed() + stats.timedOut() + stats.cancelled() + stats.rejected())
        .isEqualTo((long) threads * perThread);
    assertThat(stats.completed()).isPositive();
    assertThat(stats.timedOut()).isPositive();
    assertThat(stats.cancelled()).isPositive();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.queued()).isZero();
    assertThat(stats.maxInFlight()).isLessThanOrEqualTo(16);
    assertThat(pending.size()).isZero();
  }

  @Test
  void failAllEndsEverythingPendingAndQueuedAtOnce() {
    PendingRequests pending =
        silent(TransportOptions.builder().maxInFlight(100).overflowPolicy(OverflowPolicy.QUEUE).build());
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      futures.add(pending.send(request(RequestId.of(i), "x"), Duration.ofSeconds(60), () -> null));
    }
    pending.failAll(new TransportClosedException("Upstream 'x' exited with code 137"));
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((r, e) -> null).join();
    assertThat(futures).allSatisfy(f -> assertThatThrownBy(f::join).hasMessageContaining("code 137"));
    assertThat(pending.size()).isZero();
    assertThat(pending.stats().inFlight()).isZero();
    assertThat(pending.stats().queued()).isZero();
    assertThat(pending.stats().failed()).isEqualTo(300);
  }

  // ---------------------------------------------------------------------------------------------

  /** An upstream that answers each request with its params' marker after 0..maxDelayMillis. */
  private PendingRequests echoing(TransportOptions options, int maxDelayMillis) {
    PendingRequests[] holder = new PendingRequests[1];
    holder[0] =
        new PendingRequests(
            "test",
            options,
            bytes -> {
              JsonRpcMessage message = codec.decode(bytes);
              written.add(message);
              if (message instanceof JsonRpcRequest request) {
                int delay = maxDelayMillis == 0 ? 0 : ThreadLocalRandom.current().nextInt(maxDelayMillis + 1);
                upstreamThreads.schedule(() -> answer(holder[0], request), delay, TimeUnit.MILLISECONDS);
              }
              return true;
            },
            () -> null,
            upstreamThreads,
            callbacks);
    return holder[0];
  }

  /** An upstream that never answers unless the test does. */
  private PendingRequests silent(TransportOptions options) {
    return new PendingRequests(
        "test",
        options,
        bytes -> {
          written.add(codec.decode(bytes));
          return true;
        },
        () -> null,
        upstreamThreads,
        callbacks);
  }

  private static void answer(PendingRequests pending, JsonRpcRequest request) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.set("echo", request.params().get("marker"));
    pending.complete(JsonRpcResponse.success(request.id(), result));
  }

  private List<JsonRpcRequest> sentRequests() {
    return written.stream().filter(m -> m instanceof JsonRpcRequest).map(m -> (JsonRpcRequest) m).toList();
  }

  private List<JsonRpcNotification> cancellations() {
    return written.stream()
        .filter(m -> m instanceof JsonRpcNotification n && n.method().equals("notifications/cancelled"))
        .map(m -> (JsonRpcNotification) m)
        .toList();
  }

  private static JsonRpcRequest request(RequestId id, String marker) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("marker", marker);
    return new JsonRpcRequest(id, "tools/call", params);
  }
}
