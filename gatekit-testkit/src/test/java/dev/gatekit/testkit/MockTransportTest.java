package dev.gatekit.testkit;

import static dev.gatekit.testkit.TestSupport.NODES;
import static dev.gatekit.testkit.TestSupport.PATIENCE;
import static dev.gatekit.testkit.TestSupport.marked;
import static dev.gatekit.testkit.TestSupport.outcomeOf;
import static dev.gatekit.testkit.TestSupport.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Answers, life cycle, records and unasked messages of {@link MockTransport}. */
class MockTransportTest {

  @Test
  void answersWithTheHandlersResponseUnderTheCallersId() {
    try (MockTransport mock =
        MockTransport.builder()
            .handle(
                "tools/call",
                request -> JsonRpcResponse.success(RequestId.of(999), NODES.textNode("done")))
            .build()) {
      mock.start();
      JsonRpcRequest request = new JsonRpcRequest(RequestId.of("abc"), "tools/call", null);

      JsonRpcResponse response = mock.sendAndReceive(request).join();

      assertThat(response.id()).isEqualTo(RequestId.of("abc"));
      assertThat(response.result()).isEqualTo(NODES.textNode("done"));
      assertThat(mock.requests()).containsExactly(request);
      assertThat(mock.stats().completed()).isEqualTo(1);
    }
  }

  @Test
  void answersWithACannedResult() {
    var tools = NODES.objectNode().set("tools", NODES.arrayNode());
    try (MockTransport mock = MockTransport.builder().result("tools/list", tools).build()) {
      mock.start();

      JsonRpcResponse response = mock.sendAndReceive(request(7, "tools/list")).join();

      assertThat(response).isEqualTo(JsonRpcResponse.success(RequestId.of(7), tools));
    }
  }

  @Test
  void answersAnUnknownMethodWithMethodNotFound() {
    try (MockTransport mock = MockTransport.builder().build()) {
      mock.start();

      JsonRpcResponse response = mock.sendAndReceive(request(1, "no/such")).join();

      assertThat(response.id()).isEqualTo(RequestId.of(1));
      assertThat(response.error()).isNotNull();
      assertThat(response.error().code()).isEqualTo(ErrorCodes.METHOD_NOT_FOUND);
      assertThat(mock.stats().completed()).isEqualTo(1);
    }
  }

  @Test
  void answersAHandlerThatThrowsWithAnInternalError() {
    try (MockTransport mock =
        MockTransport.builder()
            .handle(
                "tools/call",
                request -> {
                  throw new IllegalStateException("handler bug");
                })
            .build()) {
      mock.start();

      JsonRpcResponse response = mock.sendAndReceive(request(3, "tools/call")).join();

      assertThat(response.id()).isEqualTo(RequestId.of(3));
      assertThat(response.error()).isNotNull();
      assertThat(response.error().code()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
      assertThat(response.error().message()).contains("handler bug");
    }
  }

  @Test
  void latencyIsChosenPerRequest() {
    try (MockTransport mock =
        MockTransport.builder()
            .handle("echo", TestSupport::echoMarker)
            .latency(request -> request.method().equals("slow") ? Duration.ofHours(1) : Duration.ZERO)
            .handle("slow", TestSupport::echoMarker)
            .build()) {
      mock.start();
      CompletableFuture<JsonRpcResponse> slow = mock.sendAndReceive(marked(1, "slow", 1));

      JsonRpcResponse fast = mock.sendAndReceive(marked(2, "echo", 2)).join();

      assertThat(TestSupport.markerOf(fast)).isEqualTo(2);
      assertThat(slow).isNotDone();
      assertThat(mock.stats().inFlight()).isEqualTo(1);
    }
  }

  @Test
  void refusesRequestsBeforeStart() {
    try (MockTransport mock = MockTransport.builder().build()) {
      assertThat(mock.state()).isEqualTo(TransportState.NEW);

      assertThat(outcomeOf(mock.sendAndReceive(request(1, "ping"))))
          .isInstanceOf(TransportClosedException.class);
      assertThatThrownBy(() -> mock.sendNotification(new JsonRpcNotification("n", null)))
          .isInstanceOf(TransportClosedException.class);
      assertThat(mock.stats()).isEqualTo(new TransportStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
      assertThat(mock.requests()).isEmpty();
    }
  }

  @Test
  void startRunsOnceAndCloseIsFinal() {
    MockTransport mock = MockTransport.builder().build();
    mock.start();
    mock.start();
    assertThat(mock.state()).isEqualTo(TransportState.RUNNING);

    mock.close();
    mock.close();

    assertThat(mock.state()).isEqualTo(TransportState.CLOSED);
    assertThatThrownBy(mock::start).isInstanceOf(TransportClosedException.class);
    assertThat(outcomeOf(mock.sendAndReceive(request(1, "ping"))))
        .isInstanceOf(TransportClosedException.class);
  }

  @Test
  void closeStopsTheMocksThreads() {
    CompletableFuture<String> workerName = new CompletableFuture<>();
    MockTransport mock =
        MockTransport.builder()
            .latency(Duration.ofMillis(1))
            .handle(
                "whoami",
                request -> {
                  workerName.complete(Thread.currentThread().getName());
                  return JsonRpcResponse.success(request.id(), NODES.objectNode());
                })
            .build();
    mock.start();
    mock.sendAndReceive(request(1, "whoami")).join();
    String mockPrefix = workerName.join().substring(0, workerName.join().indexOf("-worker-"));

    mock.close();

    TestSupport.awaitCondition(
        "the threads of " + mockPrefix + " have stopped",
        () ->
            Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.getName().startsWith(mockPrefix + "-")));
  }

  @Test
  void recordsRequestsAndNotificationsInOrder() {
    try (MockTransport mock = MockTransport.builder().build()) {
      mock.start();
      JsonRpcNotification first = new JsonRpcNotification("notifications/initialized", null);
      JsonRpcNotification second =
          new JsonRpcNotification("notifications/progress", NODES.objectNode().put("progress", 1));

      mock.sendNotification(first);
      mock.sendAndReceive(request(1, "a")).join();
      mock.sendAndReceive(request(2, "b")).join();
      mock.sendNotification(second);

      assertThat(mock.notifications()).containsExactly(first, second);
      assertThat(mock.requests()).containsExactly(request(1, "a"), request(2, "b"));
      assertThat(mock.cancellations()).isEmpty();
    }
  }

  @Test
  void rejectsInvalidArguments() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> MockTransport.builder().latency(Duration.ofMillis(-1)));
    try (MockTransport mock =
        MockTransport.builder().latency(request -> Duration.ofMillis(-5)).build()) {
      mock.start();
      assertThatIllegalArgumentException().isThrownBy(() -> mock.sendAndReceive(request(1, "a")));
      assertThatIllegalArgumentException()
          .isThrownBy(() -> mock.sendAndReceive(request(1, "a"), Duration.ZERO));
      assertThat(mock.stats().sent()).isZero();
    }
  }

  @Test
  void deliversUnaskedMessagesToTheHandlerInOrderOffTheCallersThread() {
    List<String> seen = new CopyOnWriteArrayList<>();
    List<Thread> threads = new CopyOnWriteArrayList<>();
    try (MockTransport mock = MockTransport.builder().build()) {
      mock.setInboundHandler(
          new InboundHandler() {
            @Override
            public void onNotification(JsonRpcNotification notification) {
              threads.add(Thread.currentThread());
              seen.add(notification.method());
            }

            @Override
            public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
              seen.add(request.method());
              return CompletableFuture.completedFuture(
                  JsonRpcResponse.success(RequestId.of(0), NODES.objectNode().put("ok", true)));
            }
          });
      mock.start();

      for (int i = 0; i < 200; i++) {
        mock.emitNotification(new JsonRpcNotification("n" + i, null));
      }
      JsonRpcResponse answer =
          mock.emitRequest(new JsonRpcRequest(RequestId.of("s1"), "sampling/createMessage", null))
              .orTimeout(PATIENCE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
              .join();

      assertThat(answer.id()).isEqualTo(RequestId.of("s1"));
      assertThat(answer.result()).isEqualTo(NODES.objectNode().put("ok", true));
      assertThat(seen).hasSize(201).endsWith("sampling/createMessage");
      for (int i = 0; i < 200; i++) {
        assertThat(seen.get(i)).isEqualTo("n" + i);
      }
      assertThat(threads).doesNotContain(Thread.currentThread());
    }
  }

  @Test
  void answersAnUnaskedRequestWithAnInternalErrorWhenTheHandlerFails() {
    try (MockTransport mock = MockTransport.builder().build()) {
      mock.setInboundHandler(
          new InboundHandler() {
            @Override
            public void onNotification(JsonRpcNotification notification) {}

            @Override
            public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
              return CompletableFuture.failedFuture(new IllegalStateException("no model"));
            }
          });
      mock.start();

      Object answer = outcomeOf(mock.emitRequest(request(4, "sampling/createMessage")));

      assertThat(answer).isInstanceOfSatisfying(
          JsonRpcResponse.class,
          response -> {
            assertThat(response.id()).isEqualTo(RequestId.of(4));
            assertThat(response.error()).isNotNull();
            assertThat(response.error().code()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
          });
    }
  }

  @Test
  void refusesUnaskedRequestsWithoutAHandler() {
    try (MockTransport mock = MockTransport.builder().build()) {
      mock.start();

      Object answer = outcomeOf(mock.emitRequest(request(5, "roots/list")));

      assertThat(answer).isInstanceOfSatisfying(
          JsonRpcResponse.class,
          response -> assertThat(response.error().code()).isEqualTo(ErrorCodes.METHOD_NOT_FOUND));
    }
  }

  @Test
  void emittingNeedsARunningMock() {
    try (MockTransport mock = MockTransport.builder().build()) {
      assertThatIllegalStateException()
          .isThrownBy(() -> mock.emitNotification(new JsonRpcNotification("n", null)));
    }
  }
}
