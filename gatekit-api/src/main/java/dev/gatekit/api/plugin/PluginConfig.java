package dev.gatekit.api.plugin;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The options of one configured plugin, with typed accessors that collect problems instead of
 * failing at the first one.
 *
 * <p>A provider reads each option with a default, then calls {@link #validate()}, which throws a
 * {@link PluginConfigException} listing every problem (path, expected, found) if there was any:
 *
 * <pre>{@code
 * String action = config.choice("action", List.of("block", "redact", "audit_only"), "block");
 * int limit = config.integer("max_length", 1_000, 1, 1_000_000);
 * config.rejectUnknownKeys(Set.of("action", "max_length"));
 * config.validate();
 * }</pre>
 *
 * <p>Options hold what a YAML or JSON document holds: strings, numbers, booleans, lists and maps.
 * The common options {@code enabled}, {@code priority} and {@code critical} are read by the gateway
 * through {@link #enabled()}, {@link #priority()} and {@link #critical()}. A config and the configs it
 * hands out for nested objects share one {@link ConfigProblems} and one {@linkplain #baseDirectory() base
 * directory}, against which {@link #filePath} resolves relative paths: the folder of the
 * configuration file they came from. Not thread-safe; used while building a plugin.
 */
public final class PluginConfig {

  /** The options every plugin accepts, read by the gateway. */
  public static final Set<String> COMMON_KEYS = Set.of("enabled", "priority", "critical");

  private final String handler;
  private final String path;
  private final Map<String, Object> options;
  private final ConfigProblems problems;
  private final boolean topLevel;
  private final Path baseDirectory;

  private PluginConfig(
      String handler,
      String path,
      Map<String, Object> options,
      ConfigProblems problems,
      boolean topLevel,
      Path baseDirectory) {
    this.handler = handler;
    this.path = path;
    this.options = options;
    this.problems = problems;
    this.topLevel = topLevel;
    this.baseDirectory = baseDirectory;
  }

  /**
   * Returns the configuration of a plugin with the given handler name.
   *
   * @param path where these options are in the configuration, used in problem reports, such as
   *     {@code plugins.security._global[0].config}
   */
  public static PluginConfig of(String handler, String path, Map<String, ?> options) {
    return of(handler, path, options, Path.of("").toAbsolutePath());
  }

  /**
   * Returns the configuration of a plugin whose relative file paths are relative to {@code
   * baseDirectory} (for a configuration file: the folder it is in).
   *
   * @param path where these options are in the configuration, used in problem reports
   */
  public static PluginConfig of(String handler, String path, Map<String, ?> options, Path baseDirectory) {
    Objects.requireNonNull(handler, "handler");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(baseDirectory, "baseDirectory");
    return new PluginConfig(
        handler,
        path,
        Collections.unmodifiableMap(new LinkedHashMap<>(options)),
        new ConfigProblems(),
        true,
        baseDirectory.toAbsolutePath().normalize());
  }

  /** Returns the configuration of a plugin without options, located at {@code handler}. */
  public static PluginConfig empty(String handler) {
    return of(handler, handler, Map.of());
  }

  /** Returns the handler name. */
  public String handler() {
    return handler;
  }

  /** Returns where these options are in the configuration. */
  public String path() {
    return path;
  }

  /**
   * Returns the absolute directory that relative file paths in these options are relative to: the
   * folder of the configuration file, or the working directory for options given in code.
   */
  public Path baseDirectory() {
    return baseDirectory;
  }

  /** Returns the raw options, unmodifiable. */
  public Map<String, Object> options() {
    return options;
  }

  /** Returns whether the option is present. */
  public boolean has(String key) {
    return options.containsKey(key);
  }

  /** Returns the raw value of an option, or {@code null}. */
  public @Nullable Object raw(String key) {
    return options.get(key);
  }

  /** Returns the common option {@code enabled} (default true). */
  public boolean enabled() {
    return bool("enabled", true);
  }

  /** Returns the common option {@code priority}, 0 to 100 (default {@link Plugin#DEFAULT_PRIORITY}). */
  public int priority() {
    return integer("priority", Plugin.DEFAULT_PRIORITY, 0, 100);
  }

  /** Returns the common option {@code critical} (default false). */
  public boolean critical() {
    return bool("critical", false);
  }

  /** Returns a string option, or the default when absent. */
  public String string(String key, String defaultValue) {
    String value = string(key);
    return value == null ? defaultValue : value;
  }

  /** Returns a string option, or {@code null} when absent (or wrong, which is recorded). */
  public @Nullable String string(String key) {
    Object value = options.get(key);
    if (value == null) {
      return null;
    }
    if (value instanceof String s) {
      return s;
    }
    problem(key, "a string", describe(value));
    return null;
  }

  /** Returns a string option that must be present and non-empty; records a problem otherwise. */
  public String requireString(String key) {
    Object value = options.get(key);
    if (value == null) {
      problem(key, "a string", "missing");
      return "";
    }
    String s = string(key);
    if (s != null && s.isBlank()) {
      problem(key, "a non-empty string", "an empty string");
    }
    return s == null ? "" : s;
  }

  /**
   * Returns a required string option as a file path, a relative one resolved against {@link
   * #baseDirectory()}. Records a problem (and returns the base directory) when it is missing, empty or
   * not a valid path.
   */
  public Path filePath(String key) {
    String value = requireString(key);
    if (value.isBlank()) {
      return baseDirectory;
    }
    try {
      return baseDirectory.resolve(value).normalize();
    } catch (InvalidPathException e) {
      problem(key, "a file path", "\"" + value + "\" (" + e.getReason() + ")");
      return baseDirectory;
    }
  }

  /** Returns a boolean option, or the default when absent. */
  public boolean bool(String key, boolean defaultValue) {
    Object value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    problem(key, "true or false", describe(value));
    return defaultValue;
  }

  /** Returns an integer option within {@code [min, max]}, or the default when absent. */
  public int integer(String key, int defaultValue, int min, int max) {
    Object value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    // Compare as double: longValue() keeps only the low 64 bits of a BigInteger or BigDecimal, so
    // 2^64 would pass as 0. Rounding to double is monotonic and int bounds are exact doubles.
    if (value instanceof Number n && isIntegral(n) && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.intValue();
    }
    problem(key, "an integer from " + min + " to " + max, describe(value));
    return defaultValue;
  }

  /** Returns a numeric option within {@code [min, max]}, or the default when absent. */
  public double number(String key, double defaultValue, double min, double max) {
    Object value = options.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (value instanceof Number n && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.doubleValue();
    }
    problem(key, "a number from " + min + " to " + max, describe(value));
    return defaultValue;
  }

  /**
   * Returns a string option that must be one of {@code allowed} (compared ignoring case and returned
   * as listed), or the default when absent.
   */
  public String choice(String key, Collection<String> allowed, String defaultValue) {
    String value = string(key);
    if (value == null) {
      return defaultValue;
    }
    for (String candidate : allowed) {
      if (candidate.equalsIgnoreCase(value)) {
        return candidate;
      }
    }
    problem(key, "one of " + String.join(", ", allowed), describe(value));
    return defaultValue;
  }

  /** Returns a list of strings, or an empty list when absent. */
  public List<String> stringList(String key) {
    Object value = options.get(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      problem(key, "a list of strings", describe(value));
      return List.of();
    }
    List<String> strings = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) instanceof String s) {
        strings.add(s);
      } else {
        problem(ConfigProblems.index(key, i), "a string", describe(list.get(i)));
      }
    }
    return List.copyOf(strings);
  }

  /** Returns a nested object as a config of its own (sharing this one's problems), or empty when absent. */
  public PluginConfig object(String key) {
    Object value = options.get(key);
    if (value == null) {
      return nested(key, Map.of());
    }
    if (value instanceof Map<?, ?> map) {
      return nested(key, map);
    }
    problem(key, "an object", describe(value));
    return nested(key, Map.of());
  }

  /** Returns a list of objects, each as a config of its own, or an empty list when absent. */
  public List<PluginConfig> objectList(String key) {
    Object value = options.get(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> list)) {
      problem(key, "a list of objects", describe(value));
      return List.of();
    }
    List<PluginConfig> configs = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) instanceof Map<?, ?> map) {
        configs.add(nested(ConfigProblems.index(key, i), map));
      } else {
        problem(ConfigProblems.index(key, i), "an object", describe(list.get(i)));
      }
    }
    return List.copyOf(configs);
  }

  /**
   * Records a problem for every option not in {@code known} (the {@linkplain #COMMON_KEYS common
   * keys} are always known at the top level), suggesting the closest known key.
   */
  public void rejectUnknownKeys(Set<String> known) {
    Set<String> all = new TreeSet<>(known);
    if (topLevel) {
      all.addAll(COMMON_KEYS);
    }
    for (String key : options.keySet()) {
      if (!all.contains(key)) {
        String suggestion = ConfigProblems.closest(key, all);
        problem(
            key,
            suggestion == null ? "one of the keys " + all : "'" + suggestion + "' (did you mean it?)",
            "unknown key '" + key + "'");
      }
    }
  }

  /** Records a problem with an option. */
  public void problem(String key, String expected, String found) {
    problems.add(ConfigProblems.key(path, key), expected, found);
  }

  /** Returns the problems recorded so far. */
  public List<ConfigProblem> problems() {
    return problems.toList();
  }

  /** Throws a {@link PluginConfigException} listing every problem recorded, if there is any. */
  public void validate() {
    if (!problems.isEmpty()) {
      throw new PluginConfigException(problems.toList());
    }
  }

  /**
   * Returns the candidate closest to {@code word} when it is close enough to be a likely typo, else
   * {@code null}: the same as {@link ConfigProblems#closest}, kept here for plugin authors.
   */
  public static @Nullable String closest(String word, Collection<String> candidates) {
    return ConfigProblems.closest(word, candidates);
  }

  private PluginConfig nested(String key, Map<?, ?> map) {
    Map<String, Object> copy = new LinkedHashMap<>();
    map.forEach((k, v) -> copy.put(String.valueOf(k), v));
    return new PluginConfig(
        handler, ConfigProblems.key(path, key), Collections.unmodifiableMap(copy), problems, false, baseDirectory);
  }

  private static boolean isIntegral(Number n) {
    return n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte
        || (n instanceof java.math.BigInteger b && b.bitLength() < 64)
        || (n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue()));
  }

  private static String describe(@Nullable Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String s) {
      return "\"" + s + "\"";
    }
    if (value instanceof List<?>) {
      return "a list";
    }
    if (value instanceof Map<?, ?>) {
      return "an object";
    }
    return value + " (" + value.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ")";
  }

  @Override
  public String toString() {
    return "PluginConfig{" + handler + " at " + path + ": " + options + '}';
  }
}
