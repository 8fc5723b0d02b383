package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-off of an outcome to a caller blocked in {@code join()} or {@code get()}: the caller gets
 * the right answer on its own thread, nothing runs on the thread that learnt the outcome, nothing is
 * lost when waiting ends by interrupt, timeout or a racing completion.
 */
class DirectWaiterTest {

  private static final Duration LONG = Duration.ofSeconds(30);

  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
  private final ExecutorService callbacks = Executors.newCachedThreadPool();
  private final ConcurrentLinkedQueue<JsonRpcRequest> sent = new ConcurrentLinkedQueue<>();
  private final PendingRequests pending =
      new PendingRequests(
          "test",
          TransportOptions.builder().maxInFlight(10_000).build(),
          bytes -> {
            if (codec.decode(bytes) instanceof JsonRpcRequest request) {
              sent.add(request);
            }
            return true;
          },
          () -> null,
          scheduler,
          callbacks);

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
    callbacks.shutdownNow();
  }

  @Test
  void aBlockedJoinGetsItsAnswerAndNoStageRunsOnTheCompletingThread() throws Exception {
    for (int i = 0; i < 200; i++) {
      CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of("c" + i)), LONG, () -> null);
      AtomicReference<Thread> stageThread = new AtomicReference<>();
      CompletableFuture<JsonRpcResponse> stage = future.whenComplete((r, e) -> stageThread.set(Thread.currentThread()));
      AtomicReference<Object> joined = new AtomicReference<>();
      Thread caller = new Thread(() -> joined.set(future.join()), "caller");
      caller.start();
      if (i % 2 == 0) {
        awaitParked(caller);
      }
      Thread completer = Thread.currentThread();
      pending.complete(answer(lastWireId(), "r" + i));
      caller.join(10_000);
      assertThat(caller.isAlive()).isFalse();
      JsonRpcResponse response = (JsonRpcResponse) joined.get();
      assertThat(response.id()).isEqualTo(RequestId.of("c" + i));
      assertThat(response.result().get("echo").asText()).isEqualTo("r" + i);
      stage.get(10, TimeUnit.SECONDS);
      assertThat(stageThread.get()).isNotNull().isNotSameAs(completer);
    }
    assertThat(pending.size()).isZero();
  }

  @Test
  void aTimedGetThatRunsOutLeavesTheRequestPendingAndTheAnswerStillArrives() throws Exception {
    CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(1)), LONG, () -> null);
    assertThatThrownBy(() -> future.get(20, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
    assertThat(pending.size()).isEqualTo(1);
    pending.complete(answer(lastWireId(), "late"));
    assertThat(future.get(10, TimeUnit.SECONDS).result().get("echo").asText()).isEqualTo("late");
    assertThat(pending.size()).isZero();
  }

  @Test
  void anInterruptedGetThrowsAndAnAnswerRacingItIsNeverLost() throws Exception {
    for (int i = 0; i < 300; i++) {
      CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(i)), LONG, () -> null);
      long wireId = lastWireId();
      AtomicReference<Throwable> thrown = new AtomicReference<>();
      Thread caller =
          new Thread(
              () -> {
                try {
                  future.get();
                } catch (InterruptedException | ExecutionException e) {
                  thrown.set(e);
                }
              });
      caller.start();
      if (i % 3 != 0) {
        awaitParked(caller);
      }
      if (i % 2 == 0) {
        caller.interrupt();
        pending.complete(answer(wireId, "x"));
      } else {
        pending.complete(answer(wireId, "x"));
        caller.interrupt();
      }
      caller.join(10_000);
      assertThat(caller.isAlive()).isFalse();
      // Whatever the caller saw, the future ends with the answer, exactly once.
      assertThat(future.get(10, TimeUnit.SECONDS).result().get("echo").asText()).isEqualTo("x");
      assertThat(thrown.get()).satisfiesAnyOf(t -> assertThat(t).isNull(), t -> assertThat(t).isInstanceOf(InterruptedException.class));
    }
    assertThat(pending.stats().completed()).isEqualTo(300);
    assertThat(pending.size()).isZero();
  }

  @Test
  void joinIsNotInterruptibleButKeepsTheInterrupt() throws Exception {
    CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(1)), LONG, () -> null);
    AtomicReference<JsonRpcResponse> joined = new AtomicReference<>();
    AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
    Thread caller =
        new Thread(
            () -> {
              joined.set(future.join());
              interruptedAfter.set(Thread.currentThread().isInterrupted());
            });
    caller.start();
    awaitParked(caller);
    caller.interrupt();
    awaitParked(caller); // still waiting: join ignores the interrupt
    assertThat(joined.get()).isNull();
    pending.complete(answer(lastWireId(), "ok"));
    caller.join(10_000);
    assertThat(joined.get().result().get("echo").asText()).isEqualTo("ok");
    assertThat(interruptedAfter.get()).isTrue();
  }

  @Test
  void twoThreadsJoiningOneFutureBothGetTheAnswer() throws Exception {
    CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(1)), LONG, () -> null);
    List<JsonRpcResponse> results = new ArrayList<>();
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread caller =
          new Thread(
              () -> {
                JsonRpcResponse r = future.join();
                synchronized (results) {
                  results.add(r);
                }
              });
      callers.add(caller);
      caller.start();
    }
    for (Thread caller : callers) {
      awaitParked(caller);
    }
    pending.complete(answer(lastWireId(), "both"));
    for (Thread caller : callers) {
      caller.join(10_000);
    }
    assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r.result().get("echo").asText()).isEqualTo("both"));
  }

  @Test
  void answersRacingTimeoutsAndCancelsWithBlockedCallersEachEndOnce() throws Exception {
    int requests = 2_000;
    ExecutorService callers = Executors.newFixedThreadPool(8);
    ExecutorService cancellers = Executors.newSingleThreadExecutor(); // a canceller runs stages itself
    Set<Thread> completers = ConcurrentHashMap.newKeySet();
    AtomicInteger endings = new AtomicInteger();
    AtomicInteger stagesOnCompleter = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(requests);
    for (int i = 0; i < requests; i++) {
      int n = i;
      Duration timeout = Duration.ofMillis(1 + ThreadLocalRandom.current().nextInt(3));
      CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(n)), timeout, () -> null);
      long wireId = n + 1; // wire ids count from 1; a request may time out before it is even written
      future.whenComplete(
          (r, e) -> {
            if (completers.contains(Thread.currentThread())) {
              stagesOnCompleter.incrementAndGet();
            }
          });
      callers.execute(
          () -> {
            try {
              future.join();
            } catch (RuntimeException ended) {
              // timed out or cancelled: also an ending
            }
            endings.incrementAndGet();
            done.countDown();
          });
      scheduler.schedule(
          () -> {
            completers.add(Thread.currentThread());
            if (n % 3 == 0) {
              cancellers.execute(() -> future.cancel(true));
            }
            pending.complete(answer(wireId, "a"));
          },
          ThreadLocalRandom.current().nextInt(3),
          TimeUnit.MILLISECONDS);
    }
    assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
    callers.shutdown();
    cancellers.shutdown();
    assertThat(endings).hasValue(requests);
    TransportStats stats = pending.stats();
    assertThat(stats.completed() + stats.timedOut() + stats.cancelled()).isEqualTo(requests);
    assertThat(stats.inFlight()).isZero();
    assertThat(pending.size()).isZero();
    assertThat(stagesOnCompleter).as("stages run on the thread that reported the outcome").hasValue(0);
  }

  @Test
  void failAllWakesEveryBlockedCallerWithTheCause() throws Exception {
    List<Thread> callers = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(i)), LONG, () -> null);
      Thread caller =
          new Thread(
              () -> {
                try {
                  future.join();
                } catch (CompletionException e) {
                  synchronized (errors) {
                    errors.add(e.getCause());
                  }
                }
              });
      callers.add(caller);
      caller.start();
    }
    for (Thread caller : callers) {
      awaitParked(caller);
    }
    TransportClosedException cause = new TransportClosedException("gone");
    pending.failAll(cause);
    for (Thread caller : callers) {
      caller.join(10_000);
      assertThat(caller.isAlive()).isFalse();
    }
    assertThat(errors).hasSize(20).allSatisfy(e -> assertThat(e).isSameAs(cause));
  }

  @Test
  void aBlockedCallerHearsOfItsTimeout() {
    CompletableFuture<JsonRpcResponse> future = pending.send(request(RequestId.of(1)), Duration.ofMillis(30), () -> null);
    assertThatThrownBy(future::join).hasCauseInstanceOf(RequestTimeoutException.class);
    assertThat(pending.stats().timedOut()).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------

  private long lastWireId() {
    JsonRpcRequest last = null;
    for (JsonRpcRequest request : sent) {
      last = request;
    }
    return ((RequestId.NumberId) last.id()).value();
  }

  /** Waits until the thread is parked (after any brief spin), for tests that need it blocked. */
  private static void awaitParked(Thread thread) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
      assertThat(System.nanoTime()).as("%s parked within 10 s", thread).isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  private static JsonRpcRequest request(RequestId id) {
    return new JsonRpcRequest(id, "tools/call", JsonNodeFactory.instance.objectNode());
  }

  private static JsonRpcResponse answer(long wireId, String echo) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.put("echo", echo);
    return JsonRpcResponse.success(RequestId.of(wireId), result);
  }
}
