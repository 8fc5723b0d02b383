package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyFactoryTest {

  @TempDir Path dir;

  private Path write(String name, String yaml) throws IOException {
    return ConfigFiles.write(dir, name, yaml);
  }

  @Test
  void aPluginsRelativeFilePathIsRelativeToTheConfigFilesFolder() throws Exception {
    Path file = write("conf/gatekit.yaml", """
        proxy:
          upstreams:
            - {name: files, command: p}
        plugins:
          auditing:
            _global:
              - {handler: audit_jsonl, config: {output_file: logs/audit.jsonl}}
        """);
    GatekitConfig config = ConfigLoader.load(file, Map.of());
    Path expected = dir.resolve("conf/logs/audit.jsonl").toAbsolutePath();
    assertThat(Files.exists(expected.getParent())).isFalse();
    assertThat(Path.of("logs/audit.jsonl").toAbsolutePath()).isNotEqualTo(expected); // not the working directory

    try (var proxy = ProxyFactory.proxyBuilder(config, ServiceLoaderWiring.of(PluginLoader.fromClassPath())).build()) {
      assertThat(Files.isDirectory(expected.getParent())).as("the log's folder, made beside the config").isTrue();
    }
  }

  @Test
  void theProxyBuilderCarriesTheUpstreamsAndCallsThePluginWiring() throws Exception {
    GatekitConfig config = ConfigLoader.load(write("gatekit.yaml",
        "proxy:\n  upstreams:\n    - {name: a, command: p}\n    - {name: b, command: q, shared: true}\n"), Map.of());
    GatekitConfig[] seen = new GatekitConfig[1];
    PluginWiring wiring = new PluginWiring() {
      @Override
      public List<ConfigProblem> check(GatekitConfig c) {
        return List.of();
      }

      @Override
      public void wire(GatekitConfig c, dev.gatekit.proxy.GatekitProxy.Builder proxy) {
        seen[0] = c;
      }
    };
    try (var proxy = ProxyFactory.proxyBuilder(config, wiring).build()) {
      // Before any session, only the shared upstream has a connection; a gets one per session.
      assertThat(proxy.upstreamStats()).containsOnlyKeys("b");
    }
    assertThat(seen[0]).isSameAs(config);
  }

  @Test
  void theConnectionTimeoutBoundsHowLongAnUpstreamMayTakeToAnswerInitialize() throws Exception {
    Path file = dir.resolve("slow.yaml");
    Files.writeString(file, """
        proxy:
          upstreams:
            - {name: mute, command: ["/bin/sh", "-c", "read line; sleep 30"]}
          timeouts: {connection_seconds: 0.3, request_seconds: 60}
        """);
    GatekitConfig config = ConfigLoader.load(file, Map.of());
    java.util.concurrent.ConcurrentLinkedQueue<dev.gatekit.api.JsonRpcMessage> out = new java.util.concurrent.ConcurrentLinkedQueue<>();
    try (dev.gatekit.proxy.GatekitProxy proxy = config.proxyBuilder(PluginWiring.NONE).build()) {
      proxy.connect(out::add);
      proxy.receive(dev.gatekit.api.JsonRpcCodec.get().decode(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"));
      assertThat(proxy.awaitIdle(Duration.ofSeconds(20))).isTrue();
      dev.gatekit.api.JsonRpcResponse answer = (dev.gatekit.api.JsonRpcResponse) out.peek();
      assertThat(answer.error().code()).isEqualTo(dev.gatekit.api.ErrorCodes.REQUEST_TIMEOUT);
      assertThat(answer.error().message()).contains("300 ms");
    }
  }

  @Test
  void anUnsharedUpstreamStartsForEverySessionAndASharedOneOnce() throws Exception {
    Path starts = dir.resolve("starts.txt");
    StringBuilder server = new StringBuilder();
    for (String word : dev.gatekit.testkit.server.TestServer.command()) {
      server.append(", '").append(word.replace("'", "''")).append("'");
    }
    // Each upstream notes every start of its process in the file, then becomes the test server.
    String note = "'echo %s >> " + starts + "; exec \"$0\" \"$@\"'";
    GatekitConfig config = ConfigLoader.load(write("gatekit.yaml", """
        proxy:
          transport: http
          upstreams:
            - {name: own, command: ["/bin/sh", "-c", %s%s]}
            - {name: common, command: ["/bin/sh", "-c", %s%s], shared: true}
        """.formatted(note.formatted("own"), server, note.formatted("common"), server)),
        Map.of());
    java.util.concurrent.ConcurrentLinkedQueue<dev.gatekit.api.JsonRpcMessage> first = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.concurrent.ConcurrentLinkedQueue<dev.gatekit.api.JsonRpcMessage> second = new java.util.concurrent.ConcurrentLinkedQueue<>();
    try (dev.gatekit.proxy.GatekitProxy proxy = config.proxyBuilder(PluginWiring.NONE).build();
        dev.gatekit.proxy.ProxySession one = proxy.open("one", first::add);
        dev.gatekit.proxy.ProxySession two = proxy.open("two", second::add)) {
      dev.gatekit.api.JsonRpcMessage initialize = dev.gatekit.api.JsonRpcCodec.get().decode(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
      one.receive(initialize);
      two.receive(initialize);
      assertThat(one.awaitIdle(Duration.ofSeconds(60))).isTrue();
      assertThat(two.awaitIdle(Duration.ofSeconds(60))).isTrue();
      assertThat(first).singleElement().matches(m -> m instanceof dev.gatekit.api.JsonRpcResponse r && !r.isError(), "an initialize result");
      assertThat(second).singleElement().matches(m -> m instanceof dev.gatekit.api.JsonRpcResponse r && !r.isError(), "an initialize result");
      assertThat(proxy.openSessions()).isEqualTo(2);
      assertThat(Files.readAllLines(starts)).containsExactlyInAnyOrder("own", "own", "common");
    }
  }
}
