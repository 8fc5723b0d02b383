package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.proxy.plugins.LoadedPlugin;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.plugin.PluginTester;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's example plugin, {@code deny_tools}, as a plugin author ships it: a jar of its own
 * (built by the {@code gatekit-example-plugin} module), found through {@link java.util.ServiceLoader}
 * once the jar is on the class path — by {@link PluginLoader} in a host application, and by the
 * packaged {@code gatekit} command. The jar is kept off this test's class path, so it can be found
 * through the jar only. Run by Maven Failsafe after {@code package}.
 */
class ExamplePluginJarIT {

  private static final String PROVIDER = "dev.gatekit.example.denytools.DenyToolsProvider";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Path pluginJar;
  private static Path cliJar;

  @TempDir Path dir;

  @BeforeAll
  static void findJars() {
    pluginJar = Path.of(System.getProperty("gatekit.examplePluginJar", "")).toAbsolutePath();
    cliJar = Path.of(System.getProperty("gatekit.cliJar", "")).toAbsolutePath();
    assertThat(pluginJar).as("system property gatekit.examplePluginJar").isRegularFile();
    assertThat(cliJar).as("system property gatekit.cliJar").isRegularFile();
  }

  @Test
  void aHostFindsThePluginInItsJarThroughServiceLoader() throws Exception {
    assertThatThrownBy(() -> Class.forName(PROVIDER))
        .as("the example is not on this test's class path")
        .isInstanceOf(ClassNotFoundException.class);

    try (URLClassLoader withPlugin =
        new URLClassLoader(new URL[] {pluginJar.toUri().toURL()}, getClass().getClassLoader())) {
      PluginLoader loader = PluginLoader.fromClassLoader(withPlugin);
      assertThat(loader.handlers()).contains("deny_tools", "basic_secrets_filter", "audit_jsonl");

      PluginProvider provider = loader.provider("deny_tools");
      assertThat(provider).isNotNull();
      assertThat(provider.getClass().getName()).isEqualTo(PROVIDER);
      assertThat(provider.getClass().getProtectionDomain().getCodeSource().getLocation().toURI())
          .as("loaded from the plugin's jar")
          .isEqualTo(pluginJar.toUri());

      List<LoadedPlugin> loaded =
          loader.load(
              List.of(
                  new PluginEntry(
                      PluginKind.SECURITY,
                      "_global",
                      "deny_tools",
                      Map.of("tools", List.of("drop_table")),
                      "plugins.security._global[0]",
                      0)),
              Set.of("db"));
      PluginTester tester = PluginTester.of(loaded.get(0).plugin()).upstream("db");
      tester.callTool("drop_table", "{}").assertBlocked("drop_table");
      tester.callTool("select", "{}").assertAllowed();
    }
  }

  @Test
  void theGatekitCommandLoadsThePluginFromAJarBesideIt() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path config = dir.resolve("gatekit.yaml");
    Files.writeString(
        config,
        """
        proxy:
          upstreams:
            - name: kit
              command: ['%s', '-cp', '%s', 'dev.gatekit.testkit.server.TestMcpServer']
          timeouts: {request_seconds: 20}
        plugins:
          security:
            _global:
              - handler: deny_tools
                config: {tools: [fail]}
        """
            .formatted(java, cliJar));
    String classPath = cliJar + File.pathSeparator + pluginJar;
    Process gateway =
        new ProcessBuilder(java, "-cp", classPath, GatekitCommand.class.getName(), "--config", config.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      OutputStream in = gateway.getOutputStream();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8));
      send(in, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"it\",\"version\":\"1\"}}}");
      assertThat(JSON.readTree(out.readLine()).has("result")).isTrue();
      send(in, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");

      send(in, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"fail\",\"arguments\":{}}}");
      JsonNode denied = JSON.readTree(out.readLine());
      assertThat(denied.path("id").asInt()).isEqualTo(2);
      assertThat(denied.path("error").path("code").asInt()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);

      send(in, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}");
      JsonNode allowed = JSON.readTree(out.readLine());
      assertThat(allowed.path("id").asInt()).isEqualTo(3);
      assertThat(allowed.path("result").path("content").get(0).path("text").asText()).isEqualTo("hi");

      in.close();
      assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(gateway.exitValue()).isZero();
    } finally {
      gateway.destroyForcibly();
    }
  }

  private static void send(OutputStream in, String line) throws IOException {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }
}
