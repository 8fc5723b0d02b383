package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginProvider;
import java.io.UncheckedIOException;
import java.util.Map;

final class FilterTestSupport {
  static final PluginContext CONTEXT = PluginContext.of("files", RequestId.of(1), "tools/call");

  private FilterTestSupport() {}

  static JsonNode json(String singleQuoted) {
    try {
      return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A tools/call request whose argument {@code text} holds {@code text}. */
  static JsonRpcRequest call(String text) {
    JsonNode params = json("{'name':'echo','arguments':{}}");
    ((com.fasterxml.jackson.databind.node.ObjectNode) params.get("arguments")).put("text", text);
    return new JsonRpcRequest(RequestId.of(1), "tools/call", params);
  }

  @SuppressWarnings("unchecked")
  static <T extends Plugin> T create(PluginProvider provider, Map<String, ?> options) {
    return (T) provider.create(PluginConfig.of(provider.handler(), "plugins.security._global[0].config", options));
  }
}
