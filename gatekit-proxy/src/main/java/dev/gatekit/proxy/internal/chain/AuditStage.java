package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginContext;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first stage of every chain: records every outcome of the message, in one place, for the
 * auditing plugins. A message that leaves for the far side is recorded as it leaves (so a critical
 * auditor that cannot record it stops it before it goes); one that stops on the way out (blocked,
 * answered by middleware, failed) is recorded where it stopped; the answer to a request that went is
 * recorded as it comes back, with how long it took — blocked, failed and timed-out answers included.
 *
 * <p>Nothing a security plugin stops reaches an auditor: a blocked message is not in its event, and
 * every other text of the event (method, request id, reason, metadata) passes the {@link
 * SensitiveText} check first. An auditor that throws is logged; a {@linkplain AuditingPlugin#critical()
 * critical} one blocks the message with {@link ErrorCodes#AUDITING_FAILURE}. Thread-safe.
 */
public final class AuditStage implements Stage {

  private static final Logger log = LoggerFactory.getLogger(AuditStage.class);
  private static final String REFUSED = "Blocked: the audit log could not record this message";

  private final List<AuditingPlugin> auditors;
  private final SensitiveText sensitive;

  public AuditStage(List<AuditingPlugin> auditors, SensitiveText sensitive) {
    this.auditors = List.copyOf(auditors);
    this.sensitive = sensitive;
  }

  /** The outcome of a message a critical auditor could not record. */
  public static Outcome refused() {
    return Outcome.blocked(ErrorCodes.AUDITING_FAILURE, REFUSED, Map.of());
  }

  @Override
  public CompletableFuture<Outcome> intercept(Chain chain) {
    Passage passage = chain.passage();
    JsonRpcMessage original = chain.message();
    Departure departure = new Departure(original);
    passage.setDepartureListener(departure);
    // A stage further in may fail its future (a hand-off to a closed executor): record that too.
    return chain.proceed(original).exceptionally(Failures::outcomeOf).thenApply(outcome -> {
      if (departure.refused) {
        return outcome; // recorded as it tried to leave
      }
      PluginContext context = passage.context();
      boolean recorded;
      if (passage.departed() == null) {
        recorded = record(context.direction(), context, outcome, null);
      } else if (original instanceof JsonRpcRequest) {
        Duration took = Duration.ofNanos(System.nanoTime() - passage.startNanos());
        recorded = record(context.direction().reverse(), context, outcome, took);
      } else {
        return outcome; // a notification, recorded as it left
      }
      return recorded ? outcome : refused();
    });
  }

  /** Records the message as it leaves for the far side. */
  private final class Departure implements Passage.DepartureListener {
    private final JsonRpcMessage original;
    private volatile boolean refused;

    Departure(JsonRpcMessage original) {
      this.original = original;
    }

    @Override
    public boolean departing(Passage passage, JsonRpcMessage message) {
      AuditEvent.Outcome verdict = message == original ? AuditEvent.Outcome.ALLOWED : AuditEvent.Outcome.MODIFIED;
      Outcome leaving = new Outcome(verdict, message, passage.reasonOnTheWayOut(), 0,
          passage.metadataOnTheWayOut(), false);
      boolean recorded = record(passage.context().direction(), passage.context(), leaving, null);
      refused = !recorded;
      return recorded;
    }
  }

  /** Tells every auditor; returns false when a critical one failed. */
  private boolean record(Direction direction, PluginContext context, Outcome outcome, @Nullable Duration took) {
    // A blocked message is never handed to auditors: what a filter stopped must not reach a log.
    JsonRpcMessage seen = outcome.verdict() == AuditEvent.Outcome.BLOCKED ? null : outcome.message();
    AuditEvent event = new AuditEvent(Instant.now(), direction, context.upstream(),
        sensitive.scrub(context.method()), sensitive.scrub(context.requestId()), outcome.verdict(), seen,
        sensitive.scrubNullable(outcome.reason()), took, sensitive.scrub(outcome.metadata()),
        (String) context.attributes().get(PluginContext.SESSION_ID));
    boolean recorded = true;
    for (AuditingPlugin auditor : auditors) {
      try {
        auditor.audit(event);
      } catch (RuntimeException e) {
        if (auditor.critical()) {
          log.error("Critical auditing plugin {} failed; blocking the message", auditor.getClass().getName(), e);
          recorded = false;
        } else {
          log.warn("Auditing plugin {} failed; the message goes on", auditor.getClass().getName(), e);
        }
      }
    }
    return recorded;
  }

  @Override
  public String toString() {
    return "auditing";
  }
}
