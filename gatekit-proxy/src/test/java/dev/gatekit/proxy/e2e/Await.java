package dev.gatekit.proxy.e2e;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waiting on conditions, never on fixed sleeps: every wait ends as soon as its condition holds, and
 * the deadlines are generous because these tests run on loaded machines.
 */
final class Await {

  /** The deadline of one wait for something that normally takes milliseconds. */
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  private Await() {}

  /** Waits until {@code condition} holds, checking every few milliseconds. */
  static void until(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** Waits until {@code condition} holds, with {@link #TIMEOUT}. */
  static void until(BooleanSupplier condition, Supplier<String> what) {
    until(condition, TIMEOUT, what);
  }

  /** Waits for a future's value. */
  static <T> T future(CompletableFuture<T> future, Duration timeout, String what) {
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for " + what, e);
    } catch (ExecutionException e) {
      throw new AssertionError(what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("Interrupted waiting for " + what, e);
    }
  }
}
