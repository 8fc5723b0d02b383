package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.proxy.internal.telemetry.CallResult;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one message came to in a {@link Chain}: the far side's answer (as the stages on the way back
 * left it), a notification delivered, or the reason it stopped on the way.
 *
 * @param verdict what happened, in the audit log's words
 * @param message the answer or the delivered notification; {@code null} when the message stopped
 *     without one (blocked, failed)
 * @param reason why, for people: a plugin's reason or the failure; {@code null} when none was given
 * @param errorCode the JSON-RPC error code a client sees when there is no message; 0 otherwise
 * @param metadata what plugins added on the way back, for auditing; immutable
 * @param fromFarSide whether {@link #message} came from the far side, so that the stages on the way
 *     back look at it; an outcome a stage made itself passes them untouched
 */
public record Outcome(
    AuditEvent.Outcome verdict,
    @Nullable JsonRpcMessage message,
    @Nullable String reason,
    int errorCode,
    Map<String, Object> metadata,
    boolean fromFarSide) {

  /** Copies the metadata. */
  public Outcome {
    Objects.requireNonNull(verdict, "verdict");
    metadata = Map.copyOf(metadata);
  }

  /** The far side answered (a response, or a notification was delivered). */
  public static Outcome answered(JsonRpcMessage message) {
    return new Outcome(AuditEvent.Outcome.ALLOWED, message, null, 0, Map.of(), true);
  }

  /** A security stage (or a critical auditor that could not record) stopped the message. */
  public static Outcome blocked(int errorCode, String reason, Map<String, Object> metadata) {
    return new Outcome(AuditEvent.Outcome.BLOCKED, null, reason, errorCode, metadata, false);
  }

  /** A middleware stage answered the request itself. */
  public static Outcome completed(JsonRpcResponse answer, @Nullable String reason, Map<String, Object> metadata) {
    return new Outcome(AuditEvent.Outcome.COMPLETED, answer, reason, 0, metadata, false);
  }

  /** The message could not go on: a plugin or the far side failed. */
  public static Outcome failed(int errorCode, String reason) {
    return new Outcome(AuditEvent.Outcome.FAILED, null, reason, errorCode, Map.of(), false);
  }

  /** The far side did not answer in time. */
  public static Outcome timedOut(String reason) {
    return new Outcome(AuditEvent.Outcome.TIMED_OUT, null, reason, ErrorCodes.REQUEST_TIMEOUT, Map.of(), false);
  }

  /** Returns this outcome with the message a stage on the way back rewrote it into. */
  public Outcome modified(JsonRpcMessage rewritten, @Nullable String why, Map<String, Object> more) {
    return new Outcome(AuditEvent.Outcome.MODIFIED, rewritten, why, 0, merged(more), true);
  }

  /** Returns this outcome with more metadata; later keys win. */
  public Outcome withMetadata(Map<String, Object> more) {
    return more.isEmpty() ? this : new Outcome(verdict, message, reason, errorCode, merged(more), fromFarSide);
  }

  /** Returns whether the message went through: answered, delivered, rewritten or completed. */
  public boolean passed() {
    return message != null;
  }

  /** Returns whether the message was answered with a result (not an error of any origin). */
  public boolean succeeded() {
    return message instanceof JsonRpcResponse response && !response.isError();
  }

  /** Returns what this outcome is in the words of metrics and traces. */
  public CallResult callResult() {
    if (message != null) {
      return message instanceof JsonRpcResponse response && response.isError() ? CallResult.ERROR : CallResult.OK;
    }
    return switch (verdict) {
      case BLOCKED -> CallResult.BLOCKED;
      case TIMED_OUT -> CallResult.TIMED_OUT;
      default -> errorCode == ErrorCodes.OVERLOADED ? CallResult.REJECTED : CallResult.FAILED;
    };
  }

  /** Returns the JSON-RPC error code the receiver gets, or 0 when it gets a result. */
  public int receivedErrorCode() {
    if (message instanceof JsonRpcResponse response) {
      JsonRpcError error = response.error();
      return error == null ? 0 : error.code();
    }
    return message != null ? 0 : errorCode == 0 ? ErrorCodes.INTERNAL_ERROR : errorCode;
  }

  /**
   * Returns what the client (or, for a server-to-client request, the upstream) gets under {@code id}:
   * the answer, or an error with {@link #errorCode} and {@link #reason}.
   */
  public JsonRpcResponse toResponse(@Nullable RequestId id) {
    if (message instanceof JsonRpcResponse response) {
      return response.withId(id);
    }
    return JsonRpcResponse.failure(id, errorCode == 0 ? ErrorCodes.INTERNAL_ERROR : errorCode, String.valueOf(reason));
  }

  private Map<String, Object> merged(Map<String, Object> more) {
    if (metadata.isEmpty()) {
      return more;
    }
    java.util.HashMap<String, Object> all = new java.util.HashMap<>(metadata);
    all.putAll(more);
    return all;
  }
}
