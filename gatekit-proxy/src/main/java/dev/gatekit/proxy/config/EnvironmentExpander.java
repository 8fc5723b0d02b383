package dev.gatekit.proxy.config;

import dev.gatekit.api.plugin.ConfigProblems;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Substitutes environment variables in configuration strings: {@code ${VAR}} is the variable's
 * value, {@code ${VAR:-default}} the value or, when the variable is unset or empty, the default;
 * {@code $$} is a literal {@code $}; any other {@code $} is kept as it is. An unset variable without
 * a default, or a {@code ${} without its closing {@code }}, is a problem at the string's path.
 * Immutable.
 */
final class EnvironmentExpander {

  private final Map<String, String> environment;

  /** @param environment the variables, such as {@link System#getenv()}; read, never copied */
  EnvironmentExpander(Map<String, String> environment) {
    this.environment = environment;
  }

  /** Returns the variable's value, or null when it is unset. */
  @Nullable String get(String name) {
    return environment.get(name);
  }

  /**
   * Returns {@code text} with its variables substituted, or null when it has a problem; every unset
   * variable in it is recorded in {@code problems} at {@code path}.
   */
  @Nullable String expand(String text, String path, ConfigProblems problems) {
    return expand(text, path, problems, false);
  }

  /**
   * As {@link #expand(String, String, ConfigProblems)}; when {@code secret}, the problems never quote
   * {@code text} (a header value such as {@code Bearer ...}): it is shown as {@code ***}.
   */
  @Nullable String expand(String text, String path, ConfigProblems problems, boolean secret) {
    if (text.indexOf('$') < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
        out.append('$');
        i++;
      } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
        int end = text.indexOf('}', i + 2);
        if (end < 0) {
          problems.add(path, "a closing '}' after '${'", secret ? "***" : "\"" + text + "\"");
          return null;
        }
        String expression = text.substring(i + 2, end);
        String value = lookUp(expression);
        if (value == null) {
          String name = nameOf(expression);
          problems.add(path, "environment variable " + name + " to be set (for ${" + expression + "})", "it unset");
          ok = false;
        } else {
          out.append(value);
        }
        i = end;
      } else {
        out.append(c);
      }
    }
    return ok ? out.toString() : null;
  }

  /** The value of {@code VAR} or {@code VAR:-default}; null when unset without a default. */
  private @Nullable String lookUp(String expression) {
    int dash = expression.indexOf(":-");
    String fallback = dash >= 0 ? expression.substring(dash + 2) : null;
    String value = environment.get(nameOf(expression));
    if (value == null || (value.isEmpty() && fallback != null)) {
      value = fallback;
    }
    return value;
  }

  private static String nameOf(String expression) {
    int dash = expression.indexOf(":-");
    return dash >= 0 ? expression.substring(0, dash) : expression;
  }
}
