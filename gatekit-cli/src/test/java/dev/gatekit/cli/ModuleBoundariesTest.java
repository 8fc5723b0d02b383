package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No module imports another module's {@code internal} package: what several modules share is
 * public, documented API (DESIGN.md, "Modules"). Reads the import lines of every reactor module's
 * main and test sources, so it covers the modules this one does not depend on as well; it lives in
 * the command's module because that is the one nothing depends on.
 */
class ModuleBoundariesTest {

  /**
   * The offenders there were when this check was written, as {@code "module -> imported name"}.
   * They are being fixed (issue 13, "No reaching into internals"). When an import goes, delete its
   * line: {@link #everyKnownOffenderStillExists()} fails while a line matches no import, so this
   * list only shrinks. Add nothing to it; the goal is an empty set.
   */
  /** None left: what several modules share is public, documented API ({@code dev.gatekit.api.support}). */
  private static final Set<String> KNOWN_OFFENDERS = Set.of();

  private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  private static final Pattern IMPORT =
      Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+(?:\\.\\*)?)\\s*;", Pattern.MULTILINE);

  /** One import of another module's internal package. */
  record Offence(String module, Path file, int line, String imported) {
    String key() {
      return module + " -> " + imported;
    }
  }

  private static List<Offence> offences;

  @BeforeAll
  static void scanTheReactor() throws IOException {
    Path root = Reactor.root();
    List<String> modules = Reactor.modules();
    assertThat(modules).as("modules of " + root.resolve("pom.xml")).contains("gatekit-api", "gatekit-cli");
    offences = new ArrayList<>();
    for (String name : modules) {
      List<Path> sources = javaSources(root.resolve(name));
      Set<String> ownPackages = new TreeSet<>();
      for (Path source : sources) {
        Matcher declared = PACKAGE.matcher(read(source));
        if (declared.find()) {
          ownPackages.add(declared.group(1));
        }
      }
      for (Path source : sources) {
        String text = read(source);
        Matcher imported = IMPORT.matcher(text);
        while (imported.find()) {
          String internalPackage = internalPackage(imported.group(1));
          if (internalPackage != null && !owns(ownPackages, internalPackage)) {
            int line = (int) text.substring(0, imported.start()).chars().filter(c -> c == '\n').count() + 1;
            offences.add(new Offence(name, root.relativize(source), line, imported.group(1)));
          }
        }
      }
    }
  }

  @Test
  void noModuleImportsAnotherModulesInternals() {
    List<String> unexpected = offences.stream()
        .filter(o -> !KNOWN_OFFENDERS.contains(o.key()))
        .map(o -> o.file() + ":" + o.line() + " imports " + o.imported())
        .toList();
    assertThat(unexpected)
        .as("imports of another module's internal package; make what is shared public, documented API")
        .isEmpty();
  }

  @Test
  void everyKnownOffenderStillExists() {
    Set<String> found = new TreeSet<>();
    offences.forEach(o -> found.add(o.key()));
    Set<String> gone = new TreeSet<>(KNOWN_OFFENDERS);
    gone.removeAll(found);
    assertThat(gone).as("fixed offenders: delete these lines from ModuleBoundariesTest.KNOWN_OFFENDERS").isEmpty();
  }

  @Test
  void theScanSeesImportsAndKnowsWhichPackagesAreInternal() {
    assertThat(internalPackage("dev.gatekit.api.internal.InFlightLimiter.Admission")).isEqualTo("dev.gatekit.api.internal");
    assertThat(internalPackage("dev.gatekit.transport.stdio.internal.*")).isEqualTo("dev.gatekit.transport.stdio.internal");
    assertThat(internalPackage("dev.gatekit.api.JsonRpcCodec")).isNull();
    assertThat(internalPackage("java.util.List")).isNull();
    assertThat(owns(Set.of("dev.gatekit.api", "dev.gatekit.api.internal"), "dev.gatekit.api.internal")).isTrue();
    assertThat(owns(Set.of("dev.gatekit.testkit"), "dev.gatekit.api.internal")).isFalse();
    Matcher imported = IMPORT.matcher("package a;\n\nimport static dev.gatekit.x.internal.Y.z;\nimport java.util.List;\n");
    List<String> names = new ArrayList<>();
    while (imported.find()) {
      names.add(imported.group(1));
    }
    assertThat(names).containsExactly("dev.gatekit.x.internal.Y.z", "java.util.List");
  }

  /** The package up to and including the first {@code internal} segment of one of ours, or null. */
  static String internalPackage(String importedName) {
    if (!importedName.startsWith("dev.gatekit.")) {
      return null;
    }
    String[] parts = importedName.split("\\.");
    for (int i = 0; i < parts.length; i++) {
      if (parts[i].equals("internal")) {
        return String.join(".", List.of(parts).subList(0, i + 1));
      }
    }
    return null;
  }

  /** Whether a module that declares these packages owns that internal package (or one below it). */
  static boolean owns(Set<String> ownPackages, String internalPackage) {
    return ownPackages.stream().anyMatch(p -> p.equals(internalPackage) || p.startsWith(internalPackage + "."));
  }

  private static List<Path> javaSources(Path module) throws IOException {
    List<Path> sources = new ArrayList<>();
    for (String tree : List.of("src/main/java", "src/test/java")) {
      Path dir = module.resolve(tree);
      if (Files.isDirectory(dir)) {
        try (Stream<Path> files = Files.walk(dir)) {
          files.filter(f -> f.toString().endsWith(".java")).sorted().forEach(sources::add);
        }
      }
    }
    return sources;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
