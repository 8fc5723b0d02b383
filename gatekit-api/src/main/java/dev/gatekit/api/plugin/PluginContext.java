package dev.gatekit.api.plugin;

import dev.gatekit.api.RequestId;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a plugin knows about the message it is looking at besides the message itself.
 *
 * <p>{@link #direction()} tells which side started the exchange. A plugin sees a client's request
 * with {@link Direction#CLIENT_TO_UPSTREAM} and the response to it with the same context; it sees a
 * server-to-client request (such as {@code sampling/createMessage}, {@code elicitation/create} or
 * {@code roots/list}) with {@link Direction#UPSTREAM_TO_CLIENT}, and the client's answer to it with
 * that same context. A notification's direction is the way it travels.
 *
 * @param direction which way the request or notification this message belongs to travels
 * @param upstream the name of the upstream server the message goes to or comes from, or {@code null}
 *     when it concerns the gateway itself (such as {@code ping})
 * @param requestId the client's id of the request this message belongs to, or {@code null} for a
 *     notification
 * @param method the method of the request or notification this message belongs to
 * @param attributes facts about the request and the session, such as the client's name or the
 *     negotiated protocol version; immutable
 */
public record PluginContext(
    Direction direction,
    @Nullable String upstream,
    @Nullable RequestId requestId,
    String method,
    Map<String, Object> attributes) {

  /** The attribute key of the MCP protocol version agreed with the client. */
  public static final String PROTOCOL_VERSION = "protocolVersion";

  /** The attribute key of the client's name from its {@code initialize} request. */
  public static final String CLIENT_NAME = "clientName";

  /**
   * The attribute key of the client session's id, for a gateway that serves several clients (such as
   * the {@code Mcp-Session-Id} of an HTTP front); absent for a gateway with one client.
   */
  public static final String SESSION_ID = "sessionId";

  /** Copies the attributes. */
  public PluginContext {
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(method, "method");
    attributes = Map.copyOf(attributes);
  }

  /** Returns a context without attributes for a message that a client started. */
  public static PluginContext of(@Nullable String upstream, @Nullable RequestId requestId, String method) {
    return of(Direction.CLIENT_TO_UPSTREAM, upstream, requestId, method);
  }

  /** Returns a context without attributes. */
  public static PluginContext of(
      Direction direction, @Nullable String upstream, @Nullable RequestId requestId, String method) {
    return new PluginContext(direction, upstream, requestId, method, Map.of());
  }

  /** Returns whether the exchange was started by an upstream (a server-to-client request). */
  public boolean fromUpstream() {
    return direction == Direction.UPSTREAM_TO_CLIENT;
  }
}
