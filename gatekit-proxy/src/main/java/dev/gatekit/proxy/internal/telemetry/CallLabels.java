package dev.gatekit.proxy.internal.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import org.jspecify.annotations.Nullable;

/**
 * What a finished call is recorded under: its method, direction, upstream, tool, outcome and JSON-RPC error code.
 * The attribute set of each distinct one is made once ({@link #attributes}), as are span names
 * ({@link #spanName}), so a request with telemetry on builds neither. Thread-safe.
 */
final class CallLabels {

  private record Key(String method, String direction, @Nullable String upstream, @Nullable String tool, CallResult result,
      int errorCode) {}

  private record Name(String method, String tool) {}

  private final BoundedCache<Key, Attributes> attributes =
      new BoundedCache<>(CallLabels::build, BoundedCache.DEFAULT_LIMIT);
  private final BoundedCache<Name, String> names =
      new BoundedCache<>(name -> name.method() + " " + name.tool(), BoundedCache.DEFAULT_LIMIT);

  /**
   * Returns the metric attributes of a call: {@code mcp.method.name}, {@code gatekit.direction}, {@code gatekit.outcome}, and when
   * known {@code gatekit.upstream}, {@code gen_ai.tool.name}; for an error, {@code error.type} (the
   * code, or the outcome when there is none) and {@code rpc.response.status_code}.
   *
   * @param errorCode the JSON-RPC error code, or 0 for none
   */
  Attributes attributes(String method, String direction, @Nullable String upstream, @Nullable String tool,
      CallResult result, int errorCode) {
    return attributes.get(new Key(method, direction, upstream, tool, result, errorCode));
  }

  /** Returns the name of a span of {@code method}: the method, followed by the tool when there is one. */
  String spanName(String method, @Nullable String tool) {
    return tool == null ? method : names.get(new Name(method, tool));
  }

  private static Attributes build(Key key) {
    AttributesBuilder builder = Attributes.builder()
        .put(Telemetry.METHOD, key.method())
        .put(Telemetry.DIRECTION, key.direction())
        .put(Telemetry.OUTCOME, key.result().value());
    if (key.upstream() != null) {
      builder.put(Telemetry.UPSTREAM, key.upstream());
    }
    if (key.tool() != null) {
      builder.put(Telemetry.TOOL, key.tool());
    }
    if (key.errorCode() != 0) {
      String code = Integer.toString(key.errorCode());
      builder.put(Telemetry.ERROR_TYPE, code).put(Telemetry.STATUS_CODE, code);
    } else if (key.result() != CallResult.OK) {
      builder.put(Telemetry.ERROR_TYPE, key.result().value());
    }
    return builder.build();
  }
}
