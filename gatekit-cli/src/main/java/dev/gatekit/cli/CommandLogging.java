package dev.gatekit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/** The command's logging backend (slf4j-simple), set up through its system properties. Never stdout. */
final class CommandLogging {

  private CommandLogging() {}

  /**
   * Sends the logs at {@code level} (trace, debug, info, warn, error, off) to {@code file}, its
   * folders created, or to stderr when {@code file} is null. Call before the first logger is made.
   */
  static void configure(String level, @Nullable String file) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    if (file != null) {
      Path path = Path.of(file).toAbsolutePath();
      try {
        if (path.getParent() != null) {
          Files.createDirectories(path.getParent());
        }
      } catch (Exception e) {
        // slf4j-simple falls back to stderr when it cannot open the file
      }
      System.setProperty("org.slf4j.simpleLogger.logFile", path.toString());
    } else {
      System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
  }
}
