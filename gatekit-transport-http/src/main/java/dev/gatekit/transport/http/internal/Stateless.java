package dev.gatekit.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.support.ListenIds;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The stateless Streamable HTTP of MCP 2026-07-28, as far as a client's POSTs differ from 2025's.
 *
 * <p>A message is of the stateless generation when its {@code params._meta} names a protocol
 * version ({@code io.modelcontextprotocol/protocolVersion}, which 2025-era messages never carry), and
 * a {@code server/discover} is always. Such a POST carries no {@code Mcp-Session-Id}; it carries
 * {@code MCP-Protocol-Version} (the version its {@code _meta} names), {@code Mcp-Method} and, for the
 * methods that name a tool, prompt, resource or task, {@code Mcp-Name} with that name, encoded as the
 * specification says for values that cannot travel as plain ASCII ({@link #headerValue}).
 */
public final class Stateless {

  /** The {@code _meta} key of a 2026-era message's protocol version. */
  public static final String PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion";
  /** The {@code _meta} key of a notification's subscription: the id of its {@code subscriptions/listen}. */
  public static final String SUBSCRIPTION_ID_META = ListenIds.SUBSCRIPTION_ID_META;
  /** The version a {@code server/discover} without one in its {@code _meta} is sent under. */
  public static final String DEFAULT_VERSION = "2026-07-28";
  public static final String SERVER_DISCOVER = "server/discover";
  public static final String SUBSCRIPTIONS_LISTEN = McpMethods.SUBSCRIPTIONS_LISTEN;
  public static final String METHOD_HEADER = "Mcp-Method";
  public static final String NAME_HEADER = "Mcp-Name";

  /** The methods whose {@code Mcp-Name} mirrors a member of their params, and which member. */
  private static final Map<String, String> NAME_SOURCE =
      Map.of(
          McpMethods.TOOLS_CALL, "name",
          McpMethods.PROMPTS_GET, "name",
          McpMethods.RESOURCES_READ, "uri",
          "tasks/get", "taskId",
          "tasks/update", "taskId",
          "tasks/cancel", "taskId");

  private static final String SENTINEL_PREFIX = "=?base64?";
  private static final String SENTINEL_SUFFIX = "?=";

  private Stateless() {}

  /**
   * Returns the protocol version a message with these params is POSTed under statelessly, or null
   * when it is a 2025-era message (sent in the session, as before).
   */
  public static @Nullable String version(String method, @Nullable JsonNode params) {
    JsonNode version = params == null ? null : params.path("_meta").get(PROTOCOL_VERSION_META);
    if (version != null && version.isTextual() && !version.textValue().isEmpty()) {
      return version.textValue();
    }
    return SERVER_DISCOVER.equals(method) ? DEFAULT_VERSION : null;
  }

  /** Returns the value {@code Mcp-Name} mirrors for this method, or null when it has none. */
  public static @Nullable String name(String method, @Nullable JsonNode params) {
    String member = NAME_SOURCE.get(method);
    JsonNode value = member == null || params == null ? null : params.get(member);
    return value != null && value.isTextual() ? value.textValue() : null;
  }

  /**
   * A header value as the 2026 transport carries it: as it is when it is printable ASCII without
   * surrounding whitespace, otherwise (or when it looks like the encoded form itself) {@code
   * =?base64?...?=} around the standard Base64 of its UTF-8 bytes.
   */
  public static String headerValue(String value) {
    boolean plain = true;
    for (int i = 0; i < value.length() && plain; i++) {
      char c = value.charAt(i);
      plain = c >= 0x20 && c <= 0x7e;
    }
    plain = plain
        && value.strip().length() == value.length()
        && !(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX));
    return plain
        ? value
        : SENTINEL_PREFIX + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + SENTINEL_SUFFIX;
  }

  /**
   * A message read on the stream of a {@code subscriptions/listen} the transport sent as {@code
   * wireId}, with that id put back to the caller's where the server names the subscription by it:
   * the {@code subscriptionId} of a notification's {@code _meta}, the {@code requestId} of the
   * {@code notifications/cancelled} that ends the subscription.
   */
  public static JsonRpcMessage toCallerIds(JsonRpcMessage message, long wireId, RequestId callerId) {
    return message instanceof JsonRpcNotification notification
        ? ListenIds.toCallerIds(notification, id -> id == wireId ? callerId : null)
        : message;
  }

}
