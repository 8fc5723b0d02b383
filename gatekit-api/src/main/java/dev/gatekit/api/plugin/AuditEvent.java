package dev.gatekit.api.plugin;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One thing that happened to one message, as an auditing plugin sees it.
 *
 * @param time when the outcome was decided
 * @param direction which way the message travelled
 * @param upstream the upstream concerned, or {@code null} when the gateway answered on its own
 * @param method the method of the request or notification the event belongs to
 * @param requestId the client's request id, or {@code null} for a notification
 * @param outcome what happened
 * @param message the message as it left the pipeline; {@code null} when it was blocked, so that
 *     nothing a filter stopped reaches an audit log
 * @param reason why, as given by the deciding plugin or the failure, or {@code null}
 * @param duration for a response, the time since the request entered the gateway; otherwise
 *     {@code null}
 * @param metadata what plugins added with {@link PluginResult#withMetadata}; immutable
 * @param session the client session's id ({@link PluginContext#SESSION_ID}) when the gateway serves
 *     several clients, otherwise {@code null}
 */
public record AuditEvent(
    Instant time,
    Direction direction,
    @Nullable String upstream,
    String method,
    @Nullable RequestId requestId,
    Outcome outcome,
    @Nullable JsonRpcMessage message,
    @Nullable String reason,
    @Nullable Duration duration,
    Map<String, Object> metadata,
    @Nullable String session) {

  /** What happened to a message. */
  public enum Outcome {
    /** Passed unchanged. */
    ALLOWED,
    /** Passed, rewritten by a plugin. */
    MODIFIED,
    /** Stopped by a security plugin (or a failing critical auditing plugin). */
    BLOCKED,
    /** Answered by a middleware plugin without going upstream. */
    COMPLETED,
    /** Failed: the upstream was unavailable, overloaded, or a plugin failed. */
    FAILED,
    /** Not answered in time. */
    TIMED_OUT
  }

  /** Copies the metadata and checks the required fields. */
  public AuditEvent {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(outcome, "outcome");
    metadata = Map.copyOf(metadata);
  }

  /** An event of a gateway with one client: no session id. */
  public AuditEvent(Instant time, Direction direction, @Nullable String upstream, String method,
      @Nullable RequestId requestId, Outcome outcome, @Nullable JsonRpcMessage message,
      @Nullable String reason, @Nullable Duration duration, Map<String, Object> metadata) {
    this(time, direction, upstream, method, requestId, outcome, message, reason, duration, metadata, null);
  }
}
