package dev.gatekit.api.plugin;

/**
 * What all plugins share: an order and a way to release resources. Implement one of
 * {@link SecurityPlugin}, {@link MiddlewarePlugin} or {@link AuditingPlugin}.
 *
 * <p>Implementations must be thread-safe: one instance sees many requests at once.
 */
public interface Plugin extends AutoCloseable {

  /** The priority of a plugin that does not choose one. */
  int DEFAULT_PRIORITY = 50;

  /**
   * Returns where this plugin runs among plugins of its kind: 0 to 100, lower first; plugins of
   * equal priority run in configuration order.
   */
  default int priority() {
    return DEFAULT_PRIORITY;
  }

  /** Releases what the plugin holds (files, threads). Called once when the gateway shuts down. */
  @Override
  default void close() {}
}
