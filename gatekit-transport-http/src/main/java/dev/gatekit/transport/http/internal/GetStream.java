package dev.gatekit.transport.http.internal;

import dev.gatekit.api.JsonRpcMessage;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GET stream on which the server sends messages unasked, with or without a session (the spec
 * lets a client open it after initialization either way). A server without one answers 405: then
 * there is none. A stream that ends or breaks is opened again after the server's {@code retry} (1 s
 * if it gave none), with {@code Last-Event-ID} where its events had ids; after three failures in a
 * row the transport stops listening. A 404 with a session means the session expired.
 *
 * <p>{@link #start()} and {@link #stop()} may be called from any thread; each start retires the
 * previous stream.
 */
public final class GetStream {

  private static final Logger log = LoggerFactory.getLogger(GetStream.class);
  private static final int MAX_FAILURES = 3;

  private final Endpoint endpoint;
  private final Failures failures;
  private final Host host;
  private final int maxMessageBytes;
  /** The reader of the current stream, to stop it; bumping {@link #generation} retires it. */
  private volatile @Nullable StreamReader reader;
  private volatile int generation;

  public GetStream(Endpoint endpoint, Failures failures, Host host, int maxMessageBytes) {
    this.endpoint = endpoint;
    this.failures = failures;
    this.host = host;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Opens the stream for the current session (or none), retiring any before it. */
  public void start() {
    if (!host.isRunning()) {
      return;
    }
    int current;
    synchronized (this) {
      current = ++generation;
    }
    listen(endpoint.sessionId(), current, null, 0);
  }

  /** Closes the stream; it is not opened again until {@link #start()}. */
  public void stop() {
    synchronized (this) {
      generation++;
    }
    StreamReader current = reader;
    if (current != null) {
      current.abort();
    }
  }

  private boolean retired(@Nullable String session, int mine) {
    return mine != generation || !host.isRunning() || !Objects.equals(session, endpoint.sessionId());
  }

  private void listen(@Nullable String session, int mine, @Nullable String lastEventId, int failed) {
    if (retired(session, mine)) {
      return;
    }
    int[] status = {0};
    endpoint
        .send(
            endpoint.get(session, lastEventId),
            (code, headers) -> {
              status[0] = code;
              String type = Objects.requireNonNullElse(headers.get("Content-Type"), "").toLowerCase(Locale.ROOT);
              if (code == 200 && type.startsWith(Endpoint.EVENT_STREAM)) {
                StreamReader next = StreamReader.sse(maxMessageBytes, true, new Listener());
                reader = next;
                if (mine != generation) {
                  next.abort();
                }
                return next;
              }
              return null;
            })
        .done()
        .whenComplete(
            (ignored, error) -> {
              StreamReader last = reader;
              String resumeAt = last != null && last.lastEventId() != null ? last.lastEventId() : lastEventId;
              int code = status[0];
              if (mine != generation || !host.isRunning()) {
                return;
              }
              if (code == 405) {
                log.debug("Upstream '{}' offers no GET stream (HTTP 405)", failures.name());
                return;
              }
              if (code == 404 && session != null) {
                host.sessionExpired(session);
                return;
              }
              boolean failure = error != null || code != 200;
              if (failure && failed + 1 >= MAX_FAILURES) {
                log.warn(
                    "Upstream '{}': stopped listening on the GET stream after {} failures (last: {})",
                    failures.name(),
                    failed + 1,
                    error != null ? Failures.describe(error) : "HTTP " + code);
                return;
              }
              long retry = last != null && last.retryMillis() >= 0 ? last.retryMillis() : 1000;
              HttpExecutors.timers()
                  .schedule(
                      () -> listen(session, mine, resumeAt, failure ? failed + 1 : 0), retry, TimeUnit.MILLISECONDS);
            });
  }

  private final class Listener implements StreamReader.Listener {
    @Override
    public void onMessage(JsonRpcMessage message) {
      host.dispatch(message);
    }

    @Override
    public void onBadEvent(String problem) {
      log.warn("Upstream '{}' sent a bad event on its GET stream; dropped: {}", failures.name(), problem);
    }
  }
}
