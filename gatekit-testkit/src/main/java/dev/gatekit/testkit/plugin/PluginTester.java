package dev.gatekit.testkit.plugin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Runs messages through one plugin or a small pipeline the way the gateway does, so a plugin author
 * can test a plugin in a few lines:
 *
 * <pre>{@code
 * Plugin plugin = PluginTester.create(new DenyToolsProvider(), Map.of("tools", List.of("delete_file")));
 * PluginTester.of(plugin).upstream("files")
 *     .callTool("delete_file", "{'path':'/etc/passwd'}")
 *     .assertBlocked("delete_file");
 * }</pre>
 *
 * <p>The rules mirror the gateway's pipeline: requests and client notifications meet middleware then
 * security, responses and upstream notifications security then middleware; within a kind, lower
 * {@link Plugin#priority()} first, ties in the order given. A security plugin that throws blocks the
 * message (fail closed); a middleware plugin that throws fails it; only middleware may complete, and
 * only requests. Auditing plugins receive an event for each outcome, without the message when it was
 * blocked. Not thread-safe (build one per test).
 */
public final class PluginTester {

  private final List<Plugin> plugins;
  private @Nullable String upstream;
  private final Map<String, Object> attributes = new LinkedHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  private PluginTester(List<Plugin> plugins) {
    this.plugins = List.copyOf(plugins);
  }

  /** Returns a tester of these plugins, ordered as the gateway orders them. */
  public static PluginTester of(Plugin... plugins) {
    return new PluginTester(List.of(plugins));
  }

  /**
   * Builds a plugin through its provider from options, as a configuration file would give them.
   *
   * @throws dev.gatekit.api.plugin.PluginConfigException if the provider rejects the options
   */
  public static Plugin create(PluginProvider provider, Map<String, ?> options) {
    return provider.create(PluginConfig.of(provider.handler(), "plugins." + provider.kind().configKey()
        + "._global[0].config", options));
  }

  /** Parses JSON, accepting single quotes for readability: {@code json("{'a':1}")}. */
  public static JsonNode json(String json) {
    try {
      return JsonRpcCodec.get().mapper().readTree(json.replace('\'', '"'));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sets the upstream the messages go to or come from (default none). */
  public PluginTester upstream(@Nullable String name) {
    this.upstream = name;
    return this;
  }

  /** Adds a context attribute, such as {@link PluginContext#CLIENT_NAME}. */
  public PluginTester attribute(String key, Object value) {
    attributes.put(key, value);
    return this;
  }

  /** Runs a {@code tools/call} of {@code tool} with these arguments (JSON, single quotes allowed). */
  public Outcome callTool(String tool, String argumentsJson) {
    JsonNode params = JsonRpcCodec.get().mapper().createObjectNode().put("name", tool)
        .set("arguments", json(argumentsJson));
    return request(new JsonRpcRequest(RequestId.of(ids.incrementAndGet()), "tools/call", params));
  }

  /** Runs a request with a new numeric id. */
  public Outcome request(String method, @Nullable JsonNode params) {
    return request(new JsonRpcRequest(RequestId.of(ids.incrementAndGet()), method, params));
  }

  /** Runs a client request through middleware, then security. */
  public Outcome request(JsonRpcRequest request) {
    PluginContext context = context(Direction.CLIENT_TO_UPSTREAM, request.id(), request.method());
    return run(true, request, context, Direction.CLIENT_TO_UPSTREAM, (plugin, message) ->
        plugin instanceof SecurityPlugin s ? s.checkRequest((JsonRpcRequest) message, context)
            : ((MiddlewarePlugin) plugin).processRequest((JsonRpcRequest) message, context));
  }

  /** Runs an upstream response to {@code request} through security, then middleware. */
  public Outcome response(JsonRpcRequest request, JsonRpcResponse response) {
    PluginContext context = context(Direction.CLIENT_TO_UPSTREAM, request.id(), request.method());
    return run(false, response.withId(request.id()), context, Direction.UPSTREAM_TO_CLIENT, (plugin, message) ->
        plugin instanceof SecurityPlugin s ? s.checkResponse(request, (JsonRpcResponse) message, context)
            : ((MiddlewarePlugin) plugin).processResponse(request, (JsonRpcResponse) message, context));
  }

  /**
   * Runs a server-to-client request (such as {@code sampling/createMessage}) from the upstream
   * through security, then middleware, as the gateway does before the client sees it.
   */
  public Outcome serverRequest(JsonRpcRequest request) {
    PluginContext context = context(Direction.UPSTREAM_TO_CLIENT, request.id(), request.method());
    return run(false, request, context, Direction.UPSTREAM_TO_CLIENT, (plugin, message) ->
        plugin instanceof SecurityPlugin s ? s.checkRequest((JsonRpcRequest) message, context)
            : ((MiddlewarePlugin) plugin).processRequest((JsonRpcRequest) message, context));
  }

  /**
   * Runs the client's answer to the server-to-client {@code request} through middleware, then
   * security, as the gateway does before the upstream sees it.
   */
  public Outcome clientAnswer(JsonRpcRequest request, JsonRpcResponse response) {
    PluginContext context = context(Direction.UPSTREAM_TO_CLIENT, request.id(), request.method());
    return run(true, response.withId(request.id()), context, Direction.CLIENT_TO_UPSTREAM, (plugin, message) ->
        plugin instanceof SecurityPlugin s ? s.checkResponse(request, (JsonRpcResponse) message, context)
            : ((MiddlewarePlugin) plugin).processResponse(request, (JsonRpcResponse) message, context));
  }

  /** Runs a successful response with this result to {@code request}. */
  public Outcome response(JsonRpcRequest request, String resultJson) {
    return response(request, JsonRpcResponse.success(request.id(), json(resultJson)));
  }

  /** Runs a notification, from the client or from the upstream. */
  public Outcome notification(JsonRpcNotification notification, boolean fromUpstream) {
    PluginContext context = context(
        fromUpstream ? Direction.UPSTREAM_TO_CLIENT : Direction.CLIENT_TO_UPSTREAM, null, notification.method());
    return run(!fromUpstream, notification, context,
        fromUpstream ? Direction.UPSTREAM_TO_CLIENT : Direction.CLIENT_TO_UPSTREAM,
        (plugin, message) -> plugin instanceof SecurityPlugin s
            ? s.checkNotification((JsonRpcNotification) message, context)
            : ((MiddlewarePlugin) plugin).processNotification((JsonRpcNotification) message, context));
  }

  private PluginContext context(Direction direction, @Nullable RequestId id, String method) {
    return new PluginContext(direction, upstream, id, method, attributes);
  }

  private interface Call {
    PluginResult invoke(Plugin plugin, JsonRpcMessage message);
  }

  private Outcome run(boolean towardsUpstream, JsonRpcMessage original, PluginContext context,
      Direction direction, Call call) {
    List<Plugin> middleware = sorted(MiddlewarePlugin.class);
    List<Plugin> security = sorted(SecurityPlugin.class);
    List<Plugin> order = new ArrayList<>(towardsUpstream ? middleware : security);
    order.addAll(towardsUpstream ? security : middleware);
    Outcome outcome = loop(order, original, call);
    for (Plugin plugin : plugins) {
      if (plugin instanceof AuditingPlugin auditor) {
        auditor.audit(new AuditEvent(Instant.now(), direction, context.upstream(), context.method(),
            context.requestId(), outcome.outcome(), outcome.outcome() == AuditEvent.Outcome.BLOCKED ? null : outcome.message(),
            outcome.reason(), original instanceof JsonRpcResponse ? Duration.ZERO : null, outcome.metadata()));
      }
    }
    return outcome;
  }

  private static Outcome loop(List<Plugin> order, JsonRpcMessage original, Call call) {
    JsonRpcMessage current = original;
    String reason = null;
    Map<String, Object> metadata = new HashMap<>();
    for (Plugin plugin : order) {
      boolean security = plugin instanceof SecurityPlugin;
      PluginResult result;
      try {
        result = call.invoke(plugin, current);
      } catch (RuntimeException e) {
        return security
            ? new Outcome(AuditEvent.Outcome.BLOCKED, null, "security check " + name(plugin) + " failed: " + e, metadata, e)
            : new Outcome(AuditEvent.Outcome.FAILED, null, "plugin " + name(plugin) + " failed: " + e, metadata, e);
      }
      metadata.putAll(result.metadata());
      switch (result.decision()) {
        case ALLOW -> {}
        case MODIFY -> {
          JsonRpcMessage rewritten = Objects.requireNonNull(result.message());
          if (rewritten.getClass() != original.getClass()) {
            return misbehaved(plugin, "rewrote a " + original.getClass().getSimpleName() + " into a "
                + rewritten.getClass().getSimpleName(), metadata);
          }
          current = rewritten;
          reason = result.reason();
        }
        case BLOCK -> {
          return new Outcome(AuditEvent.Outcome.BLOCKED, null, result.reason(), metadata, null);
        }
        case COMPLETE -> {
          if (security || !(original instanceof JsonRpcRequest request)) {
            return misbehaved(plugin, "completed a " + original.getClass().getSimpleName(), metadata);
          }
          return new Outcome(AuditEvent.Outcome.COMPLETED,
              ((JsonRpcResponse) Objects.requireNonNull(result.message())).withId(request.id()), result.reason(), metadata, null);
        }
      }
    }
    return new Outcome(current == original ? AuditEvent.Outcome.ALLOWED : AuditEvent.Outcome.MODIFIED,
        current, reason, metadata, null);
  }

  private static Outcome misbehaved(Plugin plugin, String what, Map<String, Object> metadata) {
    AuditEvent.Outcome outcome = plugin instanceof SecurityPlugin ? AuditEvent.Outcome.BLOCKED : AuditEvent.Outcome.FAILED;
    return new Outcome(outcome, null, "plugin " + name(plugin) + " " + what, metadata, null);
  }

  private List<Plugin> sorted(Class<? extends Plugin> kind) {
    List<Plugin> list = new ArrayList<>();
    for (Plugin plugin : plugins) {
      if (kind.isInstance(plugin)) {
        list.add(plugin);
      }
    }
    list.sort(Comparator.comparingInt(Plugin::priority)); // stable: ties keep the order given
    return list;
  }

  private static String name(Plugin plugin) {
    return plugin.getClass().getName();
  }

  /**
   * What the plugins decided about one message.
   *
   * @param outcome allowed, modified, blocked, completed or failed
   * @param message the message that goes on, or the completing response; {@code null} when blocked or failed
   * @param reason the deciding plugin's reason, or {@code null}
   * @param metadata what the plugins added for auditing
   * @param failure what a plugin threw, if one did
   */
  public record Outcome(
      AuditEvent.Outcome outcome,
      @Nullable JsonRpcMessage message,
      @Nullable String reason,
      Map<String, Object> metadata,
      @Nullable RuntimeException failure) {

    /** Copies the metadata. */
    public Outcome {
      metadata = Map.copyOf(metadata);
    }

    /** Checks the message passed unchanged. */
    public Outcome assertAllowed() {
      return expect(AuditEvent.Outcome.ALLOWED);
    }

    /** Checks the message was rewritten; returns this for {@link #message()}. */
    public Outcome assertModified() {
      return expect(AuditEvent.Outcome.MODIFIED);
    }

    /** Checks the message was blocked with a reason containing every one of {@code reasonParts}. */
    public Outcome assertBlocked(String... reasonParts) {
      expect(AuditEvent.Outcome.BLOCKED);
      for (String part : reasonParts) {
        if (reason == null || !reason.contains(part)) {
          throw new AssertionError("expected the block reason to contain '" + part + "', was: " + reason);
        }
      }
      return this;
    }

    /** Checks a middleware plugin answered the request; returns this for {@link #response()}. */
    public Outcome assertCompleted() {
      return expect(AuditEvent.Outcome.COMPLETED);
    }

    /** Checks a plugin failed the message. */
    public Outcome assertFailed() {
      return expect(AuditEvent.Outcome.FAILED);
    }

    /** Returns the message that goes on as a request (fails if it is not one). */
    public JsonRpcRequest request() {
      return as(JsonRpcRequest.class);
    }

    /** Returns the response that goes on or completed the request (fails if it is not one). */
    public JsonRpcResponse response() {
      return as(JsonRpcResponse.class);
    }

    /** Returns the notification that goes on (fails if it is not one). */
    public JsonRpcNotification notification() {
      return as(JsonRpcNotification.class);
    }

    private <T> T as(Class<T> type) {
      if (!type.isInstance(message)) {
        throw new AssertionError("expected a " + type.getSimpleName() + ", got " + this);
      }
      return type.cast(message);
    }

    private Outcome expect(AuditEvent.Outcome expected) {
      if (outcome != expected) {
        throw new AssertionError("expected " + expected + " but was " + this,
            failure);
      }
      return this;
    }
  }
}
