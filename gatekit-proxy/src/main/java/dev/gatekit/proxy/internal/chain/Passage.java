package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.proxy.internal.telemetry.RequestTelemetry;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One message's way through one {@link Chain}: what the plugins are told about it, when it started,
 * and what happened on the way out — the message as it left for the far side (its departure), the
 * reason and metadata the plugins gave on the way — for the audit stage to record in one place.
 *
 * <p>The way out runs on one thread, and the way back starts only after the departure, so the fields
 * below are written by one thread at a time; the monitor makes each write visible to the next.
 */
public final class Passage {

  /** Told when a message leaves for the far side; answers false to stop it (a critical auditor failed). */
  public interface DepartureListener {
    boolean departing(Passage passage, JsonRpcMessage message);
  }

  /** Told of every call to the far side, so that the client's cancellation can reach it. */
  public interface CallTracker {
    void track(CompletableFuture<?> farSideCall);
  }

  private final PluginContext context;
  private final long startNanos;
  private final @Nullable CallTracker tracker;
  private final @Nullable RequestTelemetry telemetry;
  private @Nullable DepartureListener departureListener;
  private @Nullable JsonRpcMessage departed;
  private @Nullable String reasonOnTheWayOut;
  private @Nullable Map<String, Object> metadataOnTheWayOut;
  private @Nullable JsonRpcMessage checkedOnTheWayOut;
  private @Nullable JsonRpcMessage checkedOnTheWayBack;

  /**
   * @param context what plugins are told
   * @param startNanos when the message entered the gateway ({@link System#nanoTime()})
   * @param tracker who is told of calls to the far side, or {@code null}
   */
  public Passage(PluginContext context, long startNanos, @Nullable CallTracker tracker) {
    this(context, startNanos, tracker, null);
  }

  /**
   * @param context what plugins are told
   * @param startNanos when the message entered the gateway ({@link System#nanoTime()})
   * @param tracker who is told of calls to the far side, or {@code null}
   * @param telemetry the metrics and span of the client request this passage serves, or {@code null}
   *     when nothing is recorded
   */
  public Passage(PluginContext context, long startNanos, @Nullable CallTracker tracker,
      @Nullable RequestTelemetry telemetry) {
    this.context = context;
    this.startNanos = startNanos;
    this.tracker = tracker;
    this.telemetry = telemetry;
  }

  public PluginContext context() {
    return context;
  }

  public long startNanos() {
    return startNanos;
  }

  /** Returns the telemetry of the client request this passage serves, or {@code null}. */
  public @Nullable RequestTelemetry telemetry() {
    return telemetry;
  }

  /** Returns the message as it left for the far side, or {@code null} while it has not. */
  public synchronized @Nullable JsonRpcMessage departed() {
    return departed;
  }

  /** Returns the reason the last rewrite on the way out gave, if any. */
  public synchronized @Nullable String reasonOnTheWayOut() {
    return reasonOnTheWayOut;
  }

  /** Returns the metadata plugins gave on the way out. */
  public synchronized Map<String, Object> metadataOnTheWayOut() {
    return metadataOnTheWayOut == null ? Map.of() : Map.copyOf(metadataOnTheWayOut);
  }

  /** Records the message as the security stages passed it on, on the way out. */
  synchronized void checkedOnTheWayOut(JsonRpcMessage message) {
    checkedOnTheWayOut = message;
  }

  /** Records the answer as the security stages let it go on, on the way back. */
  synchronized void checkedOnTheWayBack(JsonRpcMessage message) {
    checkedOnTheWayBack = message;
  }

  /**
   * Returns whether the security stages passed exactly this message (the same instance) on the way
   * out, so that nothing after them (middleware) changed it.
   */
  synchronized boolean wasCheckedOnTheWayOut(JsonRpcMessage message) {
    return checkedOnTheWayOut == message;
  }

  /** Returns whether the security stages let exactly this answer (the same instance) go on the way back. */
  synchronized boolean wasCheckedOnTheWayBack(JsonRpcMessage message) {
    return checkedOnTheWayBack == message;
  }

  synchronized void setDepartureListener(DepartureListener listener) {
    this.departureListener = listener;
  }

  /** Records a plugin's rewrite on the way out. */
  synchronized void rewroteOnTheWayOut(@Nullable String reason) {
    reasonOnTheWayOut = reason;
  }

  /** Records metadata a plugin gave on the way out. */
  synchronized void addMetadataOnTheWayOut(Map<String, Object> metadata) {
    if (metadata.isEmpty()) {
      return;
    }
    if (metadataOnTheWayOut == null) {
      metadataOnTheWayOut = new HashMap<>();
    }
    metadataOnTheWayOut.putAll(metadata);
  }

  /**
   * Called by the last stage just before it hands {@code message} to the far side. Returns false
   * when the message must not go (the audit log could not record it).
   */
  boolean depart(JsonRpcMessage message) {
    DepartureListener listener;
    synchronized (this) {
      departed = message;
      listener = departureListener;
    }
    return listener == null || listener.departing(this, message);
  }

  /** Tells the tracker of a call to the far side. */
  void track(CompletableFuture<?> farSideCall) {
    if (tracker != null) {
      tracker.track(farSideCall);
    }
  }
}
