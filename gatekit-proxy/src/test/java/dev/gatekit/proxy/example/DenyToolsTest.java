package dev.gatekit.proxy.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.LoadedPlugin;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import dev.gatekit.testkit.plugin.PluginTester;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
  void isFoundOnTheClassPathLikeTheBuiltIns() {
    PluginLoader loader = PluginLoader.fromClassPath();
    assertThat(loader.handlers()).contains("deny_tools", "basic_secrets_filter");

    List<LoadedPlugin> loaded = loader.load(List.of(new PluginEntry(PluginKind.SECURITY, "_global", "deny_tools",
        Map.of("tools", List.of("drop_table")), "plugins.security._global[0]", 0)), Set.of("db"));
    PluginTester.of(loaded.get(0).plugin()).callTool("drop_table", "{}").assertBlocked("drop_table");
  }

  @Test
  void reportsItsOptionProblems() {
    assertThatThrownBy(() -> PluginTester.create(new DenyToolsProvider(), Map.of("tool", "x")))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> assertThat(e.problems()).hasSize(2));
  }
}
