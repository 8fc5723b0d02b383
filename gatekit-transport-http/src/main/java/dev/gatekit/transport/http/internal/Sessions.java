package dev.gatekit.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportState;
import dev.gatekit.transport.http.ReconnectPolicy;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state of an HTTP transport and its session: started, closed, and what happens when the server
 * forgets the session (a 404). Then everything pending fails at once with a {@link
 * Failures.SessionExpired}, and with the {@link ReconnectPolicy} on, the caller's last {@code
 * initialize} (and {@code notifications/initialized}, if it was sent) is replayed in a new session
 * after the policy's backoff; requests are refused until that succeeded. Without the policy, or
 * after its attempts, the transport is {@link TransportState#FAILED} until started again.
 *
 * <p>All transitions happen under one lock; {@link #state()} may be read from any thread.
 */
public final class Sessions {

  private static final Logger log = LoggerFactory.getLogger(Sessions.class);

  private final Failures failures;
  private final ReconnectPolicy policy;
  private final Duration requestTimeout;
  private final Endpoint endpoint;
  private final PendingRequests pending;
  private final Posts posts;
  private final GetStream getStream;
  private final Executor callbacks;
  private final JsonRpcCodec codec = JsonRpcCodec.get();

  private final Object lock = new Object();
  private volatile TransportState state = TransportState.NEW;
  private volatile @Nullable TransportClosedException lastFailure;
  private volatile @Nullable JsonRpcRequest lastInitialize;
  private volatile boolean initializedSent;
  private int failedAttempts;
  private @Nullable ScheduledFuture<?> reconnectTask;

  public Sessions(
      Failures failures,
      ReconnectPolicy policy,
      Duration requestTimeout,
      Endpoint endpoint,
      PendingRequests pending,
      Posts posts,
      GetStream getStream,
      Executor callbacks) {
    this.failures = failures;
    this.policy = policy;
    this.requestTimeout = requestTimeout;
    this.endpoint = endpoint;
    this.pending = pending;
    this.posts = posts;
    this.getStream = getStream;
    this.callbacks = callbacks;
  }

  public TransportState state() {
    return state;
  }

  /** NEW or FAILED to RUNNING (FAILED forgets the session); RUNNING stays; CLOSED throws. */
  public void start() {
    synchronized (lock) {
      switch (state) {
        case CLOSED -> throw new TransportClosedException("Transport to upstream '" + failures.name() + "' is closed");
        case NEW -> state = TransportState.RUNNING;
        case FAILED -> {
          endpoint.sessionId(null);
          failedAttempts = 0;
          state = TransportState.RUNNING;
        }
        default -> {}
      }
    }
  }

  /** Moves to CLOSED; returns false if it was closed already. */
  public boolean close() {
    synchronized (lock) {
      if (state == TransportState.CLOSED) {
        return false;
      }
      state = TransportState.CLOSED;
      if (reconnectTask != null) {
        reconnectTask.cancel(false);
      }
      return true;
    }
  }

  /** Returns why requests cannot be sent now, or null when they can. */
  public @Nullable GatekitException unavailable() {
    TransportState current = state;
    if (current == TransportState.RUNNING) {
      return null;
    }
    String name = failures.name();
    return switch (current) {
      case NEW, STARTING -> new TransportClosedException("Transport to upstream '" + name + "' is not started");
      case CLOSED -> new TransportClosedException("Transport to upstream '" + name + "' is closed");
      default -> {
        TransportClosedException failure = lastFailure;
        String suffix = current == TransportState.RESTARTING ? " (starting a new session)" : "";
        yield new TransportClosedException(
            (failure == null ? "Upstream '" + name + "' is unavailable" : failure.getMessage()) + suffix);
      }
    };
  }

  /** The caller sent {@code notifications/initialized}: a renewed session sends it too. */
  public void initializedSent() {
    initializedSent = true;
  }

  /** Keeps what later requests need from a successful initialize: the version and the handshake. */
  public void onInitialized(JsonRpcRequest request, JsonRpcResponse response) {
    JsonNode result = response.result();
    JsonNode version = result == null ? null : result.get("protocolVersion");
    if (version != null && version.isTextual()) {
      endpoint.protocolVersion(version.textValue());
    }
    if (state != TransportState.RESTARTING) {
      lastInitialize = request;
    }
  }

  /** Ends the session the server forgot: fails everything pending, then maybe starts a new one. */
  public void expired(String session) {
    TransportClosedException failure;
    boolean reconnect;
    synchronized (lock) {
      if (!session.equals(endpoint.sessionId()) || state != TransportState.RUNNING) {
        return; // handled already, or closing
      }
      failure = failures.expired();
      lastFailure = failure;
      endpoint.sessionId(null);
      reconnect = policy.enabled() && lastInitialize != null && failedAttempts < policy.maxAttempts();
      state = reconnect ? TransportState.RESTARTING : TransportState.FAILED;
    }
    log.warn("{}", failure.getMessage());
    getStream.stop();
    pending.failAll(failure);
    if (reconnect) {
      synchronized (lock) {
        scheduleReconnect();
      }
    }
  }

  private void scheduleReconnect() {
    int attempt = ++failedAttempts;
    Duration wait = policy.backoff(attempt);
    log.info(
        "Starting a new session with upstream '{}' in {} ms (attempt {} of {})",
        failures.name(),
        wait.toMillis(),
        attempt,
        policy.maxAttempts());
    reconnectTask =
        HttpExecutors.timers()
            .schedule(() -> callbacks.execute(this::reconnect), wait.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Replays the caller's last handshake in a new session, then opens for requests. */
  private void reconnect() {
    JsonRpcRequest initialize = lastInitialize;
    if (state != TransportState.RESTARTING || initialize == null) {
      return;
    }
    pending
        .send(initialize, requestTimeout, () -> null)
        .whenComplete(
            (response, error) -> {
              if (error == null && !response.isError()) {
                CompletableFuture<?> initialized =
                    initializedSent
                        ? posts.message(
                            codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null)),
                            McpMethods.NOTIFICATIONS_INITIALIZED)
                        : CompletableFuture.completedFuture(null);
                initialized.whenComplete((ignored, failure) -> markRunning());
                return;
              }
              String why = error != null ? error.getMessage() : String.valueOf(response.error());
              log.warn("Upstream '{}' refused a new session: {}", failures.name(), why);
              synchronized (lock) {
                if (state != TransportState.RESTARTING) {
                  return;
                }
                lastFailure = failures.failed("refused a new session: " + why);
                if (failedAttempts < policy.maxAttempts()) {
                  scheduleReconnect();
                } else {
                  state = TransportState.FAILED;
                }
              }
            });
  }

  private void markRunning() {
    synchronized (lock) {
      if (state != TransportState.RESTARTING) {
        return;
      }
      state = TransportState.RUNNING;
      failedAttempts = 0;
      pending.counters().restarts.increment();
    }
    log.info("Upstream '{}' is back in a new session", failures.name());
    if (initializedSent) {
      getStream.start();
    }
  }
}
