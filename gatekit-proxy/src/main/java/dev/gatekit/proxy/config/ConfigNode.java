package dev.gatekit.proxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.gatekit.api.plugin.ConfigProblems;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A value of a parsed YAML configuration together with its path ({@code proxy.upstreams[1].command})
 * and the {@link ConfigProblems} of the whole file.
 *
 * <p>The typed readers ({@link #string()}, {@link #integer(int)} and the rest) never throw: a value
 * of the wrong kind is recorded as a problem at this node's path ("expected X, found Y") and read as
 * {@code null}, so a reader goes on and every problem of a file is reported at once. Strings are
 * read with their {@code ${VAR}} references expanded. A node can be <em>missing</em>: the key is not
 * in its mapping; that is different from a key holding YAML {@code null}.
 */
final class ConfigNode {

  private final @Nullable JsonNode value;
  private final String path;
  private final ConfigProblems problems;
  private final EnvironmentExpander environment;

  private ConfigNode(@Nullable JsonNode value, String path, ConfigProblems problems, EnvironmentExpander environment) {
    this.value = value != null && value.isMissingNode() ? null : value;
    this.path = path;
    this.problems = problems;
    this.environment = environment;
  }

  /** Returns the document's root, at the empty path; missing when the document is empty. */
  static ConfigNode root(@Nullable JsonNode document, ConfigProblems problems, EnvironmentExpander environment) {
    return new ConfigNode(document, "", problems, environment);
  }

  /** Returns where this value is, such as {@code proxy.upstreams[1].command}; empty at the root. */
  String path() {
    return path;
  }

  /** Returns whether the key is absent from its mapping. */
  boolean isMissing() {
    return value == null;
  }

  /** Returns whether the key is absent or holds YAML {@code null}. */
  boolean isAbsent() {
    return value == null || value.isNull();
  }

  /** Returns whether it is a mapping. */
  boolean isMapping() {
    return value != null && value.isObject();
  }

  /** Returns whether it is a list. */
  boolean isList() {
    return value != null && value.isArray();
  }

  /** Returns whether it is a string. */
  boolean isText() {
    return value != null && value.isTextual();
  }

  /** Returns whether it is a string, number or boolean (not a mapping, a list or null). */
  boolean isScalar() {
    return value != null && value.isValueNode() && !value.isNull();
  }

  /** Returns the number of entries of a mapping or elements of a list; 0 otherwise. */
  int size() {
    return value == null ? 0 : value.size();
  }

  /** Returns the text of a scalar as written, without expanding variables. */
  String text() {
    return value == null ? "" : value.asText();
  }

  /** Returns the value of {@code key} of this mapping: missing when it has none. */
  ConfigNode get(String key) {
    JsonNode child = value != null && value.isObject() ? value.get(key) : null;
    return new ConfigNode(child, ConfigProblems.key(path, key), problems, environment);
  }

  /** Returns element {@code index} of this list: missing when there is none. */
  ConfigNode at(int index) {
    JsonNode child = value != null && value.isArray() ? value.get(index) : null;
    return new ConfigNode(child, ConfigProblems.index(path, index), problems, environment);
  }

  /** Returns the keys of this mapping in the file's order; empty for anything else. */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    if (value != null && value.isObject()) {
      value.fieldNames().forEachRemaining(keys::add);
    }
    return keys;
  }

  /** Records a problem at this path. */
  void problem(String expected, String found) {
    problems.add(path, expected, found);
  }

  /** Records that {@code expected} was expected here and this value was found. */
  void expected(String expected) {
    problem(expected, describe());
  }

  /**
   * Returns a scalar as a string with its variables expanded; null, and a problem, for anything
   * else or an unset variable. Numbers and booleans are read as written.
   */
  @Nullable String string() {
    if (!isScalar()) {
      expected("a string");
      return null;
    }
    return expand(text());
  }

  /**
   * Returns a scalar as {@link #string()} does, for a secret such as a header value: a problem never
   * quotes it (it shows {@code ***}).
   */
  @Nullable String secretString() {
    if (!isScalar()) {
      expected("a string");
      return null;
    }
    return environment.expand(text(), path, problems, true);
  }

  /** Returns {@code text} with its variables expanded; null, and a problem at this path, when one is unset. */
  @Nullable String expand(String text) {
    return environment.expand(text, path, problems);
  }

  /** Returns the environment variable's value, or null when it is unset. */
  @Nullable String variable(String name) {
    return environment.get(name);
  }

  /** Returns a list of strings; null, and a problem, for anything else. */
  @Nullable List<String> stringList() {
    if (!isList()) {
      expected("a list of strings");
      return null;
    }
    List<String> result = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      String item = at(i).string();
      if (item == null) {
        return null;
      }
      result.add(item);
    }
    return result;
  }

  /** Returns a boolean; null when missing; null and a problem for anything else. */
  @Nullable Boolean bool() {
    if (value == null) {
      return null;
    }
    if (!value.isBoolean()) {
      expected("true or false");
      return null;
    }
    return value.booleanValue();
  }

  /** Returns a whole number of at least {@code min}; null when missing; null and a problem otherwise. */
  @Nullable Integer integer(int min) {
    if (value == null) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < min) {
      expected("a whole number of at least " + min);
      return null;
    }
    return value.intValue();
  }

  /**
   * Returns a positive number of seconds, at most a year, as a duration; null when missing; null and
   * a problem otherwise.
   */
  @Nullable Duration seconds() {
    if (value == null) {
      return null;
    }
    if (!value.isNumber() || value.doubleValue() <= 0 || value.doubleValue() > 365 * 24 * 3600) {
      expected("a positive number of seconds");
      return null;
    }
    return Duration.ofNanos(Math.round(value.doubleValue() * 1e9));
  }

  /**
   * Records a problem for every key of this mapping not in {@code known}, suggesting the closest
   * known key.
   */
  void rejectUnknownKeys(Set<String> known) {
    List<String> sorted = new ArrayList<>(known);
    Collections.sort(sorted);
    for (String key : keys()) {
      if (!known.contains(key)) {
        get(key).problem("one of the keys " + String.join(", ", sorted), "unknown key " + quote(key) + didYouMean(key, known));
      }
    }
  }

  /** Returns {@code "; did you mean 'x'?"} for the candidate closest to {@code word}, or "" when none is close. */
  static String didYouMean(String word, Collection<String> candidates) {
    String suggestion = ConfigProblems.closest(word, candidates);
    return suggestion != null ? "; did you mean '" + suggestion + "'?" : "";
  }

  /**
   * Returns this mapping as plain, unmodifiable Java values (maps, lists, strings with variables
   * expanded, booleans, integers, longs, doubles), or null when anything inside is null or has an
   * unset variable: each such place is a problem.
   */
  @Nullable Map<String, Object> toMap() {
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) plain();
    return map;
  }

  private @Nullable Object plain() {
    JsonNode node = value;
    if (node == null) {
      expected("a value");
      return null;
    }
    switch (node.getNodeType()) {
      case OBJECT -> {
        Map<String, Object> map = new LinkedHashMap<>();
        boolean ok = true;
        for (String key : keys()) {
          Object v = get(key).plain();
          ok &= v != null;
          if (v != null) {
            map.put(key, v);
          }
        }
        return ok ? Collections.unmodifiableMap(map) : null;
      }
      case ARRAY -> {
        List<Object> list = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < size(); i++) {
          Object v = at(i).plain();
          ok &= v != null;
          list.add(v);
        }
        return ok ? List.copyOf(list) : null;
      }
      case STRING -> {
        return expand(node.asText());
      }
      case BOOLEAN -> {
        return node.booleanValue();
      }
      case NUMBER -> {
        if (node.isIntegralNumber()) {
          return node.canConvertToInt() ? (Object) node.intValue() : (Object) node.longValue();
        }
        return node.doubleValue();
      }
      default -> {
        expected("a value");
        return null;
      }
    }
  }

  /** Describes this value for a problem's "found": {@code a mapping}, {@code "text"}, {@code number 42}. */
  String describe() {
    if (value == null) {
      return "missing";
    }
    JsonNodeType type = value.getNodeType();
    return switch (type) {
      case OBJECT -> "a mapping";
      case ARRAY -> value.isEmpty() ? "an empty list" : "a list";
      case STRING -> quote(value.asText());
      case NULL -> "nothing (null)";
      case BOOLEAN, NUMBER -> type.name().toLowerCase(Locale.ROOT) + " " + value.asText();
      default -> type.name().toLowerCase(Locale.ROOT);
    };
  }

  /** Returns {@code text} in double quotes, as problems show what was found. */
  static String quote(String text) {
    return "\"" + text + "\"";
  }

  @Override
  public String toString() {
    return (path.isEmpty() ? "(document)" : path) + ": " + describe();
  }
}
