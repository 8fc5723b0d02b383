package dev.gatekit.api.plugin;

/**
 * Builds plugins of one handler name from their configuration. Providers are found with
 * {@link java.util.ServiceLoader}: list the implementation in
 * {@code META-INF/services/dev.gatekit.api.plugin.PluginProvider}. Built-in plugins are found the
 * same way; a handler name may be provided only once on the class path.
 *
 * <p>Implementations need a public no-argument constructor and must be thread-safe.
 */
public interface PluginProvider {

  /** Returns the handler name configurations use, such as {@code basic_secrets_filter}. */
  String handler();

  /** Returns the kind of the plugins this provider builds. */
  PluginKind kind();

  /**
   * Builds a plugin from its configuration. A provider validates every option it reads and reports
   * all problems at once: read the options through {@code config}'s accessors, then call
   * {@link PluginConfig#validate()} before using them.
   *
   * @return a plugin implementing {@link #kind()}'s interface
   * @throws PluginConfigException if the options are invalid; it lists every problem
   */
  Plugin create(PluginConfig config);
}
