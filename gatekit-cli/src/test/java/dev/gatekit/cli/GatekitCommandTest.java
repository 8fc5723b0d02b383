package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.gatekit.proxy.config.HttpSettings;
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
    GatekitCommand.remoteServer = (url, headers, name, http, e) -> {
      served.add(url);
      served.add(headers);
      served.add(String.valueOf(name));
      if (http != null) {
        served.add(http.host() + ":" + http.port());
      }
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
      assertThat(run("--http", "[::1]:9000", "--", "http://127.0.0.1:3001/mcp")).isZero();
      assertThat(served).containsExactly(URI.create("http://127.0.0.1:3001/mcp"), Map.of(), "null", "::1:9000");
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

  /** Replaces the HTTP front while {@code body} runs; returns what it was given, one entry per call. */
  private List<HttpSettings> servedOverHttp(ThrowingRunnable body) throws Exception {
    List<HttpSettings> served = new ArrayList<>();
    GatekitCommand.HttpFront saved = GatekitCommand.httpFront;
    GatekitCommand.httpFront = (proxy, settings, e) -> {
      served.add(settings);
      proxy.close();
      return 0;
    };
    try {
      body.run();
    } finally {
      GatekitCommand.httpFront = saved;
    }
    return served;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void dashDashHttpServesACommandOverHttpAtThatAddress() throws Exception {
    List<HttpSettings> served = servedOverHttp(() -> {
      assertThat(run("--http", "127.0.0.1:0", "--", "prog", "arg")).isZero();
      assertThat(run("--http", "0.0.0.0:8443", "--name", "kit", "--", "prog")).isZero();
    });
    assertThat(served).extracting(HttpSettings::host, HttpSettings::port, HttpSettings::path)
        .containsExactly(tuple("127.0.0.1", 0, "/mcp"), tuple("0.0.0.0", 8443, "/mcp"));
    assertThat(served.get(0).auth().enabled()).isFalse();
  }

  @Test
  void aBadHttpAddressIsAUsageError() throws Exception {
    List<HttpSettings> served = servedOverHttp(() -> {
      for (String bad : List.of("localhost", ":8080", "host:", "host:65536", "host:-1", "::1:8080", "a b:80", "x/y:80")) {
        assertThat(run("--http", bad, "--", "prog")).as(bad).isEqualTo(2);
      }
    });
    assertThat(served).isEmpty();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--http needs HOST:PORT such as 127.0.0.1:8080", "not 'host:65536'");
  }

  @Test
  void aConfigurationWithTransportHttpServesOverHttpAndDashDashHttpMovesItOnly() throws Exception {
    Files.writeString(dir.resolve("tokens.txt"), "t0ken-from-file\n");
    Files.writeString(dir.resolve("h.yaml"), """
        proxy:
          transport: http
          http: {host: 127.0.0.2, port: 9001, path: /gw, auth: {bearer_tokens_file: tokens.txt}, max_sessions: 5}
          upstreams:
            - {name: kit, command: prog}
        """);
    Files.writeString(dir.resolve("s.yaml"), "proxy:\n  http: {max_sessions: 6}\n  upstreams:\n    - {name: kit, command: prog}\n");
    List<HttpSettings> served = servedOverHttp(() -> {
      assertThat(run("--config", dir.resolve("h.yaml").toString())).isZero();
      assertThat(run("--http", "127.0.0.1:0", "--config", dir.resolve("h.yaml").toString())).isZero();
      assertThat(run("--http", "127.0.0.1:0", "--config", dir.resolve("s.yaml").toString())).isZero();
    });
    assertThat(served).extracting(HttpSettings::host, HttpSettings::port, HttpSettings::path, HttpSettings::maxSessions)
        .containsExactly(tuple("127.0.0.2", 9001, "/gw", 5), tuple("127.0.0.1", 0, "/gw", 5), tuple("127.0.0.1", 0, "/mcp", 6));
    assertThat(served.get(1).auth().bearerTokens()).containsExactly("t0ken-from-file");
  }

  @Test
  void checkDescribesTheHttpSectionWithoutItsTokens() throws Exception {
    Files.writeString(dir.resolve("h.yaml"), """
        proxy:
          transport: http
          http: {port: 9001, allowed_origins: [https://app.example], auth: {bearer_tokens_env: TOKENS_FOR_CHECK_TEST}}
          upstreams:
            - {name: kit, command: prog, shared: true}
        """);
    // The variable is not set in this JVM: check reports it, naming the variable only.
    assertThat(run("check", "--config", dir.resolve("h.yaml").toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("proxy.http.auth.bearer_tokens_env", "TOKENS_FOR_CHECK_TEST is not set");
    Files.writeString(dir.resolve("tokens.txt"), "hunter2-token\nsecond-token\n");
    Files.writeString(dir.resolve("h.yaml"), Files.readString(dir.resolve("h.yaml"))
        .replace("bearer_tokens_env: TOKENS_FOR_CHECK_TEST", "bearer_tokens_file: tokens.txt"));
    assertThat(run("check", "--config", dir.resolve("h.yaml").toString())).isZero();
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("transport: \"http\"", "port: 9001", "path: \"/mcp\"", "- \"https://app.example\"",
            "bearer_tokens_file: \"" + dir.resolve("tokens.txt") + "\"", "bearer_tokens: \"2 (values ***)\"", "max_sessions: 100",
            "session_idle_seconds: 600.0", "shared: true")
        .doesNotContain("hunter2").doesNotContain("second-token");
  }
}
