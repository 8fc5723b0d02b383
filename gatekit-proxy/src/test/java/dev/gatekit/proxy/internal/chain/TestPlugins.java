package dev.gatekit.proxy.internal.chain;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Plugins for chain tests that write each call ({@code name:request}, {@code name:response},
 * {@code name:notification}) into {@link #calls} and decide with a function of the message they see;
 * and the messages they see.
 */
final class TestPlugins {

  static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final PluginContext CONTEXT = PluginContext.of("up", RequestId.of(7), "tools/call");

  /** Every plugin call, in order, from every thread. */
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  /** A {@code tools/call} request with id 7. */
  static JsonRpcRequest call() {
    ObjectNode params = NODES.objectNode().put("name", "echo");
    params.putObject("arguments").put("text", "hi");
    return new JsonRpcRequest(RequestId.of(7), "tools/call", params);
  }

  /** A result answering id 7. */
  static JsonRpcResponse result() {
    return JsonRpcResponse.success(RequestId.of(7), NODES.objectNode().put("ok", true));
  }

  static JsonRpcNotification notification(String method) {
    return new JsonRpcNotification(method, null);
  }

  /** Runs {@code message} towards the upstream {@code up} through {@code stages} to {@code farSide}. */
  static Outcome towardsUpstream(Stages stages, FarSide farSide, JsonRpcMessage message) {
    return towardsUpstream(stages, farSide, new Passage(CONTEXT, System.nanoTime(), null), message);
  }

  static Outcome towardsUpstream(Stages stages, FarSide farSide, Passage passage, JsonRpcMessage message) {
    return Chain.run(stages.towardsUpstream("up", farSide), passage, message).join();
  }

  PluginStage security(String name, int priority, Function<JsonRpcMessage, PluginResult> decide) {
    return security(name, priority, null, decide);
  }

  PluginStage security(String name, int priority, @Nullable String scope, Function<JsonRpcMessage, PluginResult> decide) {
    SecurityPlugin plugin = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        return called(name + ":request", decide, request);
      }

      @Override
      public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        return called(name + ":response", decide, response);
      }

      @Override
      public PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
        return called(name + ":notification", decide, notification);
      }
    };
    return PluginStage.of(plugin, name, scope, priority);
  }

  PluginStage middleware(String name, int priority, Function<JsonRpcMessage, PluginResult> decide) {
    return middleware(name, priority, null, decide);
  }

  PluginStage middleware(String name, int priority, @Nullable String scope, Function<JsonRpcMessage, PluginResult> decide) {
    MiddlewarePlugin plugin = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        return called(name + ":request", decide, request);
      }

      @Override
      public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        return called(name + ":response", decide, response);
      }

      @Override
      public PluginResult processNotification(JsonRpcNotification notification, PluginContext context) {
        return called(name + ":notification", decide, notification);
      }
    };
    return PluginStage.of(plugin, name, scope, priority);
  }

  private PluginResult called(String call, Function<JsonRpcMessage, PluginResult> decide, JsonRpcMessage message) {
    calls.add(call);
    return decide.apply(message);
  }

  static AuditingPlugin auditor(boolean critical, Consumer<AuditEvent> onEvent) {
    return new AuditingPlugin() {
      @Override
      public void audit(AuditEvent event) {
        onEvent.accept(event);
      }

      @Override
      public boolean critical() {
        return critical;
      }
    };
  }

  /** An auditor that keeps every event in {@code events}. */
  static AuditingPlugin keeping(List<AuditEvent> events) {
    return auditor(false, events::add);
  }

  /** A security plugin that lets everything through and calls text sensitive when {@code isSensitive} says so. */
  static SecurityPlugin sensitiveWhen(Function<String, Boolean> isSensitive) {
    return new SecurityPlugin() {
      @Override
      public boolean isSensitive(String text) {
        return isSensitive.apply(text);
      }
    };
  }
}
