package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.proxy.internal.telemetry.PluginTelemetry;
import dev.gatekit.proxy.internal.telemetry.Telemetry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A security or middleware plugin as one stage of the chain. The plugin is adapted once, when the
 * stage is made, into the two calls a stage needs — one for the message on its way out, one for the
 * answer on its way back — so nothing downstream asks which kind it is.
 *
 * <p>Security sees every message in its last form before it leaves the gateway. Its ordinary stage
 * checks messages where the chain puts it; where middleware comes after it (towards the client on the
 * way out, towards an upstream on the way back), a {@linkplain #recheck recheck} of the same plugin
 * beyond the middleware checks again only what the middleware rewrote or made itself (an answer it
 * completed a request with), found by instance: a message security passed and nobody changed is
 * never checked twice. A security stage also checks answers middleware completed further in.
 *
 * <p>The SPI's promises are kept here: a security plugin that throws blocks the message (fail
 * closed, a generic reason for the client, details in the log); a middleware plugin that throws fails
 * it with an internal error; a decision the plugin's kind may not make, or a rewrite into another
 * kind of message, fails the message the same way. Immutable and thread-safe; the plugin runs on the
 * thread that runs the chain.
 */
public final class PluginStage implements Stage {

  private static final Logger log = LoggerFactory.getLogger(PluginStage.class);

  /** Which messages a stage looks at. */
  private enum Role {
    /** Every message on its way out, and every answer on its way back. */
    ORDINARY,
    /** On the way out, only a message the security stages did not pass as it is; never the answer. */
    RECHECK_OUT,
    /** On the way back, only an answer the security stages did not let go as it is; never the message. */
    RECHECK_BACK
  }

  /** The plugin's two calls: on the way out, on the way back (for responses to requests). */
  private interface Calls {
    PluginResult out(JsonRpcMessage message, PluginContext context);

    PluginResult back(JsonRpcRequest request, JsonRpcResponse response, PluginContext context);
  }

  private final String name;
  private final PluginKind kind;
  private final @Nullable String scope;
  private final int priority;
  private final Calls calls;
  private final @Nullable PluginTelemetry telemetry;
  private final Role role;

  private PluginStage(String name, PluginKind kind, @Nullable String scope, int priority, Calls calls,
      Telemetry telemetry) {
    this(name, kind, scope, priority, calls, telemetry.plugin(name, kind), Role.ORDINARY);
  }

  private PluginStage(String name, PluginKind kind, @Nullable String scope, int priority, Calls calls,
      @Nullable PluginTelemetry telemetry, Role role) {
    this.name = name;
    this.kind = kind;
    this.scope = scope;
    this.priority = priority;
    this.calls = calls;
    this.telemetry = telemetry;
    this.role = role;
  }

  /**
   * Returns this security stage as a recheck: placed beyond the middleware of a chain, it checks on
   * the way out ({@code onTheWayOut}) or on the way back only what the security stages did not pass
   * as it is — a message or an answer the middleware rewrote, or an answer it made itself.
   *
   * @throws IllegalStateException for a middleware stage
   */
  public PluginStage recheck(boolean onTheWayOut) {
    if (kind != PluginKind.SECURITY) {
      throw new IllegalStateException("only a security stage is rechecked: " + this);
    }
    return new PluginStage(name, kind, scope, priority, calls, telemetry,
        onTheWayOut ? Role.RECHECK_OUT : Role.RECHECK_BACK);
  }

  /**
   * Adapts {@code plugin}, a {@link SecurityPlugin} or a {@link MiddlewarePlugin}.
   *
   * @param name the name in logs and block reasons (the handler name, or the class name)
   * @param scope the upstream it applies to, or {@code null} for every upstream
   * @param priority 0 to 100, lower runs first on the way out
   * @throws IllegalArgumentException for an auditing plugin, which is not a stage
   */
  public static PluginStage of(Plugin plugin, String name, @Nullable String scope, int priority) {
    return of(plugin, name, scope, priority, Telemetry.OFF);
  }

  /**
   * Adapts {@code plugin} as {@link #of(Plugin, String, String, int)} does, recording its decisions
   * (and, when it is slow, the time it took) with {@code telemetry}.
   */
  public static PluginStage of(Plugin plugin, String name, @Nullable String scope, int priority,
      Telemetry telemetry) {
    if (plugin instanceof SecurityPlugin security) {
      return new PluginStage(name, PluginKind.SECURITY, scope, priority, new Calls() {
        @Override
        public PluginResult out(JsonRpcMessage message, PluginContext context) {
          return message instanceof JsonRpcRequest request
              ? security.checkRequest(request, context)
              : security.checkNotification((JsonRpcNotification) message, context);
        }

        @Override
        public PluginResult back(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
          return security.checkResponse(request, response, context);
        }
      }, telemetry);
    }
    if (plugin instanceof MiddlewarePlugin middleware) {
      return new PluginStage(name, PluginKind.MIDDLEWARE, scope, priority, new Calls() {
        @Override
        public PluginResult out(JsonRpcMessage message, PluginContext context) {
          return message instanceof JsonRpcRequest request
              ? middleware.processRequest(request, context)
              : middleware.processNotification((JsonRpcNotification) message, context);
        }

        @Override
        public PluginResult back(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
          return middleware.processResponse(request, response, context);
        }
      }, telemetry);
    }
    throw new IllegalArgumentException(name + " is neither a security nor a middleware plugin");
  }

  public String name() {
    return name;
  }

  public PluginKind kind() {
    return kind;
  }

  public int priority() {
    return priority;
  }

  /** Returns whether this stage runs for messages of {@code upstream}. */
  public boolean appliesTo(@Nullable String upstream) {
    return scope == null || scope.equals(upstream);
  }

  @Override
  public CompletableFuture<Outcome> intercept(Chain chain) {
    Passage passage = chain.passage();
    JsonRpcMessage message = chain.message();
    if (role == Role.RECHECK_BACK || role == Role.RECHECK_OUT && passage.wasCheckedOnTheWayOut(message)) {
      return chain.proceed(message).thenApply(outcome -> back(passage, message, outcome));
    }
    PluginContext context = passage.context();
    PluginResult result;
    long startNanos = telemetry == null ? 0 : System.nanoTime();
    try {
      result = calls.out(message, context);
    } catch (RuntimeException e) {
      observe(passage, null, startNanos);
      return done(threw(e, context));
    }
    observe(passage, result.decision(), startNanos);
    passage.addMetadataOnTheWayOut(result.metadata());
    JsonRpcMessage next = message;
    switch (result.decision()) {
      case ALLOW -> {}
      case MODIFY -> {
        next = sameKind(message, result.message());
        if (next == null) {
          return done(misbehaved("rewrote a " + kindOf(message) + " into a " + kindOf(result.message())));
        }
        passage.rewroteOnTheWayOut(result.reason());
      }
      case BLOCK -> {
        return done(Outcome.blocked(ErrorCodes.SECURITY_VIOLATION, name + ": " + result.reason(),
            passage.metadataOnTheWayOut()));
      }
      case COMPLETE -> {
        if (kind != PluginKind.MIDDLEWARE || !(message instanceof JsonRpcRequest request)) {
          return done(misbehaved("completed a " + kindOf(message) + ", which only middleware may do to requests"));
        }
        JsonRpcResponse answer = ((JsonRpcResponse) result.message()).withId(request.id());
        return done(Outcome.completed(answer, result.reason(), passage.metadataOnTheWayOut()));
      }
    }
    if (kind == PluginKind.SECURITY && role == Role.ORDINARY) {
      passage.checkedOnTheWayOut(next);
    }
    JsonRpcMessage passedOn = next;
    return chain.proceed(passedOn).thenApply(outcome -> back(passage, passedOn, outcome));
  }

  /**
   * Shows the answer to the plugin: the far side's (as the stages beyond may have rewritten it) and,
   * to security, one that middleware beyond completed the request with. Anything else, and what a
   * recheck finds already checked, passes untouched.
   *
   * @param passedOn the message as this stage passed it on: the request an answer a stage made
   *     answers, when none departed for the far side
   */
  private Outcome back(Passage passage, JsonRpcMessage passedOn, Outcome outcome) {
    boolean shown = outcome.fromFarSide()
        || kind == PluginKind.SECURITY && outcome.verdict() == AuditEvent.Outcome.COMPLETED;
    JsonRpcMessage asked = outcome.fromFarSide() ? passage.departed() : passedOn;
    if (!shown
        || role == Role.RECHECK_OUT
        || !(outcome.message() instanceof JsonRpcResponse response)
        || !(asked instanceof JsonRpcRequest request)
        || role == Role.RECHECK_BACK && passage.wasCheckedOnTheWayBack(response)) {
      return outcome;
    }
    Outcome checked = backChecked(passage, request, response, outcome);
    if (kind == PluginKind.SECURITY && role == Role.ORDINARY && checked.message() != null) {
      passage.checkedOnTheWayBack(checked.message());
    }
    return checked;
  }

  private Outcome backChecked(Passage passage, JsonRpcRequest request, JsonRpcResponse response, Outcome outcome) {
    PluginResult result;
    long startNanos = telemetry == null ? 0 : System.nanoTime();
    try {
      result = calls.back(request, response, passage.context());
    } catch (RuntimeException e) {
      observe(passage, null, startNanos);
      return threw(e, passage.context());
    }
    observe(passage, result.decision(), startNanos);
    return switch (result.decision()) {
      case ALLOW -> outcome.withMetadata(result.metadata());
      case MODIFY -> {
        JsonRpcMessage rewritten = sameKind(response, result.message());
        yield rewritten == null
            ? misbehaved("rewrote a response into a " + kindOf(result.message()))
            : outcome.modified(rewritten, result.reason(), result.metadata());
      }
      case BLOCK -> Outcome.blocked(ErrorCodes.SECURITY_VIOLATION, name + ": " + result.reason(),
          outcome.withMetadata(result.metadata()).metadata());
      case COMPLETE -> misbehaved("completed a response, which only middleware may do to requests");
    };
  }

  /** Records a decision ({@code null}: the plugin threw) when telemetry is on. */
  private void observe(Passage passage, PluginResult.@Nullable Decision decision, long startNanos) {
    if (telemetry != null) {
      telemetry.decided(passage.telemetry(), decision, startNanos);
    }
  }

  /** A plugin threw: security fails closed, middleware fails the message. */
  private Outcome threw(RuntimeException e, PluginContext context) {
    if (kind == PluginKind.SECURITY) {
      log.error("Security plugin {} failed on {}; blocking the message (fail closed)", name, context.method(), e);
      return Outcome.blocked(ErrorCodes.SECURITY_VIOLATION, "Blocked: security check " + name + " failed", Map.of());
    }
    log.error("Middleware plugin {} failed on {}", name, context.method(), e);
    return Outcome.failed(ErrorCodes.INTERNAL_ERROR, "Internal error in plugin " + name);
  }

  private Outcome misbehaved(String what) {
    log.error("Plugin {} {}; failing the message", name, what);
    String reason = "Internal error in plugin " + name;
    return kind == PluginKind.SECURITY
        ? Outcome.blocked(ErrorCodes.SECURITY_VIOLATION, reason, Map.of())
        : Outcome.failed(ErrorCodes.INTERNAL_ERROR, reason);
  }

  /** Returns the rewrite if it is of the original's kind (a request or response keeps its id), else null. */
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

  private static CompletableFuture<Outcome> done(Outcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }

  @Override
  public String toString() {
    return kind.configKey() + " plugin " + name;
  }
}
