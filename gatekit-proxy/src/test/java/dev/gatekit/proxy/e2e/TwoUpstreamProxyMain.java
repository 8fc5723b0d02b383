package dev.gatekit.proxy.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.StdioServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A test-only stdio gateway in front of several upstreams, until the proxy reads a configuration
 * file: builds a {@link GatekitProxy} with one {@link StdioTransport} per upstream and serves it on
 * stdin and stdout with {@link StdioServer}, as the {@code gatekit} command does for one upstream.
 *
 * <pre>
 * TwoUpstreamProxyMain [--block UPSTREAM__TOOL]... [--delay-notification METHOD MS]
 *     --upstream NAME COMMAND [ARGS...] [--upstream NAME COMMAND [ARGS...]]...
 * </pre>
 *
 * Each {@code --upstream} starts the next upstream's name and command, so an upstream's own
 * arguments cannot be a literal {@code --upstream}. With one upstream the proxy is transparent, as
 * the {@code gatekit} command is; with several, names are namespaced. {@code --block a__echo} adds a
 * security plugin that blocks calls of the tool {@code echo} on upstream {@code a} with {@link
 * #BLOCK_REASON}. {@code --delay-notification METHOD MS} adds a plugin that takes MS milliseconds
 * over every notification with that method, as a slow filter would. Logs (warn and above) go to
 * stderr. Exit code 2 for a bad command line.
 */
public final class TwoUpstreamProxyMain {

  static final String UPSTREAM = "--upstream";
  static final String BLOCK = "--block";
  static final String DELAY_NOTIFICATION = "--delay-notification";
  static final String PLUGIN_NAME = "e2e-blocklist";
  static final String BLOCK_REASON = "this tool is blocked by the end-to-end test policy";

  private TwoUpstreamProxyMain() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    Map<String, List<String>> upstreams = new LinkedHashMap<>();
    Map<String, List<String>> blocked = new LinkedHashMap<>();
    Map<String, Long> delays = new LinkedHashMap<>();
    int i = 0;
    while (i < args.length && !args[i].equals(UPSTREAM)) {
      if (args[i].equals(BLOCK) && i + 1 < args.length) {
        String[] tool = args[i + 1].split("__", 2);
        if (tool.length != 2) {
          usage("--block needs UPSTREAM__TOOL, was " + args[i + 1]);
        }
        blocked.computeIfAbsent(tool[0], k -> new ArrayList<>()).add(tool[1]);
        i += 2;
      } else if (args[i].equals(DELAY_NOTIFICATION) && i + 2 < args.length) {
        delays.put(args[i + 1], Long.parseLong(args[i + 2]));
        i += 3;
      } else {
        usage("unknown or incomplete option '" + args[i] + "'");
      }
    }
    while (i < args.length) {
      if (!args[i].equals(UPSTREAM) || i + 2 >= args.length) {
        usage("expected --upstream NAME COMMAND [ARGS...] at '" + String.join(" ", Arrays.copyOfRange(args, i, args.length)) + "'");
      }
      String name = args[i + 1];
      int end = i + 2;
      while (end < args.length && !args[end].equals(UPSTREAM)) {
        end++;
      }
      if (upstreams.put(name, List.of(Arrays.copyOfRange(args, i + 2, end))) != null) {
        usage("upstream '" + name + "' is given twice");
      }
      i = end;
    }
    if (upstreams.isEmpty()) {
      usage("give at least one --upstream");
    }

    GatekitProxy.Builder builder = GatekitProxy.builder();
    upstreams.forEach((name, command) -> builder.upstream(name, StdioTransport.builder(command).name(name).build()));
    blocked.forEach((upstream, tools) -> builder.plugin(PLUGIN_NAME, upstream, new BlockTools(Set.copyOf(tools))));
    if (!delays.isEmpty()) {
      builder.plugin("e2e-slow-notifications", null, new SlowNotifications(Map.copyOf(delays)));
    }
    GatekitProxy proxy = builder.build();
    Thread shutdown = new Thread(proxy::close, "e2e-proxy-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    new StdioServer(proxy).serve(System.in, System.out);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdown);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running and closes the proxy
    }
  }

  private static void usage(String problem) {
    System.err.println("TwoUpstreamProxyMain: " + problem);
    System.err.println(
        "Usage: TwoUpstreamProxyMain [--block UPSTREAM__TOOL]... [--delay-notification METHOD MS]..."
            + " --upstream NAME COMMAND [ARGS...]...");
    System.exit(2);
  }

  /** Blocks {@code tools/call} of the named tools on the upstream it is scoped to. */
  private static final class BlockTools implements SecurityPlugin {
    private final Set<String> tools;

    BlockTools(Set<String> tools) {
      this.tools = tools;
    }

    @Override
    public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
      if (!request.method().equals(McpMethods.TOOLS_CALL) || request.params() == null) {
        return PluginResult.allow();
      }
      JsonNode name = request.params().get("name");
      return name != null && name.isTextual() && tools.contains(name.textValue())
          ? PluginResult.block(BLOCK_REASON)
          : PluginResult.allow();
    }
  }

  /** Takes its time over notifications of the given methods, as a slow filter would; allows all. */
  private static final class SlowNotifications implements SecurityPlugin {
    private final Map<String, Long> delays;

    SlowNotifications(Map<String, Long> delays) {
      this.delays = delays;
    }

    @Override
    public PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
      Long millis = delays.get(notification.method());
      if (millis != null) {
        try {
          Thread.sleep(millis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return PluginResult.allow();
    }
  }
}
