package dev.gatekit.proxy.internal;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.proxy.ProxySession;
import dev.gatekit.proxy.ProxyStats;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link ProxySession}: one {@link Session} under an id, which tells its owner once when it ends.
 * Thread-safe.
 */
public final class OpenSession implements ProxySession {

  private final String id;
  private final Session session;
  private final Consumer<OpenSession> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * @param onClose told once, after the session closed (with its final counters readable)
   */
  public OpenSession(String id, Session session, Consumer<OpenSession> onClose) {
    this.id = id;
    this.session = session;
    this.onClose = onClose;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public void receive(JsonRpcMessage message) {
    session.receive(message);
  }

  @Override
  public boolean receiveLine(byte[] buffer, int offset, int length) {
    return session.receiveLine(buffer, offset, length);
  }

  @Override
  public void receiveMalformed(ProtocolException problem) {
    session.replyMalformed(problem);
  }

  @Override
  public ProxyStats stats() {
    return session.stats();
  }

  @Override
  public boolean isIdle() {
    return session.isIdle();
  }

  @Override
  public boolean awaitIdle(Duration timeout) {
    return awaitIdle(session::isIdle, timeout);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      session.close();
      awaitIdle(Duration.ofSeconds(5)); // the failures of what was in flight reach the client first
      onClose.accept(this);
    }
  }

  /** Waits up to {@code timeout} for {@code idle} to hold, checking every millisecond; returns whether it did. */
  public static boolean awaitIdle(BooleanSupplier idle, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!idle.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return true;
  }

  @Override
  public String toString() {
    return "session " + id;
  }
}
