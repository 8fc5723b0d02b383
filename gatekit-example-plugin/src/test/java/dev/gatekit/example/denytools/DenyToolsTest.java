package dev.gatekit.example.denytools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.testkit.plugin.PluginTester;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class DenyToolsTest {

  @Test
  void blocksDeniedToolsAndAllowsOthers() {
    Plugin plugin = PluginTester.create(new DenyToolsProvider(), Map.of("tools", List.of("delete_file")));
    PluginTester tester = PluginTester.of(plugin).upstream("files");

    tester.callTool("delete_file", "{'path':'/etc/passwd'}").assertBlocked("delete_file");
    tester.callTool("read_file", "{'path':'/tmp/a'}").assertAllowed();
  }

  @Test
  void isRegisteredForServiceLoader() {
    assertThat(ServiceLoader.load(PluginProvider.class).stream().map(ServiceLoader.Provider::type))
        .contains(DenyToolsProvider.class);
  }

  @Test
  void reportsItsOptionProblems() {
    assertThatThrownBy(() -> PluginTester.create(new DenyToolsProvider(), Map.of("tool", "x")))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> assertThat(e.problems()).hasSize(2));
  }
}
