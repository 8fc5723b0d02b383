package dev.gatekit.proxy.internal;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugin pipeline: an ordered list of {@link PluginStage}s and one loop that runs a message
 * through them. What travels to an upstream (requests, client notifications) meets middleware then
 * security; what travels back (responses, upstream notifications) meets security then middleware;
 * within a kind, lower priority first. Auditing plugins see every outcome afterwards.
 *
 * <p>The loop is where the SPI's promises are kept: a security plugin that throws blocks the message
 * (fail closed, generic reason to the client, details to the log); a middleware plugin that throws
 * fails the request with an internal error; a plugin that returns a decision its kind may not make,
 * or a rewritten message of the wrong type, fails the message the same way. Immutable and
 * thread-safe; plugins run on the caller's thread.
 */
public final class Pipeline {

  private static final Logger log = LoggerFactory.getLogger(Pipeline.class);

  /** A pipeline with no plugins. */
  public static final Pipeline EMPTY = new Pipeline(List.of(), List.of());

  private final List<PluginStage> requestStages;
  private final List<PluginStage> responseStages;
  private final List<AuditingPlugin> auditors;

  /** Orders the stages; auditors run in the order given. */
  public Pipeline(List<PluginStage> stages, List<AuditingPlugin> auditors) {
    List<PluginStage> middleware = sorted(stages, PluginKind.MIDDLEWARE);
    List<PluginStage> security = sorted(stages, PluginKind.SECURITY);
    this.requestStages = concat(middleware, security);
    this.responseStages = concat(security, middleware);
    this.auditors = List.copyOf(auditors);
  }

  /** What the pipeline decided about one message. */
  public record Outcome(
      AuditEvent.Outcome outcome,
      @Nullable JsonRpcMessage message,
      @Nullable String reason,
      int errorCode,
      Map<String, Object> metadata) {

    /** Returns whether the message goes on (allowed or modified). */
    public boolean passes() {
      return outcome == AuditEvent.Outcome.ALLOWED || outcome == AuditEvent.Outcome.MODIFIED;
    }
  }

  /** Runs a client request through middleware, then security. */
  public Outcome request(JsonRpcRequest request, PluginContext context) {
    return run(requestStages, request, context, (stage, message) -> stage.onRequest((JsonRpcRequest) message, context));
  }

  /** Runs an upstream response through security, then middleware; {@code request} is what went upstream. */
  public Outcome response(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
    return run(
        responseStages,
        response,
        context,
        (stage, message) -> stage.onResponse(request, (JsonRpcResponse) message, context));
  }

  /**
   * Runs a notification through the plugins in the order of its direction: from the client like a
   * request (middleware, then security), from an upstream like a response (security, then middleware).
   */
  public Outcome notification(
      JsonRpcNotification notification, PluginContext context, boolean fromUpstream) {
    return run(
        fromUpstream ? responseStages : requestStages,
        notification,
        context,
        (stage, message) -> stage.onNotification((JsonRpcNotification) message, context));
  }

  /**
   * Tells every auditing plugin. Returns the failure of a critical auditor, if one failed (the
   * caller then blocks the message); failures of other auditors are logged and ignored.
   */
  public @Nullable RuntimeException audit(AuditEvent event) {
    RuntimeException criticalFailure = null;
    for (AuditingPlugin auditor : auditors) {
      try {
        auditor.audit(event);
      } catch (RuntimeException e) {
        if (auditor.critical()) {
          log.error("Critical auditing plugin {} failed; blocking the message", auditor.getClass().getName(), e);
          criticalFailure = e;
        } else {
          log.warn("Auditing plugin {} failed; the message goes on", auditor.getClass().getName(), e);
        }
      }
    }
    return criticalFailure;
  }

  /** Returns whether the pipeline has no plugin at all, so that nothing runs on a message. */
  public boolean isEmpty() {
    return requestStages.isEmpty() && auditors.isEmpty();
  }

  /** Returns whether any auditing plugin is configured. */
  public boolean audits() {
    return !auditors.isEmpty();
  }

  /** Returns whether any security or middleware plugin applies to {@code upstream}. */
  public boolean hasStagesFor(@Nullable String upstream) {
    for (PluginStage stage : requestStages) {
      if (stage.appliesTo(upstream)) {
        return true;
      }
    }
    return false;
  }

  private interface Invocation {
    PluginResult invoke(PluginStage stage, JsonRpcMessage message);
  }

  private static Outcome run(
      List<PluginStage> stages, JsonRpcMessage original, PluginContext context, Invocation invocation) {
    JsonRpcMessage current = original;
    String reason = null;
    Map<String, Object> metadata = null;
    for (PluginStage stage : stages) {
      if (!stage.appliesTo(context.upstream())) {
        continue;
      }
      PluginResult result;
      try {
        result = invocation.invoke(stage, current);
      } catch (RuntimeException e) {
        return failure(stage, e, context);
      }
      if (!result.metadata().isEmpty()) {
        if (metadata == null) {
          metadata = new HashMap<>();
        }
        metadata.putAll(result.metadata());
      }
      switch (result.decision()) {
        case ALLOW -> {}
        case MODIFY -> {
          JsonRpcMessage rewritten = sameKind(original, result.message());
          if (rewritten == null) {
            return misbehaved(stage, "rewrote a " + kindOf(original) + " into a " + kindOf(result.message()));
          }
          current = rewritten;
          reason = result.reason();
        }
        case BLOCK -> {
          return new Outcome(AuditEvent.Outcome.BLOCKED, null, stage.name() + ": " + result.reason(),
              ErrorCodes.SECURITY_VIOLATION, metadataOf(metadata));
        }
        case COMPLETE -> {
          if (stage.kind() != PluginKind.MIDDLEWARE || !(original instanceof JsonRpcRequest request)) {
            return misbehaved(stage, "completed a " + kindOf(original) + ", which only middleware may do to requests");
          }
          JsonRpcResponse answer = ((JsonRpcResponse) result.message()).withId(request.id());
          return new Outcome(AuditEvent.Outcome.COMPLETED, answer, result.reason(), 0, metadataOf(metadata));
        }
      }
    }
    AuditEvent.Outcome outcome = current == original ? AuditEvent.Outcome.ALLOWED : AuditEvent.Outcome.MODIFIED;
    return new Outcome(outcome, current, reason, 0, metadataOf(metadata));
  }

  /** A plugin threw: security fails closed, middleware fails the message. */
  private static Outcome failure(PluginStage stage, RuntimeException e, PluginContext context) {
    if (stage.kind() == PluginKind.SECURITY) {
      log.error("Security plugin {} failed on {}; blocking the message (fail closed)", stage.name(), context.method(), e);
      return new Outcome(AuditEvent.Outcome.BLOCKED, null,
          "Blocked: security check " + stage.name() + " failed", ErrorCodes.SECURITY_VIOLATION, Map.of());
    }
    log.error("Middleware plugin {} failed on {}", stage.name(), context.method(), e);
    return new Outcome(AuditEvent.Outcome.FAILED, null,
        "Internal error in plugin " + stage.name(), ErrorCodes.INTERNAL_ERROR, Map.of());
  }

  private static Outcome misbehaved(PluginStage stage, String what) {
    log.error("Plugin {} {}; failing the message", stage.name(), what);
    int code = stage.kind() == PluginKind.SECURITY ? ErrorCodes.SECURITY_VIOLATION : ErrorCodes.INTERNAL_ERROR;
    AuditEvent.Outcome outcome = stage.kind() == PluginKind.SECURITY ? AuditEvent.Outcome.BLOCKED : AuditEvent.Outcome.FAILED;
    return new Outcome(outcome, null, "Internal error in plugin " + stage.name(), code, Map.of());
  }

  /** Returns the rewritten message if it is of the original's kind (a request keeps its id), else null. */
  private static @Nullable JsonRpcMessage sameKind(JsonRpcMessage original, @Nullable JsonRpcMessage rewritten) {
    if (original instanceof JsonRpcRequest request && rewritten instanceof JsonRpcRequest r) {
      return r.withId(request.id());
    }
    if (original instanceof JsonRpcResponse response && rewritten instanceof JsonRpcResponse r) {
      return r.withId(response.id());
    }
    if (original instanceof JsonRpcNotification && rewritten instanceof JsonRpcNotification) {
      return rewritten;
    }
    return null;
  }

  private static String kindOf(@Nullable JsonRpcMessage message) {
    return message == null ? "nothing" : message.getClass().getSimpleName();
  }

  private static Map<String, Object> metadataOf(@Nullable Map<String, Object> metadata) {
    return metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  private static List<PluginStage> sorted(List<PluginStage> stages, PluginKind kind) {
    return stages.stream().filter(s -> s.kind() == kind).sorted(PluginStage.ORDER).toList();
  }

  private static List<PluginStage> concat(List<PluginStage> first, List<PluginStage> second) {
    List<PluginStage> all = new ArrayList<>(first);
    all.addAll(second);
    return List.copyOf(all);
  }
}
