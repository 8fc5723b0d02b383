package dev.gatekit.proxy.internal.telemetry;

import dev.gatekit.api.plugin.PluginResult;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import org.jspecify.annotations.Nullable;

/**
 * What one plugin stage records: a count of its decisions by plugin and decision (the attribute sets
 * made once, when the stage is made) and, for a client request, a span when it took longer than the
 * threshold. Thread-safe.
 */
public final class PluginTelemetry {

  /** The decision recorded when the plugin threw. */
  public static final String ERROR = "error";

  private final Telemetry telemetry;
  private final String name;
  private final String kind;
  private final Attributes[] byDecision;
  private final Attributes onError;

  PluginTelemetry(Telemetry telemetry, String name, String kind) {
    this.telemetry = telemetry;
    this.name = name;
    this.kind = kind;
    PluginResult.Decision[] decisions = PluginResult.Decision.values();
    this.byDecision = new Attributes[decisions.length];
    for (PluginResult.Decision decision : decisions) {
      byDecision[decision.ordinal()] = attributes(decisionName(decision));
    }
    this.onError = attributes(ERROR);
  }

  /**
   * Records a decision ({@code null} when the plugin threw) taken between {@code fromNanos} and now,
   * for a message whose request telemetry is {@code request} ({@code null} when it has none).
   */
  public void decided(@Nullable RequestTelemetry request, PluginResult.@Nullable Decision decision, long fromNanos) {
    if (telemetry.metrics) {
      telemetry.pluginDecisions.add(1, decision == null ? onError : byDecision[decision.ordinal()], Context.root());
    }
    if (request != null) {
      request.pluginRan(name, kind, decision == null ? ERROR : decisionName(decision), fromNanos, System.nanoTime());
    }
  }

  private Attributes attributes(String decision) {
    return Attributes.of(Telemetry.PLUGIN, name, Telemetry.PLUGIN_KIND, kind, Telemetry.DECISION, decision);
  }

  private static String decisionName(PluginResult.Decision decision) {
    return decision.name().toLowerCase(java.util.Locale.ROOT);
  }
}
