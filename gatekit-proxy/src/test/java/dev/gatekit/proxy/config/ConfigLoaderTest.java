package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @TempDir Path dir;

  private Path write(String name, String yaml) throws IOException {
    return ConfigFiles.write(dir, name, yaml);
  }

  private GatekitConfig load(String yaml, Map<String, String> env) throws Exception {
    return ConfigLoader.load(write("gatekit.yaml", yaml), env);
  }

  private ConfigException failure(String yaml) throws IOException {
    Path file = write("bad.yaml", yaml);
    try {
      ConfigLoader.load(file, Map.of());
    } catch (ConfigException e) {
      assertThat(e.file()).isEqualTo(file.toAbsolutePath().normalize());
      assertThat(e.getMessage()).contains(file.toAbsolutePath().normalize().toString());
      return e;
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  @Test
  void everyProxySettingReachesTheTransport() throws Exception {
    Files.createDirectories(dir.resolve("work"));
    GatekitConfig config = load("""
        proxy:
          transport: stdio
          upstreams:
            - name: one
              command: ./bin/server --flag "two words" 'it''s' a\\ b
              env: {TOKEN: "${SECRET}", N: 5}
              cwd: work
              restart_on_failure: true
              max_restart_attempts: 7
          timeouts: {connection_seconds: 1.5, request_seconds: 12}
          max_requests_in_flight: 9
          overflow_policy: queue
          max_queued_requests: 33
          max_line_length: 4096
          max_client_queue_mb: 3
        logging: {level: WARNING, file: logs/g.log}
        """, Map.of("SECRET", "s3cret"));
    GatekitConfig.Upstream up = config.upstreams().get(0);
    assertThat(up.name()).isEqualTo("one");
    assertThat(up.command()).containsExactly(
        dir.resolve("bin/server").toString(), "--flag", "two words", "its", "a b");
    assertThat(up.environment()).containsEntry("TOKEN", "s3cret").containsEntry("N", "5");
    assertThat(up.inheritEnvironment()).isTrue();
    assertThat(up.directory()).isEqualTo(dir.resolve("work"));
    assertThat(up.restartPolicy().maxAttempts()).isEqualTo(7);
    assertThat(config.options().requestTimeout()).isEqualTo(Duration.ofSeconds(12));
    assertThat(config.options().maxInFlight()).isEqualTo(9);
    assertThat(config.options().overflowPolicy()).isEqualTo(OverflowPolicy.QUEUE);
    assertThat(config.options().maxQueued()).isEqualTo(33);
    assertThat(config.maxLineLength()).isEqualTo(4096);
    assertThat(config.maxClientQueueBytes()).isEqualTo(3L * 1024 * 1024);
    assertThat(config.connectionTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.logging().level()).isEqualTo("warn");
    assertThat(config.logging().file()).isEqualTo(dir.resolve("logs/g.log"));

    StdioTransport transport = config.transportBuilder(up).build();
    assertThat(transport.name()).isEqualTo("one");
    assertThat(transport.options()).isEqualTo(config.options());
  }

  @Test
  void defaultsWhenOnlyAnUpstreamIsGiven() throws Exception {
    GatekitConfig config = load("proxy:\n  upstreams:\n    - {name: a, command: [prog, x]}\n", Map.of());
    assertThat(config.transport()).isEqualTo("stdio");
    assertThat(config.options()).isEqualTo(dev.gatekit.api.TransportOptions.defaults());
    assertThat(config.maxLineLength()).isEqualTo(StdioTransport.DEFAULT_MAX_LINE_LENGTH);
    assertThat(config.upstreams().get(0).command()).containsExactly("prog", "x");
    assertThat(config.upstreams().get(0).restartPolicy().enabled()).isFalse();
    assertThat(config.upstreams().get(0).directory()).isNull();
    assertThat(config.plugins()).isEmpty();
    assertThat(config.logging().level()).isNull();
  }

  @Test
  void restartOnFailureAloneAllowsThreeAttempts() throws Exception {
    GatekitConfig config = load("proxy:\n  upstreams:\n    - {name: a, command: p, restart_on_failure: true}\n", Map.of());
    assertThat(config.upstreams().get(0).restartPolicy().maxAttempts()).isEqualTo(3);
  }

  @Test
  void theEnvironmentReallyReachesTheChildAndTheAllowListKeepsTheRestOut() throws Exception {
    Path out = dir.resolve("env.txt");
    Map<String, String> parent = Map.of("KEEP", "kept", "DROP", "dropped", "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    GatekitConfig config = load("""
        proxy:
          upstreams:
            - name: a
              command: ["/bin/sh", "-c", "echo \\"KEEP=$KEEP DROP=$${DROP:-unset} EXTRA=$EXTRA\\" > '%s'; cat"]
              env: {EXTRA: "${KEEP}-x"}
              env_allowlist: [KEEP, PATH]
        """.formatted(out), parent);
    GatekitConfig.Upstream up = config.upstreams().get(0);
    assertThat(up.inheritEnvironment()).isFalse();
    assertThat(up.environment()).containsOnlyKeys("KEEP", "PATH", "EXTRA");
    // "$${" is a literal "${": the shell, not the loader, expands it
    assertThat(up.command().get(2)).contains("${DROP:-unset}");
    assertChildWrites(config, up, out, "KEEP=kept DROP=unset EXTRA=kept-x");
  }

  @Test
  void withoutAnAllowListTheChildInheritsOurEnvironment() throws Exception {
    Path out = dir.resolve("env2.txt");
    String home = System.getenv("PATH");
    GatekitConfig config = load("""
        proxy:
          upstreams:
            - name: a
              command: ["/bin/sh", "-c", "echo \\"$PATH $ADDED\\" > '%s'; cat"]
              env: {ADDED: yes}
        """.formatted(out), Map.of());
    assertChildWrites(config, config.upstreams().get(0), out, home + " true");
  }

  @Test
  void theWorkingDirectoryReallyApplies() throws Exception {
    Files.createDirectories(dir.resolve("here"));
    GatekitConfig config = load("""
        proxy:
          upstreams:
            - {name: a, command: "/bin/sh -c 'pwd > where.txt; cat'", cwd: ./here}
        """, Map.of());
    assertChildWrites(config, config.upstreams().get(0), dir.resolve("here/where.txt"), dir.resolve("here").toRealPath().toString());
  }

  private static void assertChildWrites(GatekitConfig config, GatekitConfig.Upstream up, Path file, String expected) throws Exception {
    try (StdioTransport transport = config.transportBuilder(up).build()) {
      transport.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!(Files.exists(file) && Files.readString(file).endsWith("\n")) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
    assertThat(Files.readString(file).trim()).isEqualTo(expected);
  }

  @Test
  void aUrlUpstreamGetsItsHeadersExpandedAndTheProxySettings() throws Exception {
    GatekitConfig config = load("""
        proxy:
          upstreams:
            - name: remote
              url: https://mcp.example.com/mcp
              headers: {Authorization: "Bearer ${TOKEN}", X-Team: blue}
              restart_on_failure: true
              max_restart_attempts: 4
            - {name: local, command: prog}
          timeouts: {request_seconds: 12}
          max_requests_in_flight: 9
          max_line_length: 4096
        """, Map.of("TOKEN", "s3cret-token"));
    GatekitConfig.Upstream up = config.upstreams().get(0);
    assertThat(up.isRemote()).isTrue();
    assertThat(up.url()).isEqualTo(java.net.URI.create("https://mcp.example.com/mcp"));
    assertThat(up.command()).isEmpty();
    assertThat(up.headers()).containsExactly(Map.entry("Authorization", "Bearer s3cret-token"), Map.entry("X-Team", "blue"));
    assertThat(up.restartPolicy().maxAttempts()).isEqualTo(4);
    assertThat(up.toString()).contains("Authorization").doesNotContain("s3cret-token");
    assertThat(config.upstreams().get(1).isRemote()).isFalse();

    try (dev.gatekit.api.Transport transport = ProxyFactory.transport(config, up)) {
      assertThat(transport).isInstanceOf(dev.gatekit.transport.http.HttpTransport.class);
      assertThat(transport.options()).isEqualTo(config.options());
      assertThat(transport.toString()).doesNotContain("s3cret-token");
    }
    assertThat(ProxyFactory.transport(config, config.upstreams().get(1))).isInstanceOf(StdioTransport.class);
    assertThatThrownBy(() -> config.transportBuilder(up)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anUpstreamHasEitherACommandOrAUrl() throws Exception {
    ConfigException e = failure("""
        proxy:
          upstreams:
            - {name: a, command: prog}
            - {name: both, command: prog, url: "https://example.com/mcp"}
            - {name: neither, restart_on_failure: true}
        """);
    assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly("proxy.upstreams[1]", "proxy.upstreams[2]");
    assertThat(e.getMessage())
        .contains("proxy.upstreams[1]: expected either command (a server to start) or url (a remote server), not both, found both")
        .contains("proxy.upstreams[2]: expected command (a server to start) or url (a remote server), found neither");
  }

  @Test
  void aBadUrlAndCommandOnlyKeysWithAUrlAreProblems() throws Exception {
    Files.createDirectories(dir.resolve("work"));
    ConfigException e = failure("""
        proxy:
          upstreams:
            - {name: a, url: "ftp://example.com/mcp"}
            - {name: b, url: "https://"}
            - {name: c, url: "not a url"}
            - {name: d, url: [x]}
            - {name: e, url: "https://example.com/mcp", env: {K: v}, env_allowlist: [PATH], cwd: work}
            - {name: f, command: prog, headers: {X-A: b}}
            - {name: g, url: "https://example.com/mcp", headers: [x]}
        """);
    assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly(
        "proxy.upstreams[0].url", "proxy.upstreams[1].url", "proxy.upstreams[2].url", "proxy.upstreams[3].url",
        "proxy.upstreams[4].env", "proxy.upstreams[4].env_allowlist", "proxy.upstreams[4].cwd",
        "proxy.upstreams[5].headers", "proxy.upstreams[6].headers");
    assertThat(e.getMessage())
        .contains("proxy.upstreams[0].url: expected an http or https URL such as https://example.com/mcp, found \"ftp://example.com/mcp\"")
        .contains("proxy.upstreams[3].url: expected an http or https URL such as https://example.com/mcp, found a list")
        .contains("proxy.upstreams[4].env: expected no env with url: env, env_allowlist, cwd apply to a command only, found env with url")
        .contains("proxy.upstreams[5].headers: expected headers only with url (a remote server), found headers with command")
        .contains("proxy.upstreams[6].headers: expected a mapping of header names to values, found a list");
  }

  @Test
  void headerValuesNeverAppearInAProblem() throws Exception {
    Path file = write("h.yaml", """
        proxy:
          upstreams:
            - name: a
              url: https://example.com/mcp
              headers:
                Authorization: "Bearer ${MISSING_TOKEN}"
                X-Open: "hunter2${"
                X-Bad: "hunter3\\u0000"
                Content-Type: "hunter4"
                X-Ok: "${TOKEN}"
            - {name: a, command: prog}
        """);
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> ConfigLoader.load(file, Map.of("TOKEN", "hunter5")));
    assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly(
        "proxy.upstreams[0].headers.Authorization", "proxy.upstreams[0].headers.X-Open",
        "proxy.upstreams[0].headers.X-Bad", "proxy.upstreams[0].headers.Content-Type", "proxy.upstreams[1].name");
    assertThat(e.getMessage())
        .contains("environment variable MISSING_TOKEN")
        .contains("X-Open: expected a closing '}' after '${', found ***")
        .contains("X-Bad: expected a header HTTP allows")
        .contains("header 'Content-Type' is set by the transport itself")
        .doesNotContain("hunter");
    assertThat(e.problems().toString()).doesNotContain("hunter");
  }

  @Test
  void splitCommandSplitsLikeAShell() {
    assertThat(ConfigLoader.splitCommand("a 'b c' \"d e\"")).containsExactly("a", "b c", "d e");
    assertThatThrownBy(() -> ConfigLoader.splitCommand("a 'b")).hasMessageContaining("single quote");
  }

  @Test
  void variablesComeFromTheEnvironmentWithDefaultsAndEscapes() throws Exception {
    GatekitConfig config = load("""
        proxy:
          upstreams:
            - name: a
              command: run "${DIR}/x y" ${ARG:-fallback} $${LITERAL} cost$$5
        plugins:
          auditing:
            _global:
              - handler: h
                config: {file: "${DIR}/audit.jsonl", nested: {list: ["${ARG:-d}", 3, true, 1.5]}}
        """, Map.of("DIR", "/my dir"));
    assertThat(config.upstreams().get(0).command()).containsExactly("run", "/my dir/x y", "fallback", "${LITERAL}", "cost$5");
    Map<String, Object> pluginConfig = config.plugins().get(0).config();
    assertThat(pluginConfig).containsEntry("file", "/my dir/audit.jsonl");
    assertThat(pluginConfig.get("nested")).isEqualTo(Map.of("list", List.of("d", 3, true, 1.5)));
  }

  @Test
  void aMissingVariableIsAProblemAtItsPath() throws Exception {
    ConfigException e = failure("""
        proxy:
          upstreams:
            - {name: a, command: "run ${NOPE}", env: {K: "${ALSO_NOPE}"}}
        """);
    assertThat(e.problems()).extracting(ConfigProblem::path)
        .containsExactly("proxy.upstreams[0].command", "proxy.upstreams[0].env.K");
    assertThat(e.getMessage()).contains("environment variable NOPE", "environment variable ALSO_NOPE", "unset");
  }

  @Test
  void everyProblemIsReportedAtOnceWithPathExpectedAndFound() throws Exception {
    ConfigException e = failure("""
        proxy:
          transport: http
          upstreams:
            - name: ok
              command: prog
            - name: bad name
              command: 42
            - command: "x 'open"
              max_restart_attempts: 0
            - name: ok
              command: [a, {b: c}]
              cwd: no/such/dir
          timeouts: {request_seconds: "soon", connection_seconds: 0}
          max_requests_in_flight: 0
          overflow_policy: drop
          max_queued_requests: -1
          max_line_length: 10
          max_client_queue_mb: 0
        logging: {level: loud, file: [x]}
        """);
    assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly(
        "proxy.transport",
        "proxy.upstreams[1].name",
        "proxy.upstreams[1].command",
        "proxy.upstreams[2].name",
        "proxy.upstreams[2].command",
        "proxy.upstreams[2].max_restart_attempts",
        "proxy.upstreams[3].name",
        "proxy.upstreams[3].command[1]",
        "proxy.upstreams[3].cwd",
        "proxy.timeouts.request_seconds",
        "proxy.timeouts.connection_seconds",
        "proxy.max_requests_in_flight",
        "proxy.overflow_policy",
        "proxy.max_queued_requests",
        "proxy.max_line_length",
        "proxy.max_client_queue_mb",
        "logging.level",
        "logging.file");
    assertThat(e.getMessage())
        .contains("proxy.transport: expected stdio, found \"http\"")
        .contains("proxy.upstreams[1].command: expected a command line or a list of program and arguments, found number 42")
        .contains("proxy.upstreams[2].name: expected a name of letters, digits, '-' and '_', found missing")
        .contains("proxy.upstreams[3].name: expected a name no other upstream has, found \"ok\" again")
        .contains("proxy.overflow_policy: expected reject or queue, found \"drop\"")
        .contains("18 problems");
  }

  @Test
  void unknownKeysAreErrorsWithDidYouMean() throws Exception {
    ConfigException e = failure("""
        proxy:
          upstreams:
            - {name: a, command: p, enviroment: {}, restart_on_falure: true}
          timeout: {}
        plugins:
          securty: {}
        logging: {levl: info}
        extra: 1
        """);
    assertThat(e.getMessage())
        .contains("proxy.upstreams[0].enviroment: expected one of the keys")
        .contains("found unknown key \"restart_on_falure\"; did you mean 'restart_on_failure'?")
        .contains("proxy.timeout: expected one of the keys").contains("did you mean 'timeouts'?")
        .contains("plugins.securty").contains("did you mean 'security'?")
        .contains("logging.levl").contains("did you mean 'level'?")
        .contains("extra: expected one of the keys logging, plugins, proxy, found unknown key \"extra\"");
    assertThat(e.problems()).hasSize(6);
  }

  @Test
  void aMissingProxySectionAndAnEmptyFileAreReported() throws Exception {
    assertThat(failure("logging: {level: info}\n").getMessage()).contains("proxy: expected a mapping with 'upstreams', found missing");
    assertThat(failure("").getMessage()).contains("found an empty file");
    assertThat(failure("- a\n- b\n").getMessage()).contains("found a list");
    assertThat(failure("proxy: {upstreams: []}\n").getMessage()).contains("proxy.upstreams: expected a list of at least one upstream, found an empty list");
  }

  @Test
  void aYamlSyntaxErrorNamesLineAndColumn() throws Exception {
    ConfigException e = failure("proxy:\n  upstreams:\n    - name: a\n      command: [unclosed\n    - name: b\n");
    assertThat(e.problems()).hasSize(1);
    assertThat(e.problems().get(0).path()).matches("\\(line \\d+, column \\d+\\)");
    assertThat(e.problems().get(0).expected()).isEqualTo("valid YAML");
    ConfigException tabs = failure("proxy:\n  upstreams: x\n   bad: : :\n");
    assertThat(tabs.getMessage()).contains("(line 3, column");
    ConfigException duplicate = failure("proxy:\n  upstreams:\n    - name: a\n      name: b\n");
    assertThat(duplicate.getMessage()).contains("(line 4, column").contains("Duplicate field 'name'");
  }

  @Test
  void anUnreadableFileIsAProblem() {
    Path missing = dir.resolve("missing.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("missing.yaml").hasMessageContaining("a readable file");
  }

  @Test
  void pluginEntriesKeepKindScopeHandlerConfigPathAndOrder() throws Exception {
    GatekitConfig config = load("""
        proxy:
          upstreams:
            - {name: files, command: p}
            - {name: web, command: q}
        plugins:
          security:
            _global:
              - {handler: secrets, config: {enabled: true, priority: 10}}
            files:
              - {handler: pii, config: {action: redact}}
          middleware:
            web:
              - {handler: tool_manager, config: {tools: [{tool: a}]}}
          auditing:
            _global:
              - {handler: audit_jsonl, config: {}}
        """, Map.of());
    assertThat(config.plugins()).containsExactly(
        new PluginEntry(PluginKind.SECURITY, "_global", "secrets", Map.of("enabled", true, "priority", 10), "plugins.security._global[0]", 0),
        new PluginEntry(PluginKind.SECURITY, "files", "pii", Map.of("action", "redact"), "plugins.security.files[0]", 1),
        new PluginEntry(PluginKind.MIDDLEWARE, "web", "tool_manager", Map.of("tools", List.of(Map.of("tool", "a"))), "plugins.middleware.web[0]", 2),
        new PluginEntry(PluginKind.AUDITING, "_global", "audit_jsonl", Map.of(), "plugins.auditing._global[0]", 3));
  }

  @Test
  void thePluginSectionsShapeIsValidated() throws Exception {
    ConfigException e = failure("""
        proxy:
          upstreams:
            - {name: files, command: p}
        plugins:
          security:
            filez:
              - {handler: pii, config: {}}
            _global:
              - {config: {}}
              - {handler: x}
              - {handler: y, config: [1], confg: {}}
              - just a string
          middleware: [1]
          auditing:
            _global:
              - {handler: z, config: {a: null}}
        """);
    assertThat(e.getMessage())
        .contains("plugins.security.filez: expected _global or an upstream's name (files), found \"filez\"; did you mean 'files'?")
        .contains("plugins.security._global[0].handler: expected a handler name, found missing")
        .contains("plugins.security._global[1].config: expected a mapping of options (at least {}), found missing")
        .contains("plugins.security._global[2].confg").contains("did you mean 'config'?")
        .contains("plugins.security._global[2].config: expected a mapping of options, found a list")
        .contains("plugins.security._global[3]: expected a mapping with handler and config, found \"just a string\"")
        .contains("plugins.middleware: expected a mapping of _global or upstream names to lists of plugins, found a list")
        .contains("plugins.auditing._global[0].config.a: expected a value, found nothing (null)");
  }

  @Test
  void theExampleConfigurationsLoad() throws Exception {
    Path examples = Path.of("config-examples");
    try (var files = Files.list(examples)) {
      List<Path> yaml = files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
      assertThat(yaml)
          .extracting(f -> f.getFileName().toString())
          .contains("minimal.yaml", "two-upstreams.yaml", "full.yaml", "remote.yaml");
      Map<String, String> environment = Map.of("HOME", "/home/someone", "PATH", "/usr/bin", "GITHUB_TOKEN", "gh-s3cret");
      for (Path file : yaml) {
        GatekitConfig config = ConfigLoader.load(file, environment);
        assertThat(config.upstreams()).isNotEmpty();
        for (GatekitConfig.Upstream up : config.upstreams()) {
          // Builds either kind (url or command) without starting it.
          try (dev.gatekit.api.Transport transport = ProxyFactory.transport(config, up)) {
            assertThat(transport.toString()).doesNotContain("gh-s3cret");
          }
        }
      }
    }
    GatekitConfig remote = ConfigLoader.load(examples.resolve("remote.yaml"), Map.of("GITHUB_TOKEN", "gh-s3cret"));
    GatekitConfig.Upstream github = remote.upstreams().get(0);
    assertThat(github.isRemote()).isTrue();
    assertThat(github.headers()).containsExactly(Map.entry("Authorization", "Bearer gh-s3cret"));
    assertThat(ProxyFactory.transport(remote, github)).isInstanceOf(dev.gatekit.transport.http.HttpTransport.class);
    GatekitConfig full = ConfigLoader.load(examples.resolve("full.yaml"), Map.of("HOME", "/h"));
    assertThat(full.plugins()).extracting(PluginEntry::handler).containsExactly("basic_secrets_filter", "basic_pii_filter", "tool_manager", "audit_jsonl");
    assertThat(full.options().overflowPolicy()).isEqualTo(OverflowPolicy.QUEUE);
    assertThat(full.upstreams().get(0).command()).last().isEqualTo("/h");
  }
}
