package dev.gatekit.server.http.internal;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions of one HTTP front: ids from {@link SecureRandom} (256 bits, base64url), a cap, idle
 * expiry and keep-alives on one timer thread, drain and close.
 */
public final class Sessions implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Sessions.class);
  /** Events kept per stream for a client that reconnects. */
  static final int REPLAY_CAPACITY = 1024;
  /** Finished POST streams kept per session for a client that has not read them to the end. */
  static final int KEPT_STREAMS = 64;
  /** A stream silent this long gets a keep-alive comment. */
  static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final SessionOpener opener;
  private final int maxSessions;
  private final long idleTimeoutNanos;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, HttpSession> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger slots = new AtomicInteger();
  private final ScheduledExecutorService timer;
  /** Where sessions open and close: both may wait for upstream processes, which no Jetty thread may. */
  private final ExecutorService lifecycle;
  private volatile boolean draining;
  private volatile boolean closed;
  /** The session of stateless (2026-07-28) traffic, opened with its first request; null until then or after a failure. */
  private @Nullable CompletableFuture<StatelessSession> stateless;

  /** What {@link #create} gives: a session, or why there is none. */
  public sealed interface Creation {
    record Created(HttpSession session) implements Creation {}
    record Refused(String reason) implements Creation {}
    record Failed(RuntimeException cause) implements Creation {}
  }

  public Sessions(SessionOpener opener, int maxSessions, Duration idleTimeout) {
    this.opener = opener;
    this.maxSessions = maxSessions;
    this.idleTimeoutNanos = idleTimeout.toNanos();
    this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "gatekit-http-sessions");
      thread.setDaemon(true);
      return thread;
    });
    AtomicInteger threads = new AtomicInteger();
    this.lifecycle = Executors.newCachedThreadPool(task -> {
      Thread thread = new Thread(task, "gatekit-http-session-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    long period = Math.max(10, Math.min(1000, idleTimeout.toMillis() / 4));
    timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** {@link #create()} on a thread of its own; the future completes there. */
  public CompletableFuture<Creation> createLater() {
    try {
      return CompletableFuture.supplyAsync(this::create, lifecycle);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.completedFuture(new Creation.Refused("the gateway is shutting down and takes no new sessions"));
    }
  }

  /** Opens a new session with a fresh id, or refuses one past the cap or while draining. */
  public Creation create() {
    if (draining || closed) {
      return new Creation.Refused("the gateway is shutting down and takes no new sessions");
    }
    if (slots.incrementAndGet() > maxSessions) {
      slots.decrementAndGet();
      return new Creation.Refused("the gateway serves its maximum of " + maxSessions + " sessions; try again later");
    }
    String id = newId();
    HttpSession session = new HttpSession(id, REPLAY_CAPACITY, KEPT_STREAMS, () -> release(id), lifecycle);
    try {
      session.bind(opener.open(id, session));
    } catch (RuntimeException e) {
      slots.decrementAndGet();
      return new Creation.Failed(e);
    }
    sessions.put(id, session);
    if (closed) {
      session.close();
      return new Creation.Refused("the gateway is shutting down and takes no new sessions");
    }
    log.debug("Session {} opened ({} now)", id, sessions.size());
    return new Creation.Created(session);
  }

  /**
   * The one session that serves every stateless request, opened (on a thread of its own) with the
   * first: it holds no session slot and never expires. Completes exceptionally when it cannot be
   * opened (then the next request tries again) or while the front drains.
   */
  public synchronized CompletableFuture<StatelessSession> stateless() {
    if (draining || closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("the gateway is shutting down"));
    }
    CompletableFuture<StatelessSession> current = stateless;
    if (current == null || current.isCompletedExceptionally()) {
      current = new CompletableFuture<>();
      stateless = current;
      CompletableFuture<StatelessSession> opening = current;
      try {
        lifecycle.execute(() -> {
          StatelessSession session = new StatelessSession();
          try {
            session.bind(opener.open(StatelessSession.ID, session));
            log.debug("The stateless session opened");
            opening.complete(session);
          } catch (RuntimeException e) {
            opening.completeExceptionally(e);
          }
        });
      } catch (RejectedExecutionException e) {
        opening.completeExceptionally(e);
      }
    }
    return current;
  }

  private synchronized @Nullable StatelessSession openStateless() {
    CompletableFuture<StatelessSession> current = stateless;
    return current != null && current.isDone() && !current.isCompletedExceptionally() ? current.join() : null;
  }

  private void release(String id) {
    if (sessions.remove(id) != null) {
      slots.decrementAndGet();
      log.debug("Session {} ended ({} now)", id, sessions.size());
    }
  }

  public @Nullable HttpSession get(String id) {
    return sessions.get(id);
  }

  public int count() {
    return sessions.size();
  }

  private String newId() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private void sweep() {
    try {
      long now = System.nanoTime();
      for (HttpSession session : sessions.values()) {
        if (session.isExpired(now, idleTimeoutNanos)) {
          log.info("Session {} was idle for {} ms; it ends", session.id(), TimeUnit.NANOSECONDS.toMillis(idleTimeoutNanos));
          session.closeLater();
        } else {
          session.keepAlive(now, KEEP_ALIVE_NANOS);
        }
      }
      StatelessSession statelessSession = openStateless();
      if (statelessSession != null) {
        statelessSession.keepAlive(now, KEEP_ALIVE_NANOS);
      }
    } catch (RuntimeException e) {
      log.warn("Sweeping idle sessions failed", e);
    }
  }

  /**
   * Takes no new sessions, waits up to {@code timeout} for the requests in flight to be answered, then
   * closes every session. Returns whether every request was answered in time.
   */
  public boolean drain(Duration timeout) {
    draining = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean idle = false;
    while (true) {
      StatelessSession statelessSession = openStateless();
      idle = sessions.values().stream().allMatch(HttpSession::isIdle)
          && (statelessSession == null || statelessSession.isIdle());
      if (idle || System.nanoTime() - deadline > 0) {
        break;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    closeSessions();
    return idle;
  }

  /** Closes every session, in parallel (each waits for its upstreams to stop). */
  private void closeSessions() {
    List<CompletableFuture<Void>> closing = new ArrayList<>();
    CompletableFuture<StatelessSession> opening;
    synchronized (this) {
      opening = stateless;
    }
    if (opening != null) {
      // one still opening is closed once open
      closing.add(opening.handle((session, failure) -> {
        if (session != null) {
          session.close();
        }
        return null;
      }));
    }
    for (HttpSession session : new ArrayList<>(sessions.values())) {
      try {
        closing.add(session.closeLater());
      } catch (RejectedExecutionException e) {
        session.close();
      }
    }
    CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).join();
  }

  @Override
  public void close() {
    draining = true;
    closed = true;
    closeSessions();
    timer.shutdownNow();
    lifecycle.shutdown();
  }
}
