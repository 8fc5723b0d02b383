package dev.gatekit.api.plugin;

/** The three kinds of plugin, each with the interface its plugins implement. */
public enum PluginKind {

  /** Allows or blocks a message, and may rewrite it (for example to redact a secret). */
  SECURITY(SecurityPlugin.class),

  /** Rewrites a message, or completes a request itself without going upstream. */
  MIDDLEWARE(MiddlewarePlugin.class),

  /** Observes every outcome; never changes anything. */
  AUDITING(AuditingPlugin.class);

  private final Class<? extends Plugin> type;

  PluginKind(Class<? extends Plugin> type) {
    this.type = type;
  }

  /** Returns the interface plugins of this kind implement. */
  public Class<? extends Plugin> type() {
    return type;
  }

  /** Returns the key of this kind in configuration files: {@code security}, {@code middleware}, {@code auditing}. */
  public String configKey() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
