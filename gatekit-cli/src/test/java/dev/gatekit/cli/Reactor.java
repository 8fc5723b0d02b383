package dev.gatekit.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Maven reactor this module is built in, read from its files: the checks of the whole build use it. */
final class Reactor {

  private static final Pattern MODULE = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>");

  private Reactor() {}

  /** The reactor's root folder: the system property {@code gatekit.reactorRoot}, else this module's parent. */
  static Path root() {
    return Path.of(System.getProperty("gatekit.reactorRoot", "..")).toAbsolutePath().normalize();
  }

  /** The modules the root POM lists, in its order. */
  static List<String> modules() throws IOException {
    String rootPom = Files.readString(root().resolve("pom.xml"), StandardCharsets.UTF_8);
    List<String> modules = new ArrayList<>();
    Matcher module = MODULE.matcher(rootPom);
    while (module.find()) {
      modules.add(module.group(1));
    }
    return modules;
  }
}
