package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code gatekit-bom} pins every module a user can depend on, so a new module is not forgotten there. */
class BomTest {

  /** Modules no user depends on: the BOM itself, the example plugin and the benchmarks. */
  private static final Set<String> NOT_IN_THE_BOM = Set.of("gatekit-bom", "gatekit-example-plugin", "gatekit-benchmarks");

  private static final Pattern ARTIFACT = Pattern.compile("<artifactId>\\s*([^<\\s]+)\\s*</artifactId>");

  @Test
  void theBomPinsEveryModuleAUserCanDependOn() throws Exception {
    String bom = Files.readString(Reactor.root().resolve("gatekit-bom/pom.xml"), StandardCharsets.UTF_8);
    Set<String> pinned = ARTIFACT.matcher(bom).results().map(m -> m.group(1)).collect(Collectors.toSet());
    List<String> expected = Reactor.modules().stream().filter(m -> !NOT_IN_THE_BOM.contains(m)).toList();
    assertThat(expected).contains("gatekit-api", "gatekit-proxy", "gatekit-cli");
    assertThat(pinned).as("artifacts in gatekit-bom/pom.xml").containsAll(expected);
  }
}
