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
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The correlator on its own, against an in-memory "upstream" that answers on other threads: the
 * races between response, timeout, cancellation, queueing and connection death.
 */
class PendingRequestsTest {

  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final ScheduledExecutorService upstreamThreads = Executors.newScheduledThreadPool(2);
  private final ExecutorService callbacks = Executors.newCachedThreadPool(named("callback"));
  private final ManualTimers timers = new ManualTimers();
  /** Plays the connection's reader: reports responses (and deaths). */
  private final ExecutorService reader = Executors.newSingleThreadExecutor(named("reader"));
  /** Ends requests some other way, racing the reader. */
  private final ExecutorService rival = Executors.newSingleThreadExecutor(named("rival"));
  private final ConcurrentLinkedQueue<JsonRpcMessage> written = new ConcurrentLinkedQueue<>();
  private volatile @Nullable JsonRpcRequest lastSent;

  @AfterEach
  void stop() {
    upstreamThreads.shutdownNow();
    callbacks.shutdownNow();
    timers.shutdownNow();
    reader.shutdownNow();
    rival.shutdownNow();
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
    // The timeout scheduler hands the timeout to the waiting caller first, then writes the
    // cancellation: it may not be written yet when get() throws.
    awaitUntil("the cancellation written", () -> !cancellations().isEmpty());
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
  void aQueuedRequestPastItsDeadlineIsNeverSentWhateverWinsTheRaceBetweenSlotAndTimer() throws Exception {
    for (int round = 0; round < 1_000; round++) {
      written.clear();
      PendingRequests pending =
          silent(TransportOptions.builder().maxInFlight(1).overflowPolicy(OverflowPolicy.QUEUE).build(), timers);
      CompletableFuture<JsonRpcResponse> first =
          pending.send(request(RequestId.of(1), "first"), Duration.ofSeconds(30), () -> null);
      timers.takeTimeout(); // the first request's, never run
      long queuedAt = System.nanoTime();
      CompletableFuture<JsonRpcResponse> late =
          pending.send(request(RequestId.of(2), "late"), Duration.ofNanos(1), () -> null);
      Runnable lateTimeout = timers.takeTimeout();
      awaitUntil("the deadline passed", () -> System.nanoTime() - queuedAt > 1);
      JsonRpcRequest sent = sentRequests().get(0);
      CountDownLatch go = new CountDownLatch(1);
      Future<?> slotFrees = reader.submit(() -> awaitThen(go, () -> answer(pending, sent)));
      Future<?> timerFires = rival.submit(() -> awaitThen(go, lateTimeout));
      go.countDown();
      slotFrees.get(10, TimeUnit.SECONDS);
      timerFires.get(10, TimeUnit.SECONDS);

      assertThat(first.get(10, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of(1));
      assertThatThrownBy(() -> late.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(RequestTimeoutException.class);
      assertThat(sentRequests()).as("round %d: requests written", round).hasSize(1);
      assertThat(cancellations()).isEmpty();
      TransportStats stats = pending.stats();
      assertThat(stats.timedOut()).isEqualTo(1);
      assertThat(stats.sent()).isEqualTo(1);
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.queued()).isZero();
      assertThat(pending.size()).isZero();
    }
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

  // --- A caller blocked in join()/get() is handed the outcome by the thread that learnt it, and
  // completes the future on its own thread; otherwise the callback executor does. Either way no
  // stage ever runs on the thread that learnt the outcome. ----------------------------------------

  enum Wait {
    JOIN,
    GET,
    GET_WITH_TIMEOUT
  }

  @ParameterizedTest
  @EnumSource(Wait.class)
  void aBlockedCallerIsHandedTheResponseAndCompletesTheFutureOnItsOwnThread(Wait how) throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults(), timers);
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of("caller-7"), "m"), Duration.ofSeconds(30), () -> null);
    AtomicReference<Thread> applyThread = new AtomicReference<>();
    AtomicReference<Thread> whenCompleteThread = new AtomicReference<>();
    CompletableFuture<String> applied =
        future.thenApply(
            r -> {
              applyThread.set(Thread.currentThread());
              return r.result().get("echo").asText();
            });
    future.whenComplete((r, e) -> whenCompleteThread.set(Thread.currentThread()));
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread caller = new Thread(() -> outcome.set(waitFor(future, how)), "caller");
    caller.start();
    awaitBlocked(caller);

    JsonRpcRequest sent = sentRequest();
    Thread readerThread = reader.submit(() -> {
          answer(pending, sent);
          return Thread.currentThread();
        })
        .get(10, TimeUnit.SECONDS);
    caller.join(10_000);

    assertThat(caller.isAlive()).isFalse();
    assertThat(outcome.get()).isInstanceOfSatisfying(JsonRpcResponse.class, response -> {
      assertThat(response.id()).isEqualTo(RequestId.of("caller-7"));
      assertThat(response.result().get("echo").asText()).isEqualTo("m");
    });
    // The caller completed the future: the stages ran on its thread, not on the reader's.
    assertThat(applyThread.get()).isSameAs(caller).isNotSameAs(readerThread);
    assertThat(whenCompleteThread.get()).isSameAs(caller);
    assertThat(applied.getNow("not run")).isEqualTo("m");
    assertThat(timers.scheduled).singleElement().satisfies(task -> assertThat(task.isCancelled()).isTrue());
    assertThat(pending.size()).isZero();
    assertThat(pending.stats().completed()).isEqualTo(1);
  }

  @Test
  void aTimedGetThatRunsOutLeavesTheRequestPendingAndALaterResponseStillCompletesIt() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of("c"), "late"), Duration.ofSeconds(30), () -> null);
    AtomicReference<Thread> stageThread = new AtomicReference<>();
    CountDownLatch stageRan = new CountDownLatch(1);
    future.whenComplete(
        (r, e) -> {
          stageThread.set(Thread.currentThread());
          stageRan.countDown();
        });

    assertThatThrownBy(() -> future.get(50, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
    assertThatThrownBy(() -> future.get(1, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
    assertThat(future).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
    assertThat(pending.stats().inFlight()).isEqualTo(1);
    assertThat(pending.stats().timedOut()).isZero();

    // Nobody waits any more: the callback executor completes the future.
    JsonRpcRequest sent = sentRequest();
    reader.submit(() -> answer(pending, sent)).get(10, TimeUnit.SECONDS);
    assertThat(stageRan.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(stageThread.get().getName()).startsWith("callback-");
    assertThat(future.getNow(null)).isNotNull().extracting(JsonRpcResponse::id).isEqualTo(RequestId.of("c"));
    assertThat(pending.size()).isZero();
    assertThat(pending.stats().completed()).isEqualTo(1);
  }

  @Test
  void anInterruptedGetThrowsAndLeavesTheRequestToBeAnswered() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of("i"), "x"), Duration.ofSeconds(30), () -> null);
    AtomicReference<Object> outcome = new AtomicReference<>();
    Thread caller = new Thread(() -> outcome.set(waitFor(future, Wait.GET)), "caller");
    caller.start();
    awaitBlocked(caller);
    caller.interrupt();
    caller.join(10_000);

    assertThat(caller.isAlive()).isFalse();
    assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
    assertThat(future).isNotDone();
    assertThat(pending.size()).isEqualTo(1);
    JsonRpcRequest sent = sentRequest();
    reader.submit(() -> answer(pending, sent)).get(10, TimeUnit.SECONDS);
    assertThat(future.get(10, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of("i"));
    assertThat(pending.stats().completed()).isEqualTo(1);
  }

  @Test
  void aResponseRacingAnInterruptOfGetIsNeverLost() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int rounds = 500;
    int returned = 0;
    int interrupted = 0;
    ConcurrentLinkedQueue<String> wrongThreads = new ConcurrentLinkedQueue<>();
    Caller caller = new Caller(Wait.GET);
    for (int round = 0; round < rounds; round++) {
      CompletableFuture<JsonRpcResponse> future =
          pending.send(request(RequestId.of(round), "x"), Duration.ofSeconds(30), () -> null);
      AtomicInteger stageRuns = new AtomicInteger();
      future.whenComplete((r, e) -> {
        stageRuns.incrementAndGet();
        noteIfOn("reader", wrongThreads);
      });
      caller.waitOn(future);
      JsonRpcRequest sent = sentRequest();
      CountDownLatch go = new CountDownLatch(1);
      Future<?> answered = reader.submit(() -> {
        go.await();
        spin(random.nextInt(200));
        answer(pending, sent);
        return null;
      });
      if (random.nextBoolean()) {
        go.countDown();
        caller.thread.interrupt();
      } else {
        caller.thread.interrupt();
        go.countDown();
      }
      answered.get(10, TimeUnit.SECONDS);

      Object outcome = caller.outcome();
      if (outcome instanceof InterruptedException) {
        interrupted++;
      } else {
        assertThat(outcome).isInstanceOf(JsonRpcResponse.class);
        returned++;
      }
      // Whichever way the caller left, the response completed the future.
      int r = round;
      awaitUntil("round " + round + " completed", future::isDone);
      assertThat(future.join().id()).isEqualTo(RequestId.of(r));
      awaitUntil("round " + round + " stage ran", () -> stageRuns.get() > 0);
      assertThat(stageRuns).hasValue(1);
    }
    caller.stop();
    assertThat(returned + interrupted).isEqualTo(rounds);
    assertThat(wrongThreads).isEmpty();
    assertThat(pending.stats().completed()).isEqualTo(rounds);
    assertThat(pending.size()).isZero();
  }

  @Test
  void joinIsNotEndedByAnInterruptWhichIsKeptForAfterwards() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of("j"), "x"), Duration.ofSeconds(30), () -> null);
    AtomicReference<Object> outcome = new AtomicReference<>();
    AtomicBoolean interruptedAfterwards = new AtomicBoolean();
    Thread caller =
        new Thread(
            () -> {
              outcome.set(waitFor(future, Wait.JOIN));
              interruptedAfterwards.set(Thread.currentThread().isInterrupted());
            },
            "caller");
    caller.start();
    awaitBlocked(caller);
    caller.interrupt();
    // The caller takes the interrupt (its flag is cleared while it waits) and blocks again; had
    // join ended, the thread would be gone.
    awaitUntil(
        "the caller took the interrupt",
        () -> !caller.isAlive() || (!caller.isInterrupted() && isBlocked(caller)));
    assertThat(caller.isAlive()).isTrue();
    assertThat(outcome.get()).isNull();
    assertThat(future).isNotDone();

    JsonRpcRequest sent = sentRequest();
    reader.submit(() -> answer(pending, sent)).get(10, TimeUnit.SECONDS);
    caller.join(10_000);
    assertThat(caller.isAlive()).isFalse();
    assertThat(outcome.get())
        .isInstanceOfSatisfying(JsonRpcResponse.class, r -> assertThat(r.id()).isEqualTo(RequestId.of("j")));
    assertThat(interruptedAfterwards).isTrue();
  }

  @Test
  void twoCallersBlockedInJoinOnOneFutureBothGetTheResponse() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    CompletableFuture<JsonRpcResponse> future =
        pending.send(request(RequestId.of("both"), "x"), Duration.ofSeconds(30), () -> null);
    ConcurrentLinkedQueue<String> wrongThreads = new ConcurrentLinkedQueue<>();
    future.whenComplete((r, e) -> noteIfOn("reader", wrongThreads));
    AtomicReference<Object> first = new AtomicReference<>();
    AtomicReference<Object> second = new AtomicReference<>();
    Thread one = new Thread(() -> first.set(waitFor(future, Wait.JOIN)), "caller-1");
    Thread two = new Thread(() -> second.set(waitFor(future, Wait.JOIN)), "caller-2");
    one.start();
    two.start();
    awaitBlocked(one);
    awaitBlocked(two);

    JsonRpcRequest sent = sentRequest();
    reader.submit(() -> answer(pending, sent)).get(10, TimeUnit.SECONDS);
    one.join(10_000);
    two.join(10_000);
    assertThat(one.isAlive()).isFalse();
    assertThat(two.isAlive()).isFalse();
    for (Object outcome : List.of(first.get(), second.get())) {
      assertThat(outcome)
          .isInstanceOfSatisfying(JsonRpcResponse.class, r -> assertThat(r.id()).isEqualTo(RequestId.of("both")));
    }
    assertThat(wrongThreads).isEmpty();
  }

  enum Rival {
    TIMEOUT,
    CANCEL
  }

  @ParameterizedTest
  @EnumSource(Rival.class)
  void aResponseRacingATimeoutOrACancelWhileTheCallerIsInJoinEndsTheRequestExactlyOnce(Rival how)
      throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults(), timers);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    // At least 1,000 rounds, and on until each side has won at least once: on a loaded machine one
    // side's thread may be late to start for a long run of rounds.
    int minRounds = 1_000;
    int maxRounds = 20_000;
    int rounds = 0;
    int responses = 0;
    int timeouts = 0;
    int cancellations = 0;
    AtomicInteger stageRuns = new AtomicInteger();
    ConcurrentLinkedQueue<String> wrongThreads = new ConcurrentLinkedQueue<>();
    Caller caller = new Caller(Wait.JOIN);
    for (int round = 0;
        round < minRounds || (responses == 0 || timeouts + cancellations == 0) && round < maxRounds;
        round++) {
      rounds = round + 1;
      CompletableFuture<JsonRpcResponse> future =
          pending.send(request(RequestId.of(round), "x"), Duration.ofSeconds(30), () -> null);
      Runnable timeout = timers.takeTimeout();
      future.whenComplete((r, e) -> {
        stageRuns.incrementAndGet();
        noteIfOn("reader", wrongThreads);
        if (how == Rival.TIMEOUT) {
          noteIfOn("rival", wrongThreads); // the timeout scheduler
        }
      });
      caller.waitOn(future);
      JsonRpcRequest sent = sentRequest();
      CountDownLatch go = new CountDownLatch(1);
      // Each side starts after a random little while, so either may win, or both may collide.
      int readerSpins = random.nextInt(300);
      int rivalSpins = random.nextInt(300);
      Future<?> answered = reader.submit(() -> {
        go.await();
        spin(readerSpins);
        answer(pending, sent);
        return null;
      });
      Future<?> ended = rival.submit(() -> {
        go.await();
        spin(rivalSpins);
        if (how == Rival.TIMEOUT) {
          timeout.run();
        } else {
          future.cancel(true);
        }
        return null;
      });
      go.countDown();
      answered.get(10, TimeUnit.SECONDS);
      ended.get(10, TimeUnit.SECONDS);

      Object result = caller.outcome();
      assertThat(future).isDone();
      if (result instanceof JsonRpcResponse response) {
        assertThat(response.id()).isEqualTo(RequestId.of(round));
        responses++;
      } else if (result instanceof CompletionException e && e.getCause() instanceof RequestTimeoutException) {
        timeouts++;
      } else if (result instanceof CancellationException) {
        cancellations++;
      } else {
        throw new AssertionError("round " + round + ": unexpected outcome " + result);
      }
    }

    caller.stop();
    int expectedStages = rounds;
    awaitUntil("every stage ran", () -> stageRuns.get() >= expectedStages);
    assertThat(stageRuns).hasValue(rounds);
    assertThat(wrongThreads).isEmpty();
    TransportStats stats = pending.stats();
    assertThat(stats.failed()).isZero();
    assertThat(stats.inFlight()).isZero();
    assertThat(pending.size()).isZero();
    // Every timer was cancelled by whoever ended its request (none is left to fire later).
    assertThat(timers.scheduled).hasSize(rounds).allSatisfy(task -> assertThat(task.isCancelled()).isTrue());
    if (how == Rival.TIMEOUT) {
      assertThat(cancellations).isZero();
      assertThat(stats.completed() + stats.timedOut()).isEqualTo(rounds);
      // Whoever ended the request decided the outcome its caller saw.
      assertThat(stats.completed()).isEqualTo(responses);
      assertThat(stats.timedOut()).isEqualTo(timeouts);
      assertThat(cancellations()).hasSize(timeouts); // each timed-out request cancelled upstream
    } else {
      assertThat(timeouts).isZero();
      assertThat(stats.completed() + stats.cancelled()).isEqualTo(rounds);
      // A response can be beaten to the caller by a cancel, never the other way around.
      assertThat((long) responses).isLessThanOrEqualTo(stats.completed());
      assertThat((long) cancellations).isGreaterThanOrEqualTo(stats.cancelled());
      assertThat(cancellations()).hasSize((int) stats.cancelled());
    }
    assertThat(responses).as("responses won").isPositive();
    assertThat(timeouts + cancellations).as("rivals won").isPositive();
  }

  @Test
  void failAllWhileCallersAreBlockedInJoinFailsEachWithTheCause() throws Exception {
    PendingRequests pending = silent(TransportOptions.defaults());
    int requests = 5;
    List<AtomicReference<Object>> outcomes = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    ConcurrentLinkedQueue<String> wrongThreads = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < requests; i++) {
      CompletableFuture<JsonRpcResponse> future =
          pending.send(request(RequestId.of(i), "x"), Duration.ofSeconds(30), () -> null);
      future.whenComplete((r, e) -> noteIfOn("reader", wrongThreads));
      // Two callers on the first request: one is handed the outcome, the other waits as usual.
      for (int c = 0; c < (i == 0 ? 2 : 1); c++) {
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller = new Thread(() -> outcome.set(waitFor(future, Wait.JOIN)), "caller-" + i + "-" + c);
        caller.start();
        outcomes.add(outcome);
        callers.add(caller);
      }
    }
    for (Thread caller : callers) {
      awaitBlocked(caller);
    }

    reader
        .submit(() -> pending.failAll(new TransportClosedException("Upstream 'x' exited with code 137")))
        .get(10, TimeUnit.SECONDS);
    for (Thread caller : callers) {
      caller.join(10_000);
      assertThat(caller.isAlive()).isFalse();
    }
    assertThat(outcomes)
        .allSatisfy(
            outcome ->
                assertThat(outcome.get())
                    .isInstanceOf(CompletionException.class)
                    .extracting(o -> ((Throwable) o).getCause())
                    .isInstanceOf(TransportClosedException.class)
                    .extracting(Throwable::getMessage)
                    .isEqualTo("Upstream 'x' exited with code 137"));
    assertThat(wrongThreads).isEmpty();
    assertThat(pending.size()).isZero();
    assertThat(pending.stats().failed()).isEqualTo(requests);
  }

  // ---------------------------------------------------------------------------------------------

  /** Waits on the future as {@code how} says; returns the response or what was thrown. */
  private static Object waitFor(CompletableFuture<JsonRpcResponse> future, Wait how) {
    try {
      return switch (how) {
        case JOIN -> future.join();
        case GET -> future.get();
        case GET_WITH_TIMEOUT -> future.get(30, TimeUnit.SECONDS);
      };
    } catch (Throwable e) {
      return e;
    }
  }

  /** Whether the thread is parked (with a blocker, as futures and locks park), not merely between steps. */
  private static boolean isBlocked(Thread thread) {
    Thread.State state = thread.getState();
    return (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING)
        && LockSupport.getBlocker(thread) != null;
  }

  private static void awaitThen(CountDownLatch go, Runnable action) {
    try {
      go.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    action.run();
  }

  private static void awaitBlocked(Thread thread) {
    awaitUntil(thread.getName() + " blocked", () -> isBlocked(thread));
  }

  private static void awaitUntil(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      LockSupport.parkNanos(50_000);
    }
  }

  private static void spin(int iterations) {
    for (int i = 0; i < iterations; i++) {
      Thread.onSpinWait();
    }
  }

  private static void noteIfOn(String threadPrefix, ConcurrentLinkedQueue<String> wrongThreads) {
    String name = Thread.currentThread().getName();
    if (name.startsWith(threadPrefix)) {
      wrongThreads.add("a stage ran on " + name);
    }
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return task -> {
      Thread thread = new Thread(task, prefix + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** The request last written, as the upstream received it (with its wire id). */
  private JsonRpcRequest sentRequest() {
    JsonRpcRequest sent = lastSent;
    assertThat(sent).isNotNull();
    return sent;
  }

  /**
   * A thread that waits on each future it is given, as a caller would, one after another; cheaper
   * than a thread per round.
   */
  private static final class Caller {
    private static final CompletableFuture<JsonRpcResponse> STOP = new CompletableFuture<>();
    final Thread thread;
    private final SynchronousQueue<CompletableFuture<JsonRpcResponse>> next = new SynchronousQueue<>();
    private final LinkedBlockingQueue<Object> outcomes = new LinkedBlockingQueue<>();
    private volatile @Nullable CompletableFuture<JsonRpcResponse> waitingOn;

    Caller(Wait how) {
      thread = new Thread(() -> run(how), "caller");
      thread.setDaemon(true);
      thread.start();
    }

    private void run(Wait how) {
      while (true) {
        CompletableFuture<JsonRpcResponse> future;
        try {
          future = next.take();
        } catch (InterruptedException late) {
          continue; // an interrupt meant for the last round, which ended before it landed
        }
        if (future == STOP) {
          return;
        }
        Thread.interrupted(); // likewise
        waitingOn = future;
        Object outcome = waitFor(future, how);
        waitingOn = null;
        outcomes.add(outcome);
      }
    }

    /** Hands the caller a future and returns once it is blocked waiting on it. */
    void waitOn(CompletableFuture<JsonRpcResponse> future) throws InterruptedException {
      next.put(future);
      awaitUntil("the caller blocked", () -> waitingOn == future && isBlocked(thread));
    }

    /** How the caller's last wait ended: the response, or what was thrown. */
    Object outcome() throws InterruptedException {
      Object outcome = outcomes.poll(10, TimeUnit.SECONDS);
      assertThat(outcome).as("the caller returned").isNotNull();
      return outcome;
    }

    void stop() throws InterruptedException {
      next.put(STOP);
      thread.join(10_000);
    }
  }

  /**
   * A timeout scheduler whose timers never fire by themselves: the test takes each request's
   * timeout and runs it when and where it wants. Its real tasks only show whether they were
   * cancelled.
   */
  private static final class ManualTimers extends ScheduledThreadPoolExecutor {
    final ConcurrentLinkedQueue<ScheduledFuture<?>> scheduled = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> timeouts = new ConcurrentLinkedQueue<>();

    ManualTimers() {
      super(1, named("timers"));
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      timeouts.add(command);
      ScheduledFuture<?> task = super.schedule(command, 1, TimeUnit.DAYS);
      scheduled.add(task);
      return task;
    }

    Runnable takeTimeout() {
      Runnable timeout = timeouts.poll();
      assertThat(timeout).as("a timeout was scheduled").isNotNull();
      return timeout;
    }
  }

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
    return silent(options, upstreamThreads);
  }

  /** An upstream that never answers unless the test does; request timers on {@code scheduler}. */
  private PendingRequests silent(TransportOptions options, ScheduledExecutorService scheduler) {
    return new PendingRequests(
        "test",
        options,
        bytes -> {
          JsonRpcMessage message = codec.decode(bytes);
          written.add(message);
          if (message instanceof JsonRpcRequest request) {
            lastSent = request;
          }
          return true;
        },
        () -> null,
        scheduler,
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
