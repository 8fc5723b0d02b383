package dev.gatekit.testkit;

import static dev.gatekit.testkit.TestSupport.PATIENCE;
import static dev.gatekit.testkit.TestSupport.awaitRelease;
import static dev.gatekit.testkit.TestSupport.failureOf;
import static dev.gatekit.testkit.TestSupport.marked;
import static dev.gatekit.testkit.TestSupport.markerOf;
import static dev.gatekit.testkit.TestSupport.outcomeOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Many requests in flight at once, and the in-flight limit under both overflow policies. */
class MockTransportConcurrencyTest {

  private static final Duration LATENCY = Duration.ofMillis(50);

  /**
   * Every handler waits until all {@code n} requests have reached the upstream, so the test sees
   * them all in flight at once however slowly the machine sends them; the 50 ms latency runs
   * concurrently for all of them.
   */
  @ParameterizedTest(name = "{0} requests")
  @ValueSource(ints = {10, 50, 100})
  void holdsEveryRequestAtOnceAndAnswersEachCallerItsOwnResponse(int n) {
    CountDownLatch allArrived = new CountDownLatch(n);
    try (MockTransport mock =
        MockTransport.builder()
            .options(TransportOptions.builder().maxInFlight(n).build())
            .latency(LATENCY)
            .handle(
                "tools/call",
                request -> {
                  allArrived.countDown();
                  awaitLatch(allArrived);
                  return TestSupport.echoMarker(request);
                })
            .build()) {
      mock.start();

      List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
      for (int marker = 0; marker < n; marker++) {
        futures.add(mock.sendAndReceive(marked(1, "tools/call", marker)));
      }

      for (int marker = 0; marker < n; marker++) {
        Object outcome = outcomeOf(futures.get(marker));
        assertThat(outcome).isInstanceOf(JsonRpcResponse.class);
        JsonRpcResponse response = (JsonRpcResponse) outcome;
        assertThat(response.id()).isEqualTo(RequestId.of(1));
        assertThat(markerOf(response)).isEqualTo(marker);
      }
      assertThat(mock.maxConcurrent()).isEqualTo(n);
      TransportStats stats = mock.stats();
      assertThat(stats.maxInFlight()).isEqualTo(n);
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.queued()).isZero();
      assertThat(stats.sent()).isEqualTo(n);
      assertThat(stats.completed()).isEqualTo(n);
      assertThat(mock.requests()).hasSize(n);
    }
  }

  @Test
  void rejectFailsExactlyTheRequestsPastTheLimit() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TransportOptions options =
        TransportOptions.builder().maxInFlight(10).overflowPolicy(OverflowPolicy.REJECT).build();
    try (MockTransport mock = heldMock(options, release)) {
      mock.start();

      List<CompletableFuture<JsonRpcResponse>> futures = sendMarked(mock, 25);

      List<CompletableFuture<JsonRpcResponse>> refused = futures.subList(10, 25);
      for (CompletableFuture<JsonRpcResponse> future : refused) {
        assertThat(future).isCompletedExceptionally();
        assertThat(failureOf(future))
            .isInstanceOf(OverloadedException.class)
            .hasMessage(options.overloadedMessage());
      }
      assertThat(mock.stats().rejected()).isEqualTo(15);
      assertThat(mock.stats().inFlight()).isEqualTo(10);

      release.complete(null);
      assertAnsweredWithOwnMarkers(futures.subList(0, 10));
      TransportStats stats = mock.stats();
      assertThat(stats.completed()).isEqualTo(10);
      assertThat(stats.sent()).isEqualTo(10);
      assertThat(stats.inFlight()).isZero();
      assertThat(mock.maxConcurrent()).isEqualTo(10);
      assertThat(mock.requests()).hasSize(10);
    }
  }

  @Test
  void queueLetsEveryRequestWaitAndNeverExceedsTheLimit() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TransportOptions options =
        TransportOptions.builder().maxInFlight(10).overflowPolicy(OverflowPolicy.QUEUE).build();
    try (MockTransport mock = heldMock(options, release)) {
      mock.start();

      List<CompletableFuture<JsonRpcResponse>> futures = sendMarked(mock, 25);

      assertThat(mock.stats().inFlight()).isEqualTo(10);
      assertThat(mock.stats().queued()).isEqualTo(15);
      assertThat(futures).noneMatch(CompletableFuture::isDone);

      release.complete(null);
      assertAnsweredWithOwnMarkers(futures);
      TransportStats stats = mock.stats();
      assertThat(stats.completed()).isEqualTo(25);
      assertThat(stats.rejected()).isZero();
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.queued()).isZero();
      assertThat(mock.maxConcurrent()).isEqualTo(10);
      assertThat(mock.requests()).hasSize(25);
    }
  }

  @Test
  void queueRejectsWhatFindsTheQueueFull() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TransportOptions options =
        TransportOptions.builder()
            .maxInFlight(10)
            .overflowPolicy(OverflowPolicy.QUEUE)
            .maxQueued(5)
            .build();
    try (MockTransport mock = heldMock(options, release)) {
      mock.start();

      List<CompletableFuture<JsonRpcResponse>> futures = sendMarked(mock, 25);

      for (CompletableFuture<JsonRpcResponse> future : futures.subList(15, 25)) {
        assertThat(failureOf(future))
            .isInstanceOf(OverloadedException.class)
            .hasMessage(options.overloadedMessage());
      }
      release.complete(null);
      assertAnsweredWithOwnMarkers(futures.subList(0, 15));
      assertThat(mock.stats().rejected()).isEqualTo(10);
      assertThat(mock.stats().completed()).isEqualTo(15);
      assertThat(mock.maxConcurrent()).isEqualTo(10);
    }
  }

  /**
   * The first caller's dependent stage blocks until the second caller's stage has run: that works
   * only because each outcome is completed on a worker of its own.
   */
  @Test
  void aBlockingDependentStageHoldsUpNoOtherCaller() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    CompletableFuture<Void> secondRan = new CompletableFuture<>();
    try (MockTransport mock = heldMock(TransportOptions.defaults(), release)) {
      mock.start();
      CompletableFuture<String> first =
          mock.sendAndReceive(marked(1, "tools/call", 1))
              .thenApply(
                  response -> {
                    awaitRelease(secondRan);
                    return Thread.currentThread().getName();
                  });
      CompletableFuture<String> second =
          mock.sendAndReceive(marked(2, "tools/call", 2))
              .thenApply(
                  response -> {
                    secondRan.complete(null);
                    return Thread.currentThread().getName();
                  });

      release.complete(null);

      assertThat(first).succeedsWithin(PATIENCE).asString().contains("-worker-");
      assertThat(second).succeedsWithin(PATIENCE).asString().contains("-worker-");
    }
  }

  @Test
  void aTimeoutIsNeverCompletedOnTheSchedulerThread() {
    try (MockTransport mock =
        MockTransport.builder().fault("tools/call", Fault.timeout()).build()) {
      mock.start();

      CompletableFuture<String> completedOn =
          mock.sendAndReceive(marked(1, "tools/call", 1), Duration.ofMillis(100))
              .handle((response, failure) -> Thread.currentThread().getName());

      assertThat(completedOn).succeedsWithin(PATIENCE).asString().doesNotContain("scheduler");
    }
  }

  /** A mock whose "tools/call" handler holds every answer until {@code release} completes. */
  private static MockTransport heldMock(TransportOptions options, CompletableFuture<Void> release) {
    return MockTransport.builder()
        .options(options)
        .handle(
            "tools/call",
            request -> {
              awaitRelease(release);
              return TestSupport.echoMarker(request);
            })
        .build();
  }

  /** Sends {@code count} "tools/call" requests, all with id 1, marked 0 to count - 1. */
  private static List<CompletableFuture<JsonRpcResponse>> sendMarked(MockTransport mock, int count) {
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int marker = 0; marker < count; marker++) {
      futures.add(mock.sendAndReceive(marked(1, "tools/call", marker)));
    }
    return futures;
  }

  private static void assertAnsweredWithOwnMarkers(List<CompletableFuture<JsonRpcResponse>> futures) {
    for (int i = 0; i < futures.size(); i++) {
      Object outcome = outcomeOf(futures.get(i));
      assertThat(outcome).isInstanceOf(JsonRpcResponse.class);
      JsonRpcResponse response = (JsonRpcResponse) outcome;
      assertThat(response.id()).isEqualTo(RequestId.of(1));
      assertThat(markerOf(response)).isEqualTo(i);
    }
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      if (!latch.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("not every request arrived");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
