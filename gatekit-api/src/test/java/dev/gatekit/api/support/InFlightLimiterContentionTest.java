package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.support.InFlightLimiter.Admission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many threads admit and release at once. The actions themselves count how many of them hold a slot,
 * so a limiter that let one too many through would be caught in the act, not only in its gauges.
 */
class InFlightLimiterContentionTest {

  private static final int THREADS = 8;
  private static final int ITERATIONS = 20_000;
  private static final int LIMIT = 4;
  private static final int MAX_QUEUED = 6;

  /** An action standing for one request; it "completes" when some thread takes it from running. */
  private static final class Action implements InFlightLimiter.Action {
    final AtomicInteger runs = new AtomicInteger();
    final Shared shared;
    volatile Admission admission;
    volatile boolean withdrawn;

    Action(Shared shared) {
      this.shared = shared;
    }

    @Override
    public boolean start() {
      int now = shared.concurrent.incrementAndGet();
      shared.maxObserved.accumulateAndGet(now, Math::max);
      runs.incrementAndGet();
      shared.running.add(this);
      return true;
    }
  }

  /** State shared by all threads of one run. */
  private static final class Shared {
    final InFlightLimiter limiter;
    final AtomicInteger concurrent = new AtomicInteger();
    final AtomicInteger maxObserved = new AtomicInteger();
    final AtomicLong releases = new AtomicLong();
    final ConcurrentLinkedQueue<Action> running = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();

    Shared(InFlightLimiter limiter) {
      this.limiter = limiter;
    }

    /** Completes one running action, if there is one: it gives up its slot. */
    boolean completeOne() {
      Action done = running.poll();
      if (done == null) {
        return false;
      }
      concurrent.decrementAndGet(); // before release: the slot may pass to another action at once
      releases.incrementAndGet();
      limiter.release();
      return true;
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  @DisplayName("QUEUE: 8 threads x 20,000 admissions never exceed the limit and run every action once")
  void contentionUnderQueue() throws InterruptedException {
    Totals totals = contend(OverflowPolicy.QUEUE, ITERATIONS);

    assertThat(totals.queued).as("actions that had to wait").isPositive();
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  @DisplayName("REJECT: 8 threads x 5,000 admissions never exceed the limit; refused actions never run")
  void contentionUnderReject() throws InterruptedException {
    Totals totals = contend(OverflowPolicy.REJECT, ITERATIONS / 4);

    assertThat(totals.queued).isZero();
    assertThat(totals.withdrawn).isZero();
    assertThat(totals.rejected).as("actions refused").isPositive();
  }

  private record Totals(long ran, long queued, long rejected, long withdrawn) {}

  private static Totals contend(OverflowPolicy policy, int iterations) throws InterruptedException {
    InFlightLimiter limiter =
        new InFlightLimiter(
            TransportOptions.builder()
                .maxInFlight(LIMIT)
                .overflowPolicy(policy)
                .maxQueued(MAX_QUEUED)
                .build());
    Shared shared = new Shared(limiter);
    Action[][] actions = new Action[THREADS][iterations];
    CountDownLatch ready = new CountDownLatch(THREADS);
    CountDownLatch start = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(THREADS);
    List<Thread> threads = new ArrayList<>();

    for (int t = 0; t < THREADS; t++) {
      Action[] mine = actions[t];
      Thread thread =
          new Thread(
              () -> {
                try {
                  ready.countDown();
                  start.await();
                  work(shared, mine);
                } catch (Throwable e) {
                  shared.errors.add(e);
                } finally {
                  done.countDown();
                }
              },
              "limiter-worker-" + t);
      thread.setDaemon(true);
      threads.add(thread);
      thread.start();
    }
    assertThat(ready.await(10, TimeUnit.SECONDS)).as("workers ready").isTrue();
    start.countDown();
    assertThat(done.await(25, TimeUnit.SECONDS)).as("workers finished").isTrue();
    for (Thread thread : threads) {
      thread.join();
    }

    // Complete whatever is still running; each completion may start a queued action.
    while (shared.completeOne()) {
      // keep going until nothing holds a slot
    }

    assertThat(shared.errors).isEmpty();
    assertThat(shared.maxObserved.get()).as("most actions holding a slot at once").isBetween(1, LIMIT);
    assertThat(limiter.maxInFlight()).isBetween(1, LIMIT);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.queued()).isZero();
    assertThat(shared.concurrent).hasValue(0);

    long ran = 0;
    long queued = 0;
    long rejected = 0;
    long withdrawn = 0;
    List<String> wrong = new ArrayList<>();
    for (Action[] row : actions) {
      for (Action action : row) {
        boolean shouldRun =
            action.admission == Admission.RAN
                || (action.admission == Admission.QUEUED && !action.withdrawn);
        int runs = action.runs.get();
        if (runs != (shouldRun ? 1 : 0) && wrong.size() < 10) {
          wrong.add(action.admission + (action.withdrawn ? " and withdrawn" : "") + " ran " + runs + "x");
        }
        ran += runs;
        queued += action.admission == Admission.QUEUED ? 1 : 0;
        rejected += action.admission == Admission.REJECTED ? 1 : 0;
        withdrawn += action.withdrawn ? 1 : 0;
      }
    }
    assertThat(wrong).as("actions that did not run exactly as often as admitted").isEmpty();
    assertThat(shared.releases.get()).as("one release per action that ran").isEqualTo(ran);
    assertThat(ran + rejected + withdrawn).isEqualTo((long) THREADS * iterations);
    return new Totals(ran, queued, rejected, withdrawn);
  }

  /**
   * One worker's loop. In each block of 32 iterations it first only admits (filling the limiter and,
   * under QUEUE, its queue), then admits and completes one action per iteration, then completes a
   * burst, so that both the hand-over and the plain release paths are taken many times.
   */
  private static void work(Shared shared, Action[] mine) {
    ArrayDeque<Action> waiting = new ArrayDeque<>();
    for (int i = 0; i < mine.length; i++) {
      Action action = new Action(shared);
      mine[i] = action;
      Admission admission = shared.limiter.admit(action);
      action.admission = admission;
      if (admission == Admission.QUEUED) {
        waiting.addLast(action);
      }
      if (i % 5 == 0 && !waiting.isEmpty()) {
        // Gives up on the oldest action this thread saw queued. It has moved up the queue since, so
        // some other thread may be handing it a slot right now: withdraw races with release.
        Action oldest = waiting.pollFirst();
        oldest.withdrawn = shared.limiter.withdraw(oldest);
      }
      int phase = i % 32;
      if (phase >= 8 && phase < 31) {
        shared.completeOne();
      } else if (phase == 31) {
        for (int k = 0; k < LIMIT && shared.completeOne(); k++) {
          // burst
        }
      }
    }
  }
}
