package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
        .contains("proxy.upstreams[0]: expected command (a server to start) or url (a remote server), found neither")
        .contains("loging").contains("did you mean 'logging'?");
  }

  @Test
  void checkPrintsAUrlUpstreamWithItsHeaderValuesMasked() throws Exception {
    Files.writeString(dir.resolve("u.yaml"), """
        proxy:
          upstreams:
            - name: remote
              url: "https://user:pw@mcp.example.com:8443/mcp?key=k3y"
              headers: {Authorization: "Bearer hunter2", X-Team: blue}
        """);
    assertThat(run("check", "--config", dir.resolve("u.yaml").toString())).isZero();
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("url: \"https://mcp.example.com:8443/mcp?***\"")
        .contains("Authorization: \"***\"").contains("X-Team: \"***\"")
        .doesNotContain("hunter2").doesNotContain("blue").doesNotContain("k3y").doesNotContain("pw@")
        .doesNotContain("command");
  }

  @Test
  void aUrlAfterTheDoubleDashServesThatRemoteServerWithTheHeaders() {
    List<Object> served = new ArrayList<>();
    GatekitCommand.RemoteServer saved = GatekitCommand.remoteServer;
    GatekitCommand.remoteServer = (url, headers, name, e) -> {
      served.add(url);
      served.add(headers);
      served.add(String.valueOf(name));
      return 0;
    };
    try {
      assertThat(run("--header", "X-Before:  one ", "--", "https://mcp.example.com/mcp",
          "--header", "Authorization: Bearer t0ken", "-H", "X-Empty:", "--name", "remote")).isZero();
      assertThat(served).containsExactly(URI.create("https://mcp.example.com/mcp"),
          Map.of("X-Before", "one", "Authorization", "Bearer t0ken", "X-Empty", ""), "remote");
      served.clear();
      assertThat(run("--", "http://127.0.0.1:3001/mcp")).isZero();
      assertThat(served).containsExactly(URI.create("http://127.0.0.1:3001/mcp"), Map.of(), "null");
      served.clear();

      // Usage errors, exit 2, nothing served, no header value in the message.
      assertThat(run("--", "https://mcp.example.com/mcp", "--header", "no colon s3cret")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "--header", ": s3cret")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "--header", "Bad Name: s3cret")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "--header", "X-Nul: s3cret\u0000")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "--header", "Content-Type: s3cret")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "--header")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "extra")).isEqualTo(2);
      assertThat(run("--", "https://mcp.example.com/mcp", "--", "prog")).isEqualTo(2);
      assertThat(run("--", "https://", "--header", "A: s3cret")).isEqualTo(2);
      assertThat(run("--header", "A: s3cret", "--", "prog")).isEqualTo(2);
      assertThat(run("--config", "x.yaml", "--", "https://mcp.example.com/mcp")).isEqualTo(2);
      assertThat(served).isEmpty();
      String errors = err.toString(StandardCharsets.UTF_8);
      assertThat(errors).contains("--header needs 'Name: value'").contains("is set by the transport itself")
          .contains("unknown argument 'extra'").contains("--header applies to -- URL only").doesNotContain("s3cret");
    } finally {
      GatekitCommand.remoteServer = saved;
    }
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
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("gatekit check --config FILE").contains("gatekit demo")
        .contains("-- URL [--header 'Name: value']");
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
