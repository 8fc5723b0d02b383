package dev.gatekit.proxy.internal.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Trace context in a request's {@code params._meta}, where MCP carries it ({@code traceparent},
 * {@code tracestate}): read from a client's request, written into a copy of the request that goes
 * upstream. A request is never changed in place: the copy shares every other part of the params.
 */
final class MetaCarrier {

  private static final String META = "_meta";

  private static final TextMapGetter<JsonNode> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(JsonNode meta) {
      List<String> keys = new ArrayList<>();
      meta.fieldNames().forEachRemaining(keys::add);
      return keys;
    }

    @Override
    public @Nullable String get(@Nullable JsonNode meta, String key) {
      JsonNode value = meta == null ? null : meta.get(key);
      return value != null && value.isTextual() ? value.asText() : null;
    }
  };

  private static final TextMapSetter<Map<String, String>> SETTER = (fields, key, value) -> {
    if (fields != null) {
      fields.put(key, value);
    }
  };

  /** Writes into a copy of {@code _meta}; the first field written drops every field the propagator carries. */
  private static final class Injection {
    final ObjectNode meta;
    final Collection<String> fields;
    boolean injected;

    Injection(ObjectNode meta, Collection<String> fields) {
      this.meta = meta;
      this.fields = fields;
    }
  }

  private static final TextMapSetter<Injection> INJECTION = (injection, key, value) -> {
    if (injection != null) {
      if (!injection.injected) {
        injection.meta.remove(injection.fields);
        injection.injected = true;
      }
      injection.meta.put(key, value);
    }
  };

  private MetaCarrier() {}

  /** Returns the context {@code request}'s {@code _meta} names as its parent, or the root context. */
  static Context extract(TextMapPropagator propagator, JsonRpcRequest request) {
    JsonNode meta = metaOf(request);
    return meta == null ? Context.root() : propagator.extract(Context.root(), meta, GETTER);
  }

  /**
   * Returns a copy of {@code request} whose {@code _meta} carries {@code context}, in place of every
   * field of the propagator's it had (a client's {@code tracestate} never stays beside the gateway's
   * {@code traceparent}); {@code request} itself when its params are not an object (there is nowhere
   * to put it) or the propagator had nothing to say.
   */
  static JsonRpcRequest inject(TextMapPropagator propagator, Context context, JsonRpcRequest request) {
    JsonNode params = request.params();
    if (params != null && !params.isObject()) {
      return request;
    }
    ObjectNode copy = JsonNodeFactory.instance.objectNode();
    ObjectNode meta = JsonNodeFactory.instance.objectNode();
    if (params != null) {
      copy.setAll((ObjectNode) params);
      if (params.get(META) instanceof ObjectNode old) {
        meta.setAll(old);
      }
    }
    Injection injection = new Injection(meta, propagator.fields());
    propagator.inject(context, injection, INJECTION);
    if (!injection.injected) {
      return request; // the propagator had nothing to say
    }
    copy.set(META, meta);
    return request.withParams(copy);
  }

  /** Puts into {@code fields} the fields (name to value, in the propagator's order) that carry {@code context}. */
  static void fields(TextMapPropagator propagator, Context context, Map<String, String> fields) {
    propagator.inject(context, fields, SETTER);
  }

  private static @Nullable JsonNode metaOf(JsonRpcRequest request) {
    JsonNode params = request.params();
    JsonNode meta = params == null ? null : params.get(META);
    return meta != null && meta.isObject() ? meta : null;
  }
}
