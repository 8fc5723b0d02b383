package dev.gatekit.proxy.config;

import dev.gatekit.api.plugin.ConfigProblem;
import java.nio.file.Path;
import java.util.List;

/**
 * A configuration file that cannot be used: every problem found in it, each with the path inside the
 * file, what was expected and what was found. The message names the file and lists them all.
 */
public final class ConfigException extends Exception {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final transient List<ConfigProblem> problems;

  /** @param problems at least one */
  public ConfigException(Path file, List<ConfigProblem> problems) {
    super(message(file, problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    this.file = file;
    this.problems = List.copyOf(problems);
  }

  /** The configuration file. */
  public Path file() {
    return file;
  }

  /** Every problem found, in the order of the file. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String message(Path file, List<ConfigProblem> problems) {
    StringBuilder text = new StringBuilder();
    text.append("Invalid configuration ").append(file).append(" (")
        .append(problems.size()).append(problems.size() == 1 ? " problem" : " problems").append("):");
    for (ConfigProblem problem : problems) {
      text.append(System.lineSeparator()).append("  ").append(file.getFileName()).append(": ").append(problem);
    }
    return text.toString();
  }
}
