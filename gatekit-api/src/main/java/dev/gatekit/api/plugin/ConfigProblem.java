package dev.gatekit.api.plugin;

import java.util.Objects;

/**
 * One thing wrong in a configuration: where, what was expected and what was found.
 *
 * @param path where in the configuration, such as {@code plugins.security._global[0].config.action}
 * @param expected what would have been valid, such as {@code one of block, redact, audit_only}
 * @param found what the configuration holds, such as {@code "delete"}, or {@code missing}
 */
public record ConfigProblem(String path, String expected, String found) {

  /** Checks that all parts are present. */
  public ConfigProblem {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(found, "found");
  }

  @Override
  public String toString() {
    return path + ": expected " + expected + ", found " + found;
  }
}
