package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.plugin.ConfigProblem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code proxy.transport: http}, the {@code proxy.http:} section and an upstream's {@code shared}. */
class HttpConfigTest {

  private static final String UPSTREAM = "  upstreams:\n    - {name: kit, command: prog}\n";

  @TempDir Path dir;

  private GatekitConfig load(String yaml, Map<String, String> env) throws Exception {
    return ConfigLoader.load(ConfigFiles.write(dir, "gatekit.yaml", yaml), env);
  }

  private ConfigException failure(String yaml, Map<String, String> env) throws IOException {
    Path file = ConfigFiles.write(dir, "bad.yaml", yaml);
    try {
      ConfigLoader.load(file, env);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).contains(file.toAbsolutePath().normalize().toString());
      return e;
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  @Test
  void everyKeyOfTheHttpSectionIsRead() throws Exception {
    Files.writeString(dir.resolve("tokens.txt"), "# the team's tokens\nfile-token-1\n\n  file-token-2  \nenv-token-a\n");
    GatekitConfig config = load("""
        proxy:
          transport: http
          http:
            host: 0.0.0.0
            port: 9443
            path: /gateway/mcp
            allowed_origins: [https://App.Example, "http://localhost:3000/"]
            auth:
              bearer_tokens_env: GATEKIT_TOKENS
              bearer_tokens_file: tokens.txt
            max_sessions: 7
            session_idle_seconds: 90
        """ + UPSTREAM, Map.of("GATEKIT_TOKENS", " env-token-a, env-token-b\tenv-token-c "));
    assertThat(config.transport()).isEqualTo("http");
    assertThat(config.servesHttp()).isTrue();
    HttpSettings http = config.http();
    assertThat(http.host()).isEqualTo("0.0.0.0");
    assertThat(http.port()).isEqualTo(9443);
    assertThat(http.path()).isEqualTo("/gateway/mcp");
    assertThat(http.allowedOrigins()).containsExactly("https://app.example", "http://localhost:3000");
    assertThat(http.auth().tokensEnv()).isEqualTo("GATEKIT_TOKENS");
    assertThat(http.auth().tokensFile()).isEqualTo(dir.resolve("tokens.txt"));
    assertThat(http.auth().bearerTokens())
        .containsExactly("env-token-a", "env-token-b", "env-token-c", "file-token-1", "file-token-2");
    assertThat(http.auth().enabled()).isTrue();
    assertThat(http.maxSessions()).isEqualTo(7);
    assertThat(http.sessionIdleTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(http.toString()).contains("bearerTokens=5 (values ***)").doesNotContain("token-");
    assertThat(config.toString()).doesNotContain("token-");
  }

  @Test
  void protocolVersionsNarrowWhatTheFrontAcceptsAndAnUnknownOneIsAProblem() throws Exception {
    assertThat(load("proxy:\n" + UPSTREAM, Map.of()).http().protocolVersions())
        .containsExactly("2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26");
    GatekitConfig config = load("""
        proxy:
          http:
            protocol_versions: [2026-07-28, "2025-11-25", 2026-07-28]
        """ + UPSTREAM, Map.of());
    assertThat(config.http().protocolVersions()).containsExactly("2026-07-28", "2025-11-25");
    ConfigException unknown = failure("""
        proxy:
          http:
            protocol_versions: [2026-07-28, 2024-11-05]
        """ + UPSTREAM, Map.of());
    assertThat(unknown.getMessage()).contains("proxy.http.protocol_versions[1]").contains("2024-11-05")
        .contains("one of 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26");
    ConfigException empty = failure("proxy:\n  http:\n    protocol_versions: []\n" + UPSTREAM, Map.of());
    assertThat(empty.getMessage()).contains("proxy.http.protocol_versions").contains("a non-empty list of protocol versions");
  }

  @Test
  void withoutAnHttpSectionTheDefaultsApplyAndTheTransportIsStdio() throws Exception {
    GatekitConfig config = load("proxy:\n" + UPSTREAM, Map.of());
    assertThat(config.transport()).isEqualTo("stdio");
    assertThat(config.servesHttp()).isFalse();
    assertThat(config.http()).isEqualTo(HttpSettings.defaults());
    assertThat(config.http().host()).isEqualTo("127.0.0.1");
    assertThat(config.http().port()).isEqualTo(8080);
    assertThat(config.http().path()).isEqualTo("/mcp");
    assertThat(config.http().allowedOrigins()).isEmpty();
    assertThat(config.http().auth().enabled()).isFalse();
    assertThat(config.http().maxSessions()).isEqualTo(100);
    assertThat(config.http().sessionIdleTimeout()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void anHttpSectionWithStdioIsKeptForGatekitDashDashHttp() throws Exception {
    GatekitConfig config = load("proxy:\n  transport: stdio\n  http: {port: 0, max_sessions: 3}\n" + UPSTREAM, Map.of());
    assertThat(config.servesHttp()).isFalse();
    assertThat(config.http().port()).isZero();
    assertThat(config.http().withAddress("::1", 7000)).extracting(HttpSettings::host, HttpSettings::port, HttpSettings::maxSessions)
        .containsExactly("::1", 7000, 3);
  }

  @Test
  void ipv6AndNamedHostsAreAccepted() throws Exception {
    assertThat(load("proxy:\n  http: {host: '[::1]'}\n" + UPSTREAM, Map.of()).http().host()).isEqualTo("::1");
    assertThat(load("proxy:\n  http: {host: gateway.internal}\n" + UPSTREAM, Map.of()).http().host()).isEqualTo("gateway.internal");
  }

  @Test
  void everyWrongValueOfTheHttpSectionIsAProblemAtItsPath() throws Exception {
    ConfigException e = failure("""
        proxy:
          transport: https
          http:
            host: "localhost:8080"
            port: 70000
            path: mcp
            allowed_origins: ["https://app.example/path", "*", 42]
            auth: {bearer_tokens_env: NOT_SET, bearer_tokens_file: missing.txt}
            max_sessions: 0
            session_idle_seconds: -1
            max_session: 4
        """ + UPSTREAM, Map.of());
    assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly(
        "proxy.transport",
        "proxy.http.max_session",
        "proxy.http.host",
        "proxy.http.port",
        "proxy.http.path",
        "proxy.http.allowed_origins[0]",
        "proxy.http.allowed_origins[1]",
        "proxy.http.allowed_origins[2]",
        "proxy.http.auth.bearer_tokens_env",
        "proxy.http.auth.bearer_tokens_file",
        "proxy.http.max_sessions",
        "proxy.http.session_idle_seconds");
    assertThat(e.getMessage())
        .contains("proxy.transport: expected stdio or http, found \"https\"")
        .contains("proxy.http.max_session: expected one of the keys", "did you mean 'max_sessions'?")
        .contains("proxy.http.host: expected a host name or IP address to bind", "found \"localhost:8080\"")
        .contains("proxy.http.port: expected a port from 0 (any free port) to 65535, found number 70000")
        .contains("proxy.http.path: expected a path starting with /", "found \"mcp\"")
        .contains("proxy.http.allowed_origins[0]: expected an origin", "found \"https://app.example/path\"")
        .contains("proxy.http.allowed_origins[1]: expected an origin", "found \"*\"")
        .contains("proxy.http.auth.bearer_tokens_env: expected the name of a set environment variable", "NOT_SET is not set")
        .contains("proxy.http.auth.bearer_tokens_file: expected a readable file of tokens", "missing.txt cannot be read (no such file)")
        .contains("proxy.http.max_sessions: expected a whole number of at least 1, found number 0")
        .contains("proxy.http.session_idle_seconds: expected a positive number of seconds, found number -1");
  }

  @Test
  void aNumberIsAStringForAnOriginButNotAnOrigin() throws Exception {
    ConfigException e = failure("proxy:\n  http: {allowed_origins: [42], port: x}\n" + UPSTREAM, Map.of());
    assertThat(e.getMessage()).contains("proxy.http.allowed_origins[0]: expected an origin", "found \"42\"")
        .contains("proxy.http.port: expected a whole number of at least 0, found \"x\"");
  }

  @Test
  void theSectionAndItsListsMustHaveTheirShapes() throws Exception {
    ConfigException e = failure("proxy:\n  http: [port, 80]\n" + UPSTREAM, Map.of());
    assertThat(e.getMessage()).contains("proxy.http: expected a mapping with host, port, path", "found a list");
    e = failure("proxy:\n  http: {allowed_origins: https://a.example, auth: s3cret}\n" + UPSTREAM, Map.of());
    assertThat(e.problems()).extracting(ConfigProblem::path).containsExactly("proxy.http.allowed_origins", "proxy.http.auth");
    assertThat(e.getMessage()).contains("expected a list of origins", "expected a mapping with bearer_tokens_env");
    e = failure("proxy:\n  http: {auth: {}}\n" + UPSTREAM, Map.of());
    assertThat(e.getMessage()).contains("proxy.http.auth: expected a mapping with bearer_tokens_env", "found neither");
    e = failure("proxy:\n  http: {auth: {bearer_token: x}}\n" + UPSTREAM, Map.of());
    assertThat(e.getMessage()).contains("proxy.http.auth.bearer_token: expected one of the keys bearer_tokens_env, bearer_tokens_file");
  }

  @Test
  void emptyTokenSourcesAreProblemsAndNoTokenIsEverQuoted() throws Exception {
    Files.writeString(dir.resolve("empty.txt"), "# nothing yet\n\n");
    Files.writeString(dir.resolve("blanks.txt"), "good-token\nhalf secret-token\n");
    ConfigException e = failure("proxy:\n  http: {auth: {bearer_tokens_env: EMPTY, bearer_tokens_file: empty.txt}}\n" + UPSTREAM,
        Map.of("EMPTY", " , "));
    assertThat(e.getMessage()).contains("proxy.http.auth.bearer_tokens_env: expected a variable holding at least one token, found EMPTY is empty")
        .contains("proxy.http.auth.bearer_tokens_file: expected a file with at least one token", "empty.txt has none");
    e = failure("proxy:\n  http: {auth: {bearer_tokens_file: blanks.txt}}\n" + UPSTREAM, Map.of());
    assertThat(e.getMessage()).contains("expected one token a line, without blanks", "blanks.txt line 2")
        .doesNotContain("secret-token").doesNotContain("good-token");
  }

  @Test
  void anUpstreamIsSharedOnlyWhenItSaysSo() throws Exception {
    GatekitConfig config = load("""
        proxy:
          transport: http
          upstreams:
            - {name: own, command: prog}
            - {name: common, command: prog, shared: true}
            - {name: remote, url: "https://mcp.example/mcp", shared: true}
            - {name: explicit, command: prog, shared: false}
        """, Map.of());
    assertThat(config.upstreams()).extracting(GatekitConfig.Upstream::shared).containsExactly(false, true, true, false);
    assertThat(config.upstream("common").toString()).contains("shared=true");
    ConfigException e = failure("proxy:\n  upstreams:\n    - {name: a, command: p, shared: yes please}\n", Map.of());
    assertThat(e.getMessage()).contains("proxy.upstreams[0].shared: expected true or false, found \"yes please\"");
  }
}
