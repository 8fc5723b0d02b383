package dev.gatekit.api.plugin;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcResponse;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a security or middleware plugin decided about one message.
 *
 * <p>The decision says what happens next; {@link #message()} is present exactly for
 * {@link Decision#MODIFY} (the rewritten message) and {@link Decision#COMPLETE} (the response that
 * answers the request), never both and never otherwise. The reason is for people (a blocked client
 * sees it; the audit log records it); metadata is for auditing plugins.
 *
 * @param decision what the plugin decided
 * @param message the rewritten message or the completed response, as described above
 * @param reason why, or {@code null}
 * @param metadata extra facts for auditing, never {@code null}; immutable
 */
public record PluginResult(
    Decision decision,
    @Nullable JsonRpcMessage message,
    @Nullable String reason,
    Map<String, Object> metadata) {

  /** What a plugin decided about a message. */
  public enum Decision {
    /** Let the message through unchanged. */
    ALLOW,
    /** Let the message through, rewritten; {@link #message()} holds the new message. */
    MODIFY,
    /** Stop the message; a blocked request is answered with an error carrying the reason. */
    BLOCK,
    /**
     * Answer the request without going upstream; {@link #message()} holds the response. Only
     * middleware may complete, and only requests.
     */
    COMPLETE
  }

  private static final PluginResult ALLOW = new PluginResult(Decision.ALLOW, null, null, Map.of());

  /** Checks that the message is present exactly when the decision needs one. */
  public PluginResult {
    Objects.requireNonNull(decision, "decision");
    metadata = Map.copyOf(metadata);
    boolean needsMessage = decision == Decision.MODIFY || decision == Decision.COMPLETE;
    if (needsMessage != (message != null)) {
      throw new IllegalArgumentException(
          decision + (needsMessage ? " needs a message" : " must not carry a message"));
    }
    if (decision == Decision.COMPLETE && !(message instanceof JsonRpcResponse)) {
      throw new IllegalArgumentException("COMPLETE needs a JsonRpcResponse");
    }
  }

  /** Lets the message through unchanged. */
  public static PluginResult allow() {
    return ALLOW;
  }

  /** Lets the message through unchanged, with a reason for the audit log. */
  public static PluginResult allow(String reason) {
    return new PluginResult(Decision.ALLOW, null, reason, Map.of());
  }

  /** Lets the rewritten message through in place of the original. */
  public static PluginResult modify(JsonRpcMessage rewritten, String reason) {
    return new PluginResult(Decision.MODIFY, rewritten, reason, Map.of());
  }

  /** Stops the message; a client sees the reason. */
  public static PluginResult block(String reason) {
    return new PluginResult(Decision.BLOCK, null, Objects.requireNonNull(reason, "reason"), Map.of());
  }

  /** Answers the request with {@code response} without going upstream (middleware only). */
  public static PluginResult complete(JsonRpcResponse response, String reason) {
    return new PluginResult(Decision.COMPLETE, response, reason, Map.of());
  }

  /** Returns this result with one more metadata entry. */
  public PluginResult withMetadata(String key, Object value) {
    Map<String, Object> more = new HashMap<>(metadata);
    more.put(key, value);
    return new PluginResult(decision, message, reason, more);
  }

  /** Returns whether the message goes on (allowed or modified). */
  public boolean passes() {
    return decision == Decision.ALLOW || decision == Decision.MODIFY;
  }
}
