package dev.gatekit.api;

import java.util.List;

/**
 * The MCP method names the gateway works with, as of MCP 2025-11-25. Methods not listed here are
 * still forwarded; the list exists so that no method name is spelled out twice in the code base.
 */
public final class McpMethods {

  // Lifecycle and utilities
  public static final String INITIALIZE = "initialize";
  public static final String PING = "ping";

  // Tools
  public static final String TOOLS_LIST = "tools/list";
  public static final String TOOLS_CALL = "tools/call";

  // Resources
  public static final String RESOURCES_LIST = "resources/list";
  public static final String RESOURCES_TEMPLATES_LIST = "resources/templates/list";
  public static final String RESOURCES_READ = "resources/read";
  public static final String RESOURCES_SUBSCRIBE = "resources/subscribe";
  public static final String RESOURCES_UNSUBSCRIBE = "resources/unsubscribe";

  // Prompts
  public static final String PROMPTS_LIST = "prompts/list";
  public static final String PROMPTS_GET = "prompts/get";

  // Completion and logging
  public static final String COMPLETION_COMPLETE = "completion/complete";
  public static final String LOGGING_SET_LEVEL = "logging/setLevel";

  // Server-to-client requests
  public static final String SAMPLING_CREATE_MESSAGE = "sampling/createMessage";
  public static final String ELICITATION_CREATE = "elicitation/create";
  public static final String ROOTS_LIST = "roots/list";
  /** MCP 2026-07-28: a long request whose notifications carry what the client listens for. */
  public static final String SUBSCRIPTIONS_LISTEN = "subscriptions/listen";

  // Notifications
  public static final String NOTIFICATIONS_INITIALIZED = "notifications/initialized";
  public static final String NOTIFICATIONS_CANCELLED = "notifications/cancelled";
  public static final String NOTIFICATIONS_PROGRESS = "notifications/progress";
  public static final String NOTIFICATIONS_MESSAGE = "notifications/message";
  public static final String NOTIFICATIONS_TOOLS_LIST_CHANGED = "notifications/tools/list_changed";
  public static final String NOTIFICATIONS_PROMPTS_LIST_CHANGED = "notifications/prompts/list_changed";
  public static final String NOTIFICATIONS_RESOURCES_LIST_CHANGED =
      "notifications/resources/list_changed";
  public static final String NOTIFICATIONS_RESOURCES_UPDATED = "notifications/resources/updated";
  public static final String NOTIFICATIONS_ROOTS_LIST_CHANGED = "notifications/roots/list_changed";
  public static final String NOTIFICATIONS_ELICITATION_COMPLETE = "notifications/elicitation/complete";

  /** The MCP protocol version this gateway was built against (the current one). */
  public static final String LATEST_PROTOCOL_VERSION = "2025-11-25";

  /**
   * Every MCP protocol version Gatekit speaks with clients, the newest first: the stateless
   * 2026-07-28, and the 2025-era versions with {@code initialize} and sessions.
   */
  public static final List<String> PROTOCOL_VERSIONS =
      List.of("2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26");

  private McpMethods() {}
}
