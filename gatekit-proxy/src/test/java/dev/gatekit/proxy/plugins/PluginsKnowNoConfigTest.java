package dev.gatekit.proxy.plugins;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code dev.gatekit.proxy.config} depends on this package (it produces {@link PluginEntry}s and
 * uses the {@link PluginLoader}); this package must never depend back on it, or the two become one
 * tangle again.
 */
class PluginsKnowNoConfigTest {

  /** An import of, or a qualified name in, the config package (prose about it is fine). */
  private static final Pattern USE = Pattern.compile("dev\\.gatekit\\.proxy\\.config\\.[A-Z*]");

  @Test
  void noSourceOfThePluginsPackagesUsesTheConfigPackage() throws IOException {
    Path sources = Path.of("src/main/java/dev/gatekit/proxy/plugins");
    assertThat(sources).isDirectory();
    try (Stream<Path> files = Files.walk(sources)) {
      List<Path> offenders = files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> USE.matcher(read(f)).find())
          .toList();
      assertThat(offenders).as("sources under plugins/ that refer to dev.gatekit.proxy.config").isEmpty();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
