package dev.gatekit.testkit;

import static dev.gatekit.testkit.TestSupport.PATIENCE;
import static dev.gatekit.testkit.TestSupport.awaitCondition;
import static dev.gatekit.testkit.TestSupport.awaitRelease;
import static dev.gatekit.testkit.TestSupport.outcomeOf;
import static dev.gatekit.testkit.TestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Injected faults, timeouts, cancellation, disconnect and close. */
class MockTransportFailureTest {

  private static final Duration SHORT_TIMEOUT = Duration.ofMillis(100);

  @Test
  void errorResponseFaultAnswersWithTheError() {
    try (MockTransport mock =
        MockTransport.builder()
            .result("tools/call", TestSupport.NODES.objectNode())
            .fault("tools/call", Fault.errorResponse(-32050, "tool exploded"))
            .build()) {
      mock.start();

      JsonRpcResponse response = mock.sendAndReceive(request(8, "tools/call")).join();

      assertThat(response.id()).isEqualTo(RequestId.of(8));
      assertThat(response.error()).isNotNull();
      assertThat(response.error().code()).isEqualTo(-32050);
      assertThat(response.error().message()).isEqualTo("tool exploded");
      assertThat(mock.stats().completed()).isEqualTo(1);
    }
  }

  @Test
  void exceptionFaultFailsTheRequestWithTheException() {
    TransportClosedException broken = new TransportClosedException("pipe broken");
    try (MockTransport mock =
        MockTransport.builder().fault("tools/call", Fault.exception(broken)).build()) {
      mock.start();

      Object outcome = outcomeOf(mock.sendAndReceive(request(1, "tools/call")));

      assertThat(outcome).isSameAs(broken);
      assertThat(mock.stats().failed()).isEqualTo(1);
      assertThat(mock.stats().inFlight()).isZero();
    }
  }

  @Test
  void neverAnsweredRequestTimesOutAndIsCancelledUpstream() {
    AtomicInteger handled = new AtomicInteger();
    try (MockTransport mock =
        MockTransport.builder()
            .handle("tools/call", request -> countAndEcho(handled, request))
            .fault("tools/call", Fault.timeout())
            .build()) {
      mock.start();

      Object outcome = outcomeOf(mock.sendAndReceive(request(5, "tools/call"), SHORT_TIMEOUT));

      assertThat(outcome)
          .isInstanceOfSatisfying(
              RequestTimeoutException.class,
              timeout -> assertThat(timeout.timeout()).isEqualTo(SHORT_TIMEOUT));
      assertThat(mock.cancellations()).containsExactly(RequestId.of(5));
      TransportStats stats = mock.stats();
      assertThat(stats.timedOut()).isEqualTo(1);
      assertThat(stats.completed()).isZero();
      assertThat(stats.inFlight()).isZero();
      assertThat(handled).hasValue(0);
      assertThat(mock.droppedReplies()).isEmpty();
    }
  }

  @Test
  void droppedReplyTimesOutAndIsRecordedAsDropped() {
    AtomicInteger handled = new AtomicInteger();
    try (MockTransport mock =
        MockTransport.builder()
            .handle("tools/call", request -> countAndEcho(handled, request))
            .fault("tools/call", Fault.droppedReply())
            .build()) {
      mock.start();

      Object outcome = outcomeOf(mock.sendAndReceive(request(6, "tools/call"), SHORT_TIMEOUT));

      assertThat(outcome).isInstanceOf(RequestTimeoutException.class);
      // On a loaded machine the 100 ms timeout can fire before the handler has run: wait for it.
      TestSupport.awaitCondition("the handler ran and its reply was dropped",
          () -> handled.get() == 1 && mock.droppedReplies().contains(RequestId.of(6)));
      assertThat(mock.droppedReplies()).containsExactly(RequestId.of(6));
      assertThat(mock.cancellations()).containsExactly(RequestId.of(6));
      assertThat(mock.stats().timedOut()).isEqualTo(1);
    }
  }

  @Test
  void lateAnswerAfterTheTimeoutIsDropped() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    try (MockTransport mock = releasedOn(release, TransportOptions.defaults())) {
      mock.start();

      Object outcome = outcomeOf(mock.sendAndReceive(request(9, "tools/call"), SHORT_TIMEOUT));
      assertThat(outcome).isInstanceOf(RequestTimeoutException.class);
      release.complete(null);

      awaitCondition("the late answer is dropped", () -> !mock.droppedReplies().isEmpty());
      assertThat(mock.droppedReplies()).containsExactly(RequestId.of(9));
      TransportStats stats = mock.stats();
      assertThat(stats.timedOut()).isEqualTo(1);
      assertThat(stats.completed()).isZero();
      assertThat(stats.inFlight()).isZero();
    }
  }

  @Test
  void callerCancellationFreesTheSlotAndIsSentUpstream() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TransportOptions oneAtATime = TransportOptions.builder().maxInFlight(1).build();
    try (MockTransport mock = releasedOn(release, oneAtATime)) {
      mock.start();
      CompletableFuture<JsonRpcResponse> first = mock.sendAndReceive(request(1, "tools/call"));
      assertThat(mock.awaitInFlight(1, PATIENCE)).isTrue();

      assertThat(first.cancel(true)).isTrue();

      assertThat(first).isCancelled();
      assertThat(mock.cancellations()).containsExactly(RequestId.of(1));
      assertThat(mock.stats().cancelled()).isEqualTo(1);
      assertThat(mock.stats().inFlight()).isZero();
      release.complete(null);
      Object second = outcomeOf(mock.sendAndReceive(request(2, "tools/call")));
      assertThat(second).isInstanceOf(JsonRpcResponse.class);
      assertThat(mock.stats().completed()).isEqualTo(1);
    }
  }

  @Test
  void cancellingAQueuedRequestWithdrawsItWithoutTellingTheUpstream() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TransportOptions queueOfOne =
        TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).build();
    try (MockTransport mock = releasedOn(release, queueOfOne)) {
      mock.start();
      CompletableFuture<JsonRpcResponse> first = mock.sendAndReceive(request(1, "tools/call"));
      CompletableFuture<JsonRpcResponse> queued = mock.sendAndReceive(request(2, "tools/call"));
      assertThat(mock.stats().queued()).isEqualTo(1);

      assertThat(queued.cancel(true)).isTrue();

      assertThat(mock.stats().queued()).isZero();
      assertThat(mock.stats().cancelled()).isEqualTo(1);
      assertThat(mock.cancellations()).isEmpty();
      release.complete(null);
      assertThat(outcomeOf(first)).isInstanceOf(JsonRpcResponse.class);
      assertThat(mock.requests()).containsExactly(request(1, "tools/call"));
      assertThat(mock.stats().sent()).isEqualTo(1);
    }
  }

  @Test
  void queuedRequestTimesOutWhileWaiting() {
    CompletableFuture<Void> release = new CompletableFuture<>();
    TransportOptions queueOfOne =
        TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).build();
    try (MockTransport mock = releasedOn(release, queueOfOne)) {
      mock.start();
      CompletableFuture<JsonRpcResponse> first = mock.sendAndReceive(request(1, "tools/call"));

      Object queued = outcomeOf(mock.sendAndReceive(request(2, "tools/call"), SHORT_TIMEOUT));

      assertThat(queued).isInstanceOf(RequestTimeoutException.class);
      assertThat(mock.stats().queued()).isZero();
      assertThat(mock.stats().timedOut()).isEqualTo(1);
      assertThat(mock.cancellations()).isEmpty();
      release.complete(null);
      assertThat(outcomeOf(first)).isInstanceOf(JsonRpcResponse.class);
    }
  }

  @Test
  void completingTheFutureYourselfWithdrawsTheRequest() {
    try (MockTransport mock =
        MockTransport.builder().fault("tools/call", Fault.timeout()).build()) {
      mock.start();

      Object outcome =
          outcomeOf(
              mock.sendAndReceive(request(3, "tools/call")).orTimeout(10, TimeUnit.MILLISECONDS));

      assertThat(outcome).isInstanceOf(TimeoutException.class);
      awaitCondition("the request is withdrawn", () -> mock.stats().cancelled() == 1);
      assertThat(mock.stats().inFlight()).isZero();
      assertThat(mock.cancellations()).containsExactly(RequestId.of(3));
    }
  }

  @Test
  void disconnectFailsEveryPendingAndQueuedRequestAtOnce() {
    TransportOptions options =
        TransportOptions.builder().maxInFlight(10).overflowPolicy(OverflowPolicy.QUEUE).build();
    try (MockTransport mock =
        MockTransport.builder().options(options).fault("tools/call", Fault.timeout()).build()) {
      mock.start();
      List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        futures.add(mock.sendAndReceive(request(i, "tools/call")));
      }
      assertThat(mock.stats().inFlight()).isEqualTo(10);
      assertThat(mock.stats().queued()).isEqualTo(30);

      mock.disconnect();

      TransportStats stats = mock.stats();
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.queued()).isZero();
      assertThat(stats.failed()).isEqualTo(40);
      assertThat(stats.sent()).isEqualTo(10);
      for (CompletableFuture<JsonRpcResponse> future : futures) {
        assertThat(outcomeOf(future)).isInstanceOf(TransportClosedException.class);
      }
      assertThat(mock.state()).isEqualTo(TransportState.FAILED);
      assertThat(mock.cancellations()).isEmpty();
      assertThat(outcomeOf(mock.sendAndReceive(request(99, "tools/call"))))
          .isInstanceOf(TransportClosedException.class);
      assertThat(mock.stats().failed()).isEqualTo(40);
    }
  }

  @Test
  void closeFailsEverythingPending() {
    CompletableFuture<Void> never = new CompletableFuture<>();
    MockTransport mock = releasedOn(never, TransportOptions.defaults());
    mock.start();
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(mock.sendAndReceive(request(i, "tools/call")));
    }

    mock.close();

    for (CompletableFuture<JsonRpcResponse> future : futures) {
      assertThat(outcomeOf(future)).isInstanceOf(TransportClosedException.class);
    }
    assertThat(mock.stats().failed()).isEqualTo(20);
    assertThat(mock.stats().inFlight()).isZero();
    never.complete(null); // lets the blocked handlers finish; their answers are dropped
  }

  /** A mock whose "tools/call" handler answers only once {@code release} completes. */
  private static MockTransport releasedOn(
      CompletableFuture<Void> release, TransportOptions options) {
    return MockTransport.builder()
        .options(options)
        .handle(
            "tools/call",
            request -> {
              awaitRelease(release);
              return JsonRpcResponse.success(request.id(), TestSupport.NODES.objectNode());
            })
        .build();
  }

  private static JsonRpcResponse countAndEcho(
      AtomicInteger counter, JsonRpcRequest request) {
    counter.incrementAndGet();
    return JsonRpcResponse.failure(request.id(), ErrorCodes.INTERNAL_ERROR, "unused");
  }
}
