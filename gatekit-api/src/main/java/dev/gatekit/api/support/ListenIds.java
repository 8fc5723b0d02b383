package dev.gatekit.api.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.util.function.LongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Puts a caller's id back where an MCP 2026-07-28 server names a {@code subscriptions/listen} by
 * the id it was sent under. A transport that sends each request under an id of its own (a wire id,
 * for correlation) gets the listen's notifications with that wire id in {@code
 * _meta["io.modelcontextprotocol/subscriptionId"]}, and the {@code notifications/cancelled} that
 * ends a listen with it as {@code requestId}; the caller knows the listen only by its own id. A
 * notification with neither, or whose integral id names no listen the transport has in flight, is
 * returned as it came. Stateless and thread-safe.
 */
public final class ListenIds {

  /** The {@code _meta} member in which a listen's notifications name their subscription. */
  public static final String SUBSCRIPTION_ID_META = "io.modelcontextprotocol/subscriptionId";

  private ListenIds() {}

  /**
   * Returns {@code notification} with each wire id of a listen replaced by its caller's id, or the
   * notification itself when nothing names a listen.
   *
   * @param callerOfListen the caller's id of the listen in flight under a wire id; null when that
   *     wire id is no listen in flight
   */
  public static JsonRpcNotification toCallerIds(
      JsonRpcNotification notification, LongFunction<@Nullable RequestId> callerOfListen) {
    if (!(notification.params() instanceof ObjectNode params)) {
      return notification;
    }
    ObjectNode copy = null;
    JsonNode subscription = params.path("_meta").path(SUBSCRIPTION_ID_META);
    RequestId caller = subscription.isIntegralNumber() ? callerOfListen.apply(subscription.longValue()) : null;
    if (caller != null) {
      copy = params.deepCopy();
      ((ObjectNode) copy.get("_meta")).set(SUBSCRIPTION_ID_META, caller.toJson());
    }
    JsonNode cancelled = params.path("requestId");
    if (McpMethods.NOTIFICATIONS_CANCELLED.equals(notification.method()) && cancelled.isIntegralNumber()) {
      RequestId ended = callerOfListen.apply(cancelled.longValue());
      if (ended != null) {
        copy = copy != null ? copy : params.deepCopy();
        copy.set("requestId", ended.toJson());
      }
    }
    return copy == null ? notification : notification.withParams(copy);
  }
}
