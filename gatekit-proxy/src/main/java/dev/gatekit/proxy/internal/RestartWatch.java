package dev.gatekit.proxy.internal;

import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices that a transport restarted its upstream ({@link dev.gatekit.api.TransportStats#restarts()}
 * went up and the transport is running again) while something of the connection's state lives on
 * only in the upstream — the subscriptions of open listens — and no request may come to find out.
 * While {@code watching} holds, the transport is looked at every {@link #PERIOD}; each restart seen
 * runs {@code onRestart} once, on a pool thread. It stops by itself when {@code watching} no longer
 * holds and is started again by {@link #start()}. The {@link dev.gatekit.api.Transport} contract has
 * no restart callback, hence the look. Thread-safe.
 */
final class RestartWatch {

  private static final Logger log = LoggerFactory.getLogger(RestartWatch.class);
  /** How often the transport is looked at while watching. */
  static final Duration PERIOD = Duration.ofMillis(100);
  private static final Executor LATER = CompletableFuture.delayedExecutor(PERIOD.toMillis(), TimeUnit.MILLISECONDS);

  private final Transport transport;
  private final BooleanSupplier watching;
  private final Runnable onRestart;
  /** Whether a look is scheduled; guarded by this object. */
  private boolean scheduled;
  /** The restart count last seen; guarded by this object. */
  private long seen;
  /** Set once by {@link #stop()}; guarded by this object. */
  private boolean stopped;

  RestartWatch(Transport transport, BooleanSupplier watching, Runnable onRestart) {
    this.transport = transport;
    this.watching = watching;
    this.onRestart = onRestart;
  }

  /** Starts watching (nothing when it already is); restarts before this call are not reported. */
  synchronized void start() {
    if (scheduled || stopped) {
      return;
    }
    scheduled = true;
    seen = transport.stats().restarts();
    LATER.execute(this::look);
  }

  /** Stops watching for good (the connection is closing). */
  synchronized void stop() {
    stopped = true;
  }

  private void look() {
    boolean restarted = false;
    synchronized (this) {
      if (stopped || !watching.getAsBoolean()) {
        scheduled = false;
        return;
      }
      long restarts = transport.stats().restarts();
      if (restarts != seen && transport.state() == TransportState.RUNNING) {
        seen = restarts;
        restarted = true;
      }
    }
    if (restarted) {
      try {
        onRestart.run();
      } catch (RuntimeException e) {
        log.warn("Handling a restart of an upstream failed", e);
      }
    }
    LATER.execute(this::look);
  }
}
