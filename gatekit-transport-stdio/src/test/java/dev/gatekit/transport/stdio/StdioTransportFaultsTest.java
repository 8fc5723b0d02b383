package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.transport.stdio.internal.SharedExecutors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server that misbehaves: bad output is dropped and the connection goes on; a server that dies
 * fails everything pending at once; timeouts and cancellations are told upstream.
 */
class StdioTransportFaultsTest {

  private static final TransportOptions QUEUEING =
      TransportOptions.builder().overflowPolicy(OverflowPolicy.QUEUE).build();

  private StdioTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
  }

  @ParameterizedTest(name = "server flag {0}: every request still gets its own answer")
  @ValueSource(strings = {"--garbage", "--invalid-utf8", "--unknown-id", "--duplicate-id"})
  void badOutputIsDroppedAndTheConnectionGoesOn(String flag) throws Exception {
    transport = TestUpstream.start(QUEUEING, flag);
    assertEveryCallAnsweredCorrectly(200);
    assertThat(transport.state()).isEqualTo(TransportState.RUNNING);
  }

  @ParameterizedTest(name = "a response with {0} fails its request at once with -32603")
  @ValueSource(strings = {"both", "utf8", "bad-error", "batch-invalid"})
  void anInvalidResponseThatNamesItsRequestFailsItAtOnce(String kind) throws Exception {
    transport = TestUpstream.start(); // the default request timeout: 60 s
    CompletableFuture<JsonRpcResponse> future =
        transport.sendAndReceive(call(RequestId.of("mine"), "invalid_answer", "kind", kind));
    assertThatThrownBy(() -> future.get(20, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(ProtocolException.class)
        .hasMessageStartingWith("Upstream 'test' sent an invalid response: ")
        .satisfies(
            e -> {
              assertThat(((ProtocolException) e).errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
              assertThat(((ProtocolException) e).id()).isEqualTo(RequestId.of("mine"));
              assertThat(e.getMessage()).doesNotContain("and an error").doesNotContain("not an object");
            });
    assertThat(transport.stats().failed()).isEqualTo(1);
    assertThat(transport.stats().inFlight()).isZero();
    assertThat(transport.pendingCount()).isZero();
    // Nothing else broke.
    assertEveryCallAnsweredCorrectly(20);
    assertThat(transport.state()).isEqualTo(TransportState.RUNNING);
  }

  @Test
  void aJsonArrayOfMessagesIsTakenElementByElement() throws Exception {
    ConcurrentLinkedQueue<JsonRpcNotification> notifications = new ConcurrentLinkedQueue<>();
    transport = TestUpstream.builder().build();
    transport.setInboundHandler(
        new InboundHandler() {
          @Override
          public void onNotification(JsonRpcNotification notification) {
            notifications.add(notification);
          }

          @Override
          public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
          }
        });
    transport.start();
    JsonRpcResponse response =
        transport.sendAndReceive(call(7, "invalid_answer", "kind", "batch")).get(20, TimeUnit.SECONDS);
    assertThat(response.id()).isEqualTo(RequestId.of(7));
    assertThat(text(response)).isEqualTo("in a batch");
    // The notification came before the response in the array, so it was delivered first.
    assertThat(notifications).extracting(JsonRpcNotification::method).containsExactly("notifications/message");
    assertEveryCallAnsweredCorrectly(20);
  }

  @Test
  void anOversizeLineIsReadPastAndTheConnectionGoesOn() throws Exception {
    // 3 MiB lines against a 1 MiB limit, before every response.
    transport =
        TestUpstream.builder("--oversize-line", String.valueOf(3 * 1024 * 1024))
            .maxLineLength(1024 * 1024)
            .options(QUEUEING)
            .build();
    transport.start();
    assertEveryCallAnsweredCorrectly(20);
    assertThat(transport.stats().dropped()).as("one oversize line before each response").isGreaterThanOrEqualTo(20);
  }

  @Test
  void aServerFloodingStderrDoesNotBlock() throws Exception {
    transport = TestUpstream.start(QUEUEING, "--stderr-flood", String.valueOf(8 * 1024 * 1024));
    assertEveryCallAnsweredCorrectly(500);
  }

  @Test
  void aSlowStartingServerGetsItsRequestsOnceItReads() throws Exception {
    transport = TestUpstream.start(QUEUEING, "--start-delay", "500");
    assertEveryCallAnsweredCorrectly(50);
  }

  @Test
  void aTimeoutFailsTheRequestAndSendsOneCancellationWithTheWireId() throws Exception {
    transport = TestUpstream.start("--never-answer", "echo");
    TestUpstream.resetServerStats(transport);
    CompletableFuture<JsonRpcResponse> future =
        transport.sendAndReceive(call(42, "echo", "text", "lost"), Duration.ofMillis(200));
    assertThatThrownBy(() -> future.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(RequestTimeoutException.class)
        .hasMessageContaining("tools/call")
        .hasMessageContaining("200 ms");
    TestUpstream.await("the cancellation reached the server", () -> cancelled().size() == 1);
    // The wire id is the transport's own (a number), not the caller's 42.
    assertThat(cancelled().get(0)).isNotEqualTo(42L);
    assertThat(transport.stats().timedOut()).isEqualTo(1);
    assertThat(transport.pendingCount()).isZero();
    assertThat(transport.stats().inFlight()).isZero();
  }

  @Test
  void cancellingTheFutureTellsTheServerOnceAndItsAnswerNeverArrives() throws Exception {
    transport = TestUpstream.start();
    TestUpstream.resetServerStats(transport);
    CompletableFuture<JsonRpcResponse> future = transport.sendAndReceive(call(1, "sleep", "ms", 60_000));
    TestUpstream.await("the call is in flight on the server", () -> serverInFlight() == 1);
    assertThat(future.cancel(true)).isTrue();
    future.cancel(true);
    TestUpstream.await("the cancellation reached the server", () -> cancelled().size() == 1);
    assertThat(serverInFlight()).isZero();
    assertThat(transport.stats().cancelled()).isEqualTo(1);
    assertThat(transport.pendingCount()).isZero();
    // The connection is fine afterwards.
    assertThat(text(transport.sendAndReceive(call(2, "echo", "text", "still here")).get(30, TimeUnit.SECONDS)))
        .isEqualTo("still here");
  }

  @Test
  void aServerThatExitsFailsPendingRequestsAtOnceNamingTheExitCodeAndStderr() throws Exception {
    // 20 long sleeps, then an echo: the server answers the echo (request 21) and exits with code 7.
    transport = TestUpstream.start("--exit-after", "21", "--exit-code", "7");
    List<CompletableFuture<JsonRpcResponse>> sleeps = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sleeps.add(transport.sendAndReceive(call(i, "sleep", "ms", 60_000)));
    }
    assertThat(text(transport.sendAndReceive(call(100, "echo", "text", "last")).get(30, TimeUnit.SECONDS)))
        .isEqualTo("last");
    for (CompletableFuture<JsonRpcResponse> sleep : sleeps) {
      assertThatThrownBy(() -> sleep.get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(TransportClosedException.class)
          .hasMessageContaining("exited with code 7")
          .hasMessageContaining("--exit-after");
    }
    TestUpstream.await("the transport noticed", () -> transport.state() == TransportState.FAILED);
    assertThatThrownBy(() -> transport.sendAndReceive(call(9, "echo", "text", "x")).get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TransportClosedException.class)
        .hasMessageContaining("exited with code 7");
    assertThat(transport.pendingCount()).isZero();
    assertThat(transport.stats().deaths()).isEqualTo(1);
  }

  @Test
  void theClosedErrorKeepsTheUpstreamsStderrApartFromWhatAClientMaySee() throws Exception {
    transport = TestUpstream.start("--exit-after", "1", "--exit-code", "7");
    CompletableFuture<JsonRpcResponse> first = transport.sendAndReceive(call(1, "echo", "text", "x"));
    CompletableFuture<JsonRpcResponse> lost = transport.sendAndReceive(call(2, "sleep", "ms", 60_000));
    first.get(30, TimeUnit.SECONDS);
    TransportClosedException failure = closedCause(lost);
    assertThat(failure.clientMessage()).isEqualTo("Upstream 'test' exited with code 7");
    assertThat(failure.exitCode()).hasValue(7);
    assertThat(failure.stderrTail()).anySatisfy(line -> assertThat(line).contains("--exit-after"));
    assertThat(failure.getMessage())
        .startsWith(failure.clientMessage())
        .contains(failure.stderrTail().get(failure.stderrTail().size() - 1));
    // Every later call is refused with the same parts, and still no upstream text for clients.
    TransportClosedException later = closedCause(transport.sendAndReceive(call(3, "echo", "text", "y")));
    assertThat(later.clientMessage()).isEqualTo("Upstream 'test' exited with code 7");
    assertThat(later.exitCode()).hasValue(7);
    assertThat(later.getMessage()).contains("--exit-after");
  }

  @Test
  void aServerThatExitsAtOnceIsReportedWithItsStderr() {
    transport = TestUpstream.start("--exit-now", "5");
    TestUpstream.await("the transport noticed", () -> transport.state() == TransportState.FAILED);
    assertThatThrownBy(() -> transport.sendAndReceive(call(1, "echo", "text", "x")).get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(TransportClosedException.class)
        .hasMessageContaining("exited with code 5")
        .hasMessageContaining("--exit-now");
  }

  @Test
  void killingTheServerWithAThousandRequestsPendingFailsThemAllWithinASecond() throws Exception {
    // One slot more than the sleeps, for asking the server how many it holds.
    transport = TestUpstream.start(TransportOptions.builder().maxInFlight(1001).build());
    TestUpstream.resetServerStats(transport);
    List<CompletableFuture<JsonRpcResponse>> pending = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      pending.add(transport.sendAndReceive(call(i, "sleep", "ms", 60_000)));
    }
    TestUpstream.await("all 1000 are in flight on the server", () -> serverInFlight() == 1000);

    long killedAt = System.nanoTime();
    ProcessHandle.of(transport.pid()).orElseThrow().destroyForcibly();
    CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
        .handle((r, e) -> null)
        .get(30, TimeUnit.SECONDS);
    long failedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);

    assertThat(pending)
        .allSatisfy(
            f ->
                assertThatThrownBy(f::join)
                    .cause()
                    .isInstanceOf(TransportClosedException.class)
                    .hasMessageContaining("exited with code 137"));
    assertThat(failedAfterMillis).as("ms from kill -9 to the last failure").isLessThan(1_000);
    assertThat(transport.pendingCount()).isZero();
    assertThat(transport.stats().inFlight()).isZero();
    assertThat(transport.stats().failed()).isEqualTo(1000);
  }

  @Test
  void aReaderKilledByAnErrorEndsTheRunAsAFailureAndTheRestartPolicyApplies() throws Exception {
    // The reader hands unasked messages to the callback executor: one that throws an Error there
    // kills the reader, as an OutOfMemoryError would.
    AtomicBoolean armed = new AtomicBoolean();
    Executor callbacks =
        task -> {
          if (armed.getAndSet(false)) {
            throw new StackOverflowError("injected");
          }
          SharedExecutors.callbacks().execute(task);
        };
    transport =
        TestUpstream.builder()
            .callbackExecutor(callbacks)
            .restartPolicy(new RestartPolicy(1, Duration.ofMillis(10), Duration.ofMillis(10)))
            .build();
    transport.start();
    assertThat(text(transport.sendAndReceive(call(1, "echo", "text", "before")).get(30, TimeUnit.SECONDS)))
        .isEqualTo("before");
    ProcessHandle first = ProcessHandle.of(transport.pid()).orElseThrow();

    armed.set(true);
    CompletableFuture<JsonRpcResponse> notify = transport.sendAndReceive(call(2, "notify"));
    Throwable failure = notify.handle((response, error) -> error).get(30, TimeUnit.SECONDS);

    assertThat(failure).isInstanceOf(TransportClosedException.class);
    assertThat(((TransportClosedException) failure).clientMessage())
        .isEqualTo("Upstream 'test' failed: its reader thread died of java.lang.StackOverflowError");
    TestUpstream.await("restarted", () -> transport.state() == TransportState.RUNNING && transport.pid() != first.pid());
    assertThat(transport.stats().restarts()).isEqualTo(1);
    assertThat(text(transport.sendAndReceive(call(3, "echo", "text", "after")).get(30, TimeUnit.SECONDS)))
        .isEqualTo("after");
    TestUpstream.await("the first run's process ended", () -> !first.isAlive());
  }

  @Test
  void aCommandThatCannotStartFailsStartWithTheReason() {
    transport = StdioTransport.builder("/nonexistent/mcp-server", "--flag").name("ghost").build();
    assertThatThrownBy(transport::start)
        .isInstanceOf(TransportClosedException.class)
        .hasMessageContaining("Cannot start upstream 'ghost'")
        .hasMessageContaining("/nonexistent/mcp-server")
        .extracting(e -> ((TransportClosedException) e).clientMessage())
        .isEqualTo("Cannot start upstream 'ghost'");
    assertThat(transport.state()).isEqualTo(TransportState.FAILED);
  }

  private void assertEveryCallAnsweredCorrectly(int n) throws Exception {
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      futures.add(transport.sendAndReceive(call(RequestId.of(i), "echo", "text", "message " + i)));
    }
    for (int i = 0; i < n; i++) {
      JsonRpcResponse response = futures.get(i).get(30, TimeUnit.SECONDS);
      assertThat(response.id()).isEqualTo(RequestId.of(i));
      assertThat(text(response)).isEqualTo("message " + i);
    }
    assertThat(transport.pendingCount()).isZero();
  }

  private static TransportClosedException closedCause(CompletableFuture<JsonRpcResponse> future) {
    Throwable cause = null;
    try {
      future.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      cause = e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(cause).isInstanceOf(TransportClosedException.class);
    return (TransportClosedException) cause;
  }

  private List<Long> cancelled() {
    try {
      return TestUpstream.cancelledIds(transport);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private int serverInFlight() {
    try {
      return TestUpstream.serverStats(transport).get("inFlight").asInt();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
