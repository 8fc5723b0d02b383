package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StderrLogTest {

  private final ExecutorService loggingThread = Executors.newSingleThreadExecutor();
  private final List<String> logged = new ArrayList<>(); // guarded by itself
  private final AtomicLong reportedDrops = new AtomicLong();

  @AfterEach
  void stop() {
    loggingThread.shutdownNow();
  }

  @Test
  void aSinkThatBlocksNeverBlocksTheOffersAndTheDropsAreReportedOnceItCatchesUp() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    StderrLog log =
        new StderrLog(
            "up",
            line -> {
              entered.countDown();
              awaitQuietly(release);
              record(line);
            },
            loggingThread,
            reportedDrops::addAndGet);
    log.offer("line 0");
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    int total = 10_000;
    for (int i = 1; i < total; i++) {
      log.offer("line " + i); // returns at once although the sink is stuck
    }
    assertThat(reportedDrops.get()).isZero();
    release.countDown();
    awaitUntil("everything logged or reported dropped", () -> loggedCount() + reportedDrops.get() == total);
    // The one line in the sink, then the queue's worth, in order; the rest dropped.
    assertThat(loggedCount()).isEqualTo(1 + StderrLog.CAPACITY);
    synchronized (logged) {
      for (int i = 0; i < logged.size(); i++) {
        assertThat(logged.get(i)).isEqualTo("line " + i);
      }
    }
  }

  @Test
  void underContentionWithASlowSinkNoLineIsStrandedAndOrderIsKept() throws Exception {
    StderrLog log =
        new StderrLog(
            "up",
            line -> {
              if (ThreadLocalRandom.current().nextInt(1000) == 0) {
                LockSupport.parkNanos(100_000);
              }
              record(line);
            },
            loggingThread,
            reportedDrops::addAndGet);
    int total = 200_000;
    for (int i = 0; i < total; i++) {
      log.offer(Integer.toString(i));
      if (i % 5_000 == 0) {
        // Let the logging thread catch up and go idle now and then, so offers also race its end.
        long offered = i + 1;
        awaitUntil("caught up", () -> loggedCount() + reportedDrops.get() == offered);
      }
    }
    awaitUntil("everything logged or reported dropped", () -> loggedCount() + reportedDrops.get() == total);
    synchronized (logged) {
      int previous = -1;
      for (String line : logged) {
        int value = Integer.parseInt(line);
        assertThat(value).isGreaterThan(previous);
        previous = value;
      }
    }
  }

  @Test
  void aQuickSinkGetsEveryLineInOrderAndNothingIsReported() {
    StderrLog log = new StderrLog("up", this::record, loggingThread, reportedDrops::addAndGet);
    for (int round = 0; round < 1_000; round++) {
      int before = loggedCount();
      log.offer("a" + round);
      log.offer("b" + round);
      // Each round waits for the logging thread to go idle, so the next offer must schedule it again.
      awaitUntil("round logged", () -> loggedCount() == before + 2);
    }
    assertThat(reportedDrops.get()).isZero();
    synchronized (logged) {
      assertThat(logged.get(0)).isEqualTo("a0");
      assertThat(logged.get(1999)).isEqualTo("b999");
    }
  }

  private void record(String line) {
    synchronized (logged) {
      logged.add(line);
    }
  }

  private int loggedCount() {
    synchronized (logged) {
      return logged.size();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitUntil(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      LockSupport.parkNanos(100_000);
    }
  }
}
