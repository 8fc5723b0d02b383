package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.testkit.server.TestServer;
import dev.gatekit.transport.stdio.internal.SharedExecutors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edges a concurrency review found: huge queues at close, crash loops, orphans, odd timeouts. */
class StdioTransportEdgeCasesTest {

  private StdioTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
  }

  @Test
  void closingWithThousandsQueuedFailsThemAllAndStopsTheServer() throws Exception {
    transport =
        TestUpstream.start(
            TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).maxQueued(10_000).build());
    ProcessHandle server = ProcessHandle.of(transport.pid()).orElseThrow();
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      futures.add(transport.sendAndReceive(call(i, "sleep", "ms", 60_000)));
    }
    transport.close();
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((r, e) -> null).get(30, TimeUnit.SECONDS);
    assertThat(futures).allSatisfy(f -> assertThatThrownBy(f::join).cause().isInstanceOf(TransportClosedException.class));
    assertThat(transport.stats().inFlight()).isZero();
    assertThat(transport.stats().queued()).isZero();
    assertThat(transport.stats().sent()).as("queued requests never count as sent").isEqualTo(1);
    assertThat(server.isAlive()).isFalse();
  }

  @Test
  void aServerDyingWithThousandsQueuedFailsThemWithItsExitCode() throws Exception {
    transport =
        TestUpstream.start(
            TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).maxQueued(10_000).build(),
            "--exit-after", "1", "--exit-code", "9");
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    futures.add(transport.sendAndReceive(call(0, "echo", "text", "first")));
    for (int i = 1; i < 3_000; i++) {
      futures.add(transport.sendAndReceive(call(i, "echo", "text", "x")));
    }
    assertThat(text(futures.get(0).get(30, TimeUnit.SECONDS))).isEqualTo("first");
    CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((r, e) -> null).get(30, TimeUnit.SECONDS);
    for (CompletableFuture<JsonRpcResponse> future : futures.subList(1, futures.size())) {
      assertThatThrownBy(future::join).cause().isInstanceOf(TransportClosedException.class).hasMessageContaining("code 9");
    }
    assertThat(transport.pendingCount()).isZero();
    assertThat(transport.stats().queued()).isZero();
  }

  @Test
  void aCrashLoopStopsAfterTheRestartLimitEvenThoughTheHandshakeReplaySucceeds() throws Exception {
    // Each run answers one request — the replayed initialize after a restart — and exits.
    transport =
        TestUpstream.builder("--exit-after", "1")
            .restartPolicy(new RestartPolicy(2, Duration.ofMillis(10), Duration.ofMillis(20)))
            .build();
    transport.start();
    assertThat(transport.sendAndReceive(initialize()).get(30, TimeUnit.SECONDS).isError()).isFalse();
    TestUpstream.await("gave up", () -> transport.state() == TransportState.FAILED);
    assertThat(transport.stats().restarts()).isEqualTo(2);
  }

  @Test
  void completingTheReturnedFutureFromOutsideAbandonsTheRequest() throws Exception {
    transport = TestUpstream.start(TransportOptions.builder().maxInFlight(1).build());
    TestUpstream.resetServerStats(transport);
    CompletableFuture<JsonRpcResponse> slow = transport.sendAndReceive(call(1, "sleep", "ms", 60_000));
    assertThatThrownBy(() -> slow.orTimeout(100, TimeUnit.MILLISECONDS).join()).hasCauseInstanceOf(TimeoutException.class);
    TestUpstream.await("slot freed", () -> transport.stats().inFlight() == 0);
    assertThat(transport.pendingCount()).isZero();
    // The only slot is free again, and the server was told: the cancellation is written just after
    // the slot is freed, so it may still be on its way.
    TestUpstream.await("the cancellation reached the server", () -> cancelledIds().size() == 1);
    assertThat(cancelledIds()).hasSize(1);
  }

  @Test
  void aTimeoutTooLongForNanosecondsStillWorks() throws Exception {
    transport = TestUpstream.start();
    JsonRpcResponse response =
        transport.sendAndReceive(call(1, "echo", "text", "forever"), Duration.ofSeconds(Long.MAX_VALUE)).get(30, TimeUnit.SECONDS);
    assertThat(text(response)).isEqualTo("forever");
    assertThat(transport.pendingCount()).isZero();
  }

  @Test
  void aDeadServersLeftoverChildIsEnded(@TempDir Path dir) throws Exception {
    // A launcher whose child outlives it and keeps stdout open: the reader never sees the end.
    Path pidFile = dir.resolve("child.pid");
    String server = TestServer.command("--exit-after", "1").stream().map(a -> "'" + a + "'").collect(Collectors.joining(" "));
    transport =
        StdioTransport.builder("/bin/sh", "-c", "sleep 300 & echo $! > '" + pidFile + "'; exec " + server)
            .name("leaky")
            .shutdownGracePeriods(Duration.ofSeconds(2), Duration.ofSeconds(2))
            .build();
    transport.start();
    assertThat(text(transport.sendAndReceive(call(1, "echo", "text", "x")).get(30, TimeUnit.SECONDS))).isEqualTo("x");
    TestUpstream.await("the server's death noticed", () -> transport.state() == TransportState.FAILED);
    long childPid = Long.parseLong(Files.readString(pidFile).trim());
    TestUpstream.await(
        "the orphaned child ended", () -> ProcessHandle.of(childPid).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void aQueuedRequestWhoseDeadlinePassedIsFailedWithoutBeingSent() throws Exception {
    transport =
        TestUpstream.start(
            TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).build());
    long before = TestUpstream.serverStats(transport).get("requests").asLong();
    CompletableFuture<JsonRpcResponse> blocker = transport.sendAndReceive(call(0, "sleep", "ms", 60_000));
    // Hold the timeout thread, as a burst of expiring timers does, so that only the deadline check
    // on a freed slot can keep the expired requests off the wire.
    CountDownLatch timersHeld = new CountDownLatch(1);
    CountDownLatch releaseTimers = new CountDownLatch(1);
    SharedExecutors.timeouts().execute(() -> {
      timersHeld.countDown();
      try {
        releaseTimers.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      assertThat(timersHeld.await(30, TimeUnit.SECONDS)).isTrue();
      List<CompletableFuture<JsonRpcResponse>> expiring = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        expiring.add(transport.sendAndReceive(call(i, "echo", "text", "late " + i), Duration.ofMillis(100)));
      }
      // Taken after the last expiring request was queued: once it passes, every one's deadline has.
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
      List<CompletableFuture<JsonRpcResponse>> inTime = new ArrayList<>();
      for (int i = 21; i <= 25; i++) {
        inTime.add(transport.sendAndReceive(call(i, "echo", "text", "in time " + i)));
      }
      TestUpstream.await("the queued deadlines passed", () -> System.nanoTime() - deadline > 0);
      blocker.cancel(true); // frees the slot: the queue is served now, its timers still held

      for (CompletableFuture<JsonRpcResponse> future : expiring) {
        assertThatThrownBy(() -> future.get(30, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(RequestTimeoutException.class)
            .hasMessageContaining("100 ms");
      }
      for (int i = 0; i < inTime.size(); i++) {
        assertThat(text(inTime.get(i).get(30, TimeUnit.SECONDS))).isEqualTo("in time " + (21 + i));
      }
    } finally {
      releaseTimers.countDown();
    }
    // The server saw the first stats call, the blocker, the five in time and this stats call.
    assertThat(TestUpstream.serverStats(transport).get("requests").asLong() - before).isEqualTo(7);
    assertThat(transport.stats().timedOut()).isEqualTo(20);
    assertThat(transport.stats().sent()).isEqualTo(1 + 1 + 5 + 1);
    assertThat(transport.pendingCount()).isZero();
  }

  private List<Long> cancelledIds() {
    try {
      return TestUpstream.cancelledIds(transport);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonRpcRequest initialize() {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "test").put("version", "1");
    return new JsonRpcRequest(RequestId.of(1), McpMethods.INITIALIZE, params);
  }
}
