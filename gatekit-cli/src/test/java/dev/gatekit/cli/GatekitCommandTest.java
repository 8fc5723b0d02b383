package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's argument handling and {@code check}, in this JVM; {@link GatekitCliIT} runs the packaged jar. */
class GatekitCommandTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return GatekitCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void checkPrintsTheResolvedConfigurationAndExitsZero() throws Exception {
    Files.writeString(dir.resolve("g.yaml"), """
        proxy:
          upstreams:
            - {name: a, command: "./srv --x 'y z'", env: {SECRET: hunter2}}
          overflow_policy: queue
        plugins:
          security:
            a:
              - {handler: basic_pii_filter, config: {action: redact}}
        """);
    assertThat(run("check", "--config", dir.resolve("g.yaml").toString())).isZero();
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("valid").contains(dir.resolve("srv").toString()).contains("y z")
        .contains("overflow_policy: \"queue\"").contains("handler: \"basic_pii_filter\"").contains("SECRET: \"<set>\"")
        .doesNotContain("hunter2");
  }

  @Test
  void checkReportsEveryProblemAndExitsTwo() throws Exception {
    Files.writeString(dir.resolve("bad.yaml"), "proxy:\n  upstreams:\n    - {name: a}\nloging: {}\n");
    assertThat(run("check", "--config", dir.resolve("bad.yaml").toString())).isEqualTo(2);
    assertThat(out.size()).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("bad.yaml").contains("2 problems")
        .contains("proxy.upstreams[0].command: expected a command line or a list of program and arguments, found missing")
        .contains("loging").contains("did you mean 'logging'?");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run()).isEqualTo(2);
    assertThat(run("--config")).isEqualTo(2);
    assertThat(run("--config", "x.yaml", "--name", "n")).isEqualTo(2);
    assertThat(run("--config", "x.yaml", "--", "prog")).isEqualTo(2);
    assertThat(run("check")).isEqualTo(2);
    assertThat(run("check", "--bogus")).isEqualTo(2);
    assertThat(run("demo", "--requests", "0")).isEqualTo(2);
    assertThat(run("demo", "--latency-ms")).isEqualTo(2);
    assertThat(run("--help")).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("gatekit check --config FILE").contains("gatekit demo");
  }

  @Test
  void aMissingConfigFileExitsTwo() {
    assertThat(run("--config", dir.resolve("nope.yaml").toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("nope.yaml").contains("a readable file");
  }

  @Test
  void checkFindsUnknownPluginHandlersAndBadOptionsThroughServiceLoader() throws Exception {
    Files.writeString(dir.resolve("p.yaml"), """
        proxy:
          upstreams:
            - {name: a, command: "./srv"}
        plugins:
          security:
            _global:
              - {handler: basic_secrets_filtr, config: {}}
              - {handler: basic_pii_filter, config: {action: delete}}
        """);
    assertThat(run("check", "--config", dir.resolve("p.yaml").toString())).isEqualTo(2);
    String problems = err.toString(StandardCharsets.UTF_8);
    assertThat(problems)
        .contains("p.yaml")
        .contains("plugins.security._global[0]")
        .contains("basic_secrets_filter")
        .contains("plugins.security._global[1].config.action")
        .contains("delete");
  }
}
