package dev.gatekit.proxy.internal;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.Comparator;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One security or middleware plugin as the pipeline sees it: the same three calls whatever the kind,
 * a scope, and a place in the order.
 *
 * @param plugin the plugin
 * @param kind its kind, {@link PluginKind#SECURITY} or {@link PluginKind#MIDDLEWARE}
 * @param name a name for logs and audit records (the handler name, or the class name)
 * @param scope the upstream it applies to, or {@code null} for all
 * @param priority 0 to 100, lower first
 * @param order its position in the configuration, breaking priority ties
 */
public record PluginStage(
    Plugin plugin, PluginKind kind, String name, @Nullable String scope, int priority, int order) {

  /** Orders stages by priority, then configuration order. */
  public static final Comparator<PluginStage> ORDER =
      Comparator.comparingInt(PluginStage::priority).thenComparingInt(PluginStage::order);

  /** Checks that the plugin is of the kind given. */
  public PluginStage {
    Objects.requireNonNull(plugin, "plugin");
    if (kind == PluginKind.AUDITING || !kind.type().isInstance(plugin)) {
      throw new IllegalArgumentException(name + " is not a " + kind.configKey() + " plugin");
    }
  }

  /** Returns whether this stage runs for messages of {@code upstream}. */
  public boolean appliesTo(@Nullable String upstream) {
    return scope == null || scope.equals(upstream);
  }

  PluginResult onRequest(JsonRpcRequest request, PluginContext context) {
    return kind == PluginKind.SECURITY
        ? ((SecurityPlugin) plugin).checkRequest(request, context)
        : ((MiddlewarePlugin) plugin).processRequest(request, context);
  }

  PluginResult onResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
    return kind == PluginKind.SECURITY
        ? ((SecurityPlugin) plugin).checkResponse(request, response, context)
        : ((MiddlewarePlugin) plugin).processResponse(request, response, context);
  }

  PluginResult onNotification(JsonRpcNotification notification, PluginContext context) {
    return kind == PluginKind.SECURITY
        ? ((SecurityPlugin) plugin).checkNotification(notification, context)
        : ((MiddlewarePlugin) plugin).processNotification(notification, context);
  }
}
