package dev.gatekit.example.denytools;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.List;
import java.util.Set;

/**
 * An example third-party plugin, {@code deny_tools}: blocks calls of the tools it names.
 *
 * <pre>{@code
 * plugins:
 *   security:
 *     _global:
 *       - handler: deny_tools
 *         config:
 *           tools: [delete_file, drop_table]
 * }</pre>
 *
 * <p>Registered in {@code META-INF/services/dev.gatekit.api.plugin.PluginProvider}; put the jar on
 * the gateway's class path ({@code java -cp gatekit.jar:deny-tools.jar
 * dev.gatekit.cli.GatekitCommand --config gatekit.yaml}) and name the handler in the config.
 */
public final class DenyToolsProvider implements PluginProvider {

  /** Creates the provider (found by {@link java.util.ServiceLoader}). */
  public DenyToolsProvider() {}

  @Override
  public String handler() {
    return "deny_tools";
  }

  @Override
  public PluginKind kind() {
    return PluginKind.SECURITY;
  }

  @Override
  public Plugin create(PluginConfig config) {
    List<String> tools = config.stringList("tools");
    if (tools.isEmpty()) {
      config.problem("tools", "a non-empty list of tool names", "none");
    }
    config.rejectUnknownKeys(Set.of("tools"));
    config.validate(); // reports every problem at once
    return new DenyTools(Set.copyOf(tools));
  }

  /** Blocks {@code tools/call} of a denied tool; allows everything else. Thread-safe (immutable). */
  private record DenyTools(Set<String> denied) implements SecurityPlugin {
    @Override
    public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
      if (!"tools/call".equals(request.method()) || request.params() == null) {
        return PluginResult.allow();
      }
      String tool = request.params().path("name").asText();
      return denied.contains(tool)
          ? PluginResult.block("tool '" + tool + "' is denied").withMetadata("denied_tool", tool)
          : PluginResult.allow();
    }
  }
}
