package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BacklogTest {

  @Test
  void aReaderUnderTheLimitDoesNotWait() throws InterruptedException {
    Backlog backlog = new Backlog();
    backlog.add();
    backlog.add();
    assertThat(backlog.awaitAtMost(2)).isFalse();
    assertThat(backlog.size()).isEqualTo(2);
  }

  @Test
  void aReaderOverTheLimitWaitsUntilEnoughRequestsAreHandedOver() throws Exception {
    Backlog backlog = new Backlog();
    for (int i = 0; i < 5; i++) {
      backlog.add();
    }
    AtomicReference<Thread> reader = new AtomicReference<>();
    CompletableFuture<Integer> leftAt = CompletableFuture.supplyAsync(() -> {
      reader.set(Thread.currentThread());
      try {
        assertThat(backlog.awaitAtMost(2)).isTrue();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      return backlog.size();
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (reader.get() == null || reader.get().getState() != Thread.State.WAITING) {
      assertThat(System.nanoTime()).as("the reader waits").isLessThan(deadline);
      Thread.onSpinWait();
    }
    backlog.remove();
    backlog.remove();
    assertThat(leftAt).isNotDone(); // 3 still wait
    backlog.remove();
    assertThat(leftAt.get(30, TimeUnit.SECONDS)).isLessThanOrEqualTo(2);
  }

  /**
   * Producers add and hand over requests as fast as they can while a reader waits for the backlog
   * to be at most a small limit, over and over: the reader is never left waiting for a wake-up that
   * was lost (each round ends), and the count ends at zero.
   */
  @Test
  void noWakeUpIsLostUnderContention() throws Exception {
    Backlog backlog = new Backlog();
    int producers = 4;
    int rounds = 20_000;
    ExecutorService pool = Executors.newFixedThreadPool(producers);
    AtomicInteger waited = new AtomicInteger();
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        work.add(pool.submit(() -> {
          for (int i = 0; i < rounds; i++) {
            backlog.add();
            backlog.add();
            backlog.remove();
            backlog.remove();
          }
        }));
      }
      CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < rounds; i++) {
          try {
            if (backlog.awaitAtMost(i % 3)) {
              waited.incrementAndGet();
            }
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
        }
      });
      for (Future<?> each : work) {
        each.get(60, TimeUnit.SECONDS);
      }
      reader.get(60, TimeUnit.SECONDS);
      assertThat(backlog.size()).isZero();
    } finally {
      pool.shutdownNow();
    }
  }
}
