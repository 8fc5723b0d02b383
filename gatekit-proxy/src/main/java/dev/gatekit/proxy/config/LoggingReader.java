package dev.gatekit.proxy.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code logging:} section: {@code level} (trace, debug, info, warn, error or off; {@code
 * warning} and {@code critical} are accepted as the original Gatekit spells them, any case) and
 * {@code file}, relative to the configuration's folder. What is absent or wrong is null.
 */
final class LoggingReader {

  private static final Set<String> LOGGING_KEYS = Set.of("level", "file");
  private static final Map<String, String> LEVELS = Map.of("trace", "trace", "debug", "debug", "info", "info",
      "warn", "warn", "warning", "warn", "error", "error", "critical", "error", "off", "off");

  private LoggingReader() {}

  /** Reads {@code logging}, resolving its file against {@code folder}. */
  static GatekitConfig.Logging read(ConfigNode logging, Path folder) {
    if (logging.isAbsent()) {
      return new GatekitConfig.Logging(null, null);
    }
    if (!logging.isMapping()) {
      logging.expected("a mapping with level and file");
      return new GatekitConfig.Logging(null, null);
    }
    logging.rejectUnknownKeys(LOGGING_KEYS);
    String level = null;
    ConfigNode l = logging.get("level");
    if (!l.isMissing()) {
      String value = l.string();
      if (value != null) {
        level = LEVELS.get(value.toLowerCase(Locale.ROOT));
        if (level == null) {
          l.problem("one of trace, debug, info, warn, error, off", ConfigNode.quote(value));
        }
      }
    }
    Path file = null;
    ConfigNode f = logging.get("file");
    if (!f.isMissing()) {
      String value = f.string();
      if (value != null) {
        file = folder.resolve(value).normalize();
      }
    }
    return new GatekitConfig.Logging(level, file);
  }
}
