package dev.gatekit.api.plugin;

import java.util.List;
import java.util.stream.Collectors;

/** A plugin's configuration is invalid; {@link #problems()} lists every problem found. */
public class PluginConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient List<ConfigProblem> problems;

  /** Creates an exception for the given problems (at least one). */
  public PluginConfigException(List<ConfigProblem> problems) {
    super(format(problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a configuration error needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  /** Returns every problem found, in the order found. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String format(List<ConfigProblem> problems) {
    return problems.size() == 1
        ? "Invalid plugin configuration: " + problems.get(0)
        : problems.size()
            + " problems in plugin configuration:"
            + problems.stream().map(p -> "\n  " + p).collect(Collectors.joining());
  }
}
