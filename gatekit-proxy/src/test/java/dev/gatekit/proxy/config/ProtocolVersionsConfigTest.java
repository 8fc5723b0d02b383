package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.GatekitProxy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code proxy.protocol_versions}, the versions accepted on every front (the stdio front's), and how
 * {@code proxy.http.protocol_versions} relates to it: some of them, by default all of them.
 */
class ProtocolVersionsConfigTest {

  private static final String UPSTREAM = "  upstreams:\n    - {name: kit, command: prog}\n";
  private static final List<String> ALL = List.of("2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26");

  @TempDir Path dir;

  private GatekitConfig load(String proxySection) throws Exception {
    return ConfigLoader.load(ConfigFiles.write(dir, "gatekit.yaml", "proxy:\n" + proxySection + UPSTREAM), Map.of());
  }

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("neither key: everything", "", ALL, ALL),
        Arguments.of("proxy's only: the HTTP front takes it too", "  protocol_versions: [2025-11-25, 2026-07-28]\n",
            List.of("2025-11-25", "2026-07-28"), List.of("2025-11-25", "2026-07-28")),
        Arguments.of("http's only: narrows the HTTP front alone", "  http: {protocol_versions: [2026-07-28]}\n",
            ALL, List.of("2026-07-28")),
        Arguments.of("both: the HTTP front's is some of the proxy's",
            "  protocol_versions: [2026-07-28, 2025-11-25, 2026-07-28]\n  http: {protocol_versions: [2025-11-25]}\n",
            List.of("2026-07-28", "2025-11-25"), List.of("2025-11-25")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("accepted")
  void theProxysVersionsApplyToEveryFrontAndTheHttpOnesNarrowThem(String what, String yaml, List<String> proxy,
      List<String> http) throws Exception {
    GatekitConfig config = load(yaml);

    assertThat(config.protocolVersions()).containsExactlyElementsOf(proxy);
    assertThat(config.http().protocolVersions()).containsExactlyElementsOf(http);
  }

  static Stream<Arguments> problems() {
    return Stream.of(
        Arguments.of("  protocol_versions: [2026-07-28, 2024-11-05]\n", "proxy.protocol_versions[1]",
            "one of 2026-07-28, 2025-11-25, 2025-06-18, 2025-03-26", "\"2024-11-05\""),
        Arguments.of("  protocol_versions: []\n", "proxy.protocol_versions", "a non-empty list of protocol versions", ""),
        Arguments.of("  protocol_versions: 2026-07-28\n", "proxy.protocol_versions", "a non-empty list of protocol versions",
            ""),
        Arguments.of("  protocol_versions: [2026-07-28]\n  http: {protocol_versions: [2025-11-25]}\n",
            "proxy.http.protocol_versions[0]", "one of proxy.protocol_versions (2026-07-28)", "\"2025-11-25\""));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("problems")
  void aWrongListIsAProblemNamingTheFileTheKeyAndWhatWasExpected(String yaml, String key, String expected,
      String found) throws IOException {
    Path file = ConfigFiles.write(dir, "bad.yaml", "proxy:\n" + yaml + UPSTREAM);
    try {
      ConfigLoader.load(file, Map.of());
    } catch (ConfigException e) {
      assertThat(e.getMessage()).contains(file.toAbsolutePath().normalize().toString());
      assertThat(e.problems()).extracting(ConfigProblem::path).contains(key);
      ConfigProblem problem = e.problems().stream().filter(p -> p.path().equals(key)).findFirst().orElseThrow();
      assertThat(problem.expected()).contains(expected);
      assertThat(problem.found()).contains(found);
      return;
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  @Test
  void theStdioFrontsProxyRefusesAVersionNotAccepted() throws Exception {
    GatekitConfig config = load("  protocol_versions: [2025-11-25]\n");
    PluginWiring none = new PluginWiring() {
      @Override
      public List<ConfigProblem> check(GatekitConfig c) {
        return List.of();
      }

      @Override
      public void wire(GatekitConfig c, GatekitProxy.Builder proxy) {}
    };
    CompletableFuture<JsonRpcResponse> answer = new CompletableFuture<>();
    ClientConnection client = (JsonRpcMessage message) -> {
      if (message instanceof JsonRpcResponse response) {
        answer.complete(response);
      }
    };
    try (GatekitProxy proxy = ProxyFactory.proxyBuilder(config, none).build()) {
      proxy.connect(client);
      proxy.receive(new JsonRpcRequest(RequestId.of(1), "initialize", dev.gatekit.api.JsonRpcCodec.get().mapper()
          .readTree("{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}")));
      JsonRpcResponse refused = answer.get(30, TimeUnit.SECONDS);
      assertThat(refused.error().code()).isEqualTo(-32602);
      assertThat(refused.error().data().path("supported").toString()).isEqualTo("[\"2025-11-25\"]");
    }
  }
}
