package dev.gatekit.testkit;

import static dev.gatekit.testkit.TestSupport.PATIENCE;
import static dev.gatekit.testkit.TestSupport.awaitCondition;
import static dev.gatekit.testkit.TestSupport.marked;
import static dev.gatekit.testkit.TestSupport.markerOf;
import static dev.gatekit.testkit.TestSupport.outcomeOf;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Many threads at once: the counters add up exactly, and shutdown races end cleanly. */
class MockTransportStressTest {

  private static final int LIMIT = 8;
  private static final Duration SHORT_TIMEOUT = Duration.ofMillis(5);
  private static final TransportClosedException INJECTED = new TransportClosedException("injected");

  /** What a contention test request asks for, and how often. */
  private enum Kind {
    ANSWER("ok", 55),
    ERROR("error", 10),
    FAILURE("boom", 10),
    NO_ANSWER("hang", 5),
    DROPPED("drop", 5),
    CANCELLED("ok", 15);

    final String method;
    final int weight;

    Kind(String method, int weight) {
      this.method = method;
      this.weight = weight;
    }

    static Kind pick(ThreadLocalRandom random) {
      int roll = random.nextInt(100);
      for (Kind kind : values()) {
        roll -= kind.weight;
        if (roll < 0) {
          return kind;
        }
      }
      throw new AssertionError("weights must add up to 100");
    }
  }

  /** Outcomes one sender saw, by the counter of {@link TransportStats} they must match. */
  private static final class Tally {
    long completed;
    long failed;
    long timedOut;
    long cancelled;
    long rejected;

    void add(Tally other) {
      completed += other.completed;
      failed += other.failed;
      timedOut += other.timedOut;
      cancelled += other.cancelled;
      rejected += other.rejected;
    }

    long total() {
      return completed + failed + timedOut + cancelled + rejected;
    }
  }

  private record Sent(Kind kind, long callerId, int marker, CompletableFuture<JsonRpcResponse> future) {}

  @Test
  void countersAddUpExactlyUnderContention() throws Exception {
    int senders = 8;
    int perSender = 2_000;
    int window = 16;
    TransportOptions options =
        TransportOptions.builder()
            .maxInFlight(LIMIT)
            .overflowPolicy(OverflowPolicy.QUEUE)
            .maxQueued(64)
            .requestTimeout(PATIENCE)
            .build();
    ExecutorService pool = Executors.newFixedThreadPool(senders);
    try (MockTransport mock =
        MockTransport.builder()
            .options(options)
            .latency(request -> Duration.ofNanos(ThreadLocalRandom.current().nextLong(2_000_001)))
            .handle("ok", TestSupport::echoMarker)
            .handle("drop", TestSupport::echoMarker)
            .fault("error", Fault.errorResponse(-32050, "injected"))
            .fault("boom", Fault.exception(INJECTED))
            .fault("hang", Fault.timeout())
            .fault("drop", Fault.droppedReply())
            .build()) {
      mock.start();

      List<Future<Tally>> results = new ArrayList<>();
      for (int sender = 0; sender < senders; sender++) {
        long callerId = sender;
        results.add(pool.submit(() -> sendMany(mock, callerId, perSender, window)));
      }
      Tally seen = new Tally();
      for (Future<Tally> result : results) {
        seen.add(result.get(PATIENCE.toMillis() * 3, TimeUnit.MILLISECONDS));
      }

      TransportStats stats = mock.stats();
      assertThat(seen.total()).isEqualTo((long) senders * perSender);
      assertThat(stats.completed()).isEqualTo(seen.completed);
      assertThat(stats.failed()).isEqualTo(seen.failed);
      assertThat(stats.timedOut()).isEqualTo(seen.timedOut);
      assertThat(stats.cancelled()).isEqualTo(seen.cancelled);
      assertThat(stats.rejected()).isEqualTo(seen.rejected);
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.queued()).isZero();
      assertThat(stats.maxInFlight()).isBetween(1, LIMIT);
      assertThat(stats.sent())
          .isEqualTo(mock.requests().size())
          .isGreaterThanOrEqualTo(seen.completed + seen.failed)
          .isLessThanOrEqualTo(seen.total() - seen.rejected);
      assertThat((long) mock.cancellations().size()).isLessThanOrEqualTo(seen.timedOut + seen.cancelled);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Sends {@code count} requests of mixed kinds, {@code window} at a time, and checks each outcome. */
  private static Tally sendMany(MockTransport mock, long callerId, int count, int window) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Tally tally = new Tally();
    List<Sent> open = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Kind kind = Kind.pick(random);
      int marker = (int) callerId * count + i;
      boolean shortLived = kind == Kind.NO_ANSWER || kind == Kind.DROPPED;
      CompletableFuture<JsonRpcResponse> future =
          shortLived
              ? mock.sendAndReceive(marked(callerId, kind.method, marker), SHORT_TIMEOUT)
              : mock.sendAndReceive(marked(callerId, kind.method, marker));
      if (kind == Kind.CANCELLED) {
        for (int spin = random.nextInt(2_000); spin > 0; spin--) {
          Thread.onSpinWait();
        }
        future.cancel(true);
      }
      open.add(new Sent(kind, callerId, marker, future));
      if (open.size() == window || i == count - 1) {
        open.forEach(sent -> settle(sent, tally));
        open.clear();
      }
    }
    return tally;
  }

  private static void settle(Sent sent, Tally tally) {
    Object outcome = outcomeOf(sent.future());
    if (outcome instanceof JsonRpcResponse response) {
      assertThat(response.id()).isEqualTo(RequestId.of(sent.callerId()));
      assertThat(sent.kind()).isIn(Kind.ANSWER, Kind.CANCELLED, Kind.ERROR);
      if (sent.kind() == Kind.ERROR) {
        assertThat(response.error()).isNotNull();
        assertThat(response.error().code()).isEqualTo(-32050);
      } else {
        assertThat(markerOf(response)).isEqualTo(sent.marker());
      }
      tally.completed++;
    } else if (outcome instanceof CancellationException) {
      assertThat(sent.kind()).isEqualTo(Kind.CANCELLED);
      tally.cancelled++;
    } else if (outcome instanceof RequestTimeoutException) {
      assertThat(sent.kind()).isIn(Kind.NO_ANSWER, Kind.DROPPED);
      tally.timedOut++;
    } else if (outcome instanceof OverloadedException) {
      tally.rejected++;
    } else if (outcome == INJECTED) {
      assertThat(sent.kind()).isEqualTo(Kind.FAILURE);
      tally.failed++;
    } else {
      throw new AssertionError("Unexpected outcome for " + sent.kind(), (Throwable) outcome);
    }
  }

  /**
   * Threads keep sending while another thread closes (or disconnects) the mock: every future ends
   * with its own answer or with {@link TransportClosedException}, and nothing is left in flight.
   */
  @ParameterizedTest(name = "disconnect: {0}")
  @ValueSource(booleans = {false, true})
  void sendsRacingShutdownEitherSucceedOrFailClosed(boolean disconnect) throws Exception {
    int senders = 4;
    ExecutorService pool = Executors.newFixedThreadPool(senders);
    try {
      for (int round = 0; round < 10; round++) {
        raceShutdown(pool, senders, disconnect);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static void raceShutdown(ExecutorService pool, int senders, boolean disconnect)
      throws Exception {
    int mostPerSender = 1_000;
    TransportOptions options =
        TransportOptions.builder()
            .maxInFlight(LIMIT)
            .overflowPolicy(OverflowPolicy.QUEUE)
            .maxQueued(senders * mostPerSender)
            .build();
    MockTransport mock =
        MockTransport.builder()
            .options(options)
            .latency(request -> Duration.ofNanos(ThreadLocalRandom.current().nextLong(1_000_001)))
            .handle("ok", TestSupport::echoMarker)
            .build();
    mock.start();
    AtomicInteger sentSoFar = new AtomicInteger();
    List<Future<List<Sent>>> results = new ArrayList<>();
    for (int sender = 0; sender < senders; sender++) {
      long callerId = sender;
      results.add(
          pool.submit(
              () -> {
                List<Sent> sent = new ArrayList<>();
                for (int i = 0; i < mostPerSender && !mock.state().isTerminal(); i++) {
                  int marker = (int) callerId * mostPerSender + i;
                  sent.add(
                      new Sent(
                          Kind.ANSWER,
                          callerId,
                          marker,
                          mock.sendAndReceive(marked(callerId, "ok", marker))));
                  sentSoFar.incrementAndGet();
                }
                return sent;
              }));
    }
    awaitCondition("the senders are under way", () -> sentSoFar.get() >= 200);
    if (disconnect) {
      mock.disconnect();
    } else {
      mock.close();
    }

    long answered = 0;
    for (Future<List<Sent>> result : results) {
      for (Sent sent : result.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
        Object outcome = outcomeOf(sent.future());
        if (outcome instanceof JsonRpcResponse response) {
          assertThat(response.id()).isEqualTo(RequestId.of(sent.callerId()));
          assertThat(markerOf(response)).isEqualTo(sent.marker());
          answered++;
        } else {
          assertThat(outcome).isInstanceOf(TransportClosedException.class);
        }
      }
    }
    TransportStats stats = mock.stats();
    assertThat(stats.completed()).isEqualTo(answered);
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.queued()).isZero();
    assertThat(stats.maxInFlight()).isLessThanOrEqualTo(LIMIT);
    mock.close();
  }
}
