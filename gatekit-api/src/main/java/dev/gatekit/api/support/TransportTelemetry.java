package dev.gatekit.api.support;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestTimeoutException;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.context.Context;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * What the transport records itself through OpenTelemetry: the round trip of each request, from the
 * transport's send to its answer or failure (a wait for a slot included), in the histogram {@code
 * gatekit.transport.round_trip.duration} (seconds) by {@code gatekit.upstream} (the transport's name),
 * {@code gatekit.transport} (the kind: {@code stdio}, {@code http}) and {@code gatekit.outcome} ({@code ok}, {@code error},
 * {@code timed_out}, {@code rejected}, {@code failed}). The counters of {@code TransportStats}
 * (restarts, deaths, dropped messages, timeouts, in flight) are not recorded here: a proxy reports
 * them, summed over every connection to an upstream, and they would be counted twice. With the API's
 * no-op meter provider nothing is recorded and a request pays one null check. The attribute sets are
 * made once. For transport authors: {@code StdioTransport} and {@code HttpTransport} use it, and a
 * transport of another kind records the same histogram under its own kind. Thread-safe.
 */
public final class TransportTelemetry {

  private static final AttributeKey<String> UPSTREAM = AttributeKey.stringKey("gatekit.upstream");
  private static final AttributeKey<String> TRANSPORT = AttributeKey.stringKey("gatekit.transport");
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("gatekit.outcome");
  private static final List<Double> BUCKETS =
      List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0);

  private final @Nullable DoubleHistogram roundTrips;
  private final Attributes ok;
  private final Attributes error;
  private final Attributes timedOut;
  private final Attributes rejected;
  private final Attributes failed;

  private TransportTelemetry(OpenTelemetry openTelemetry, String kind, String name) {
    MeterProvider meters = openTelemetry.getMeterProvider();
    this.roundTrips = meters == MeterProvider.noop() ? null : meters.get("dev.gatekit.transport." + kind)
        .histogramBuilder("gatekit.transport.round_trip.duration")
        .setUnit("s")
        .setDescription("How long the transport took from sending a request to its answer or failure")
        .setExplicitBucketBoundariesAdvice(BUCKETS)
        .build();
    this.ok = attributes(kind, name, "ok");
    this.error = attributes(kind, name, "error");
    this.timedOut = attributes(kind, name, "timed_out");
    this.rejected = attributes(kind, name, "rejected");
    this.failed = attributes(kind, name, "failed");
  }

  /**
   * Returns what records the round trips of the transport {@code name} of the kind {@code kind}
   * ({@code stdio}, {@code http}: the {@code gatekit.transport} attribute and the meter's scope
   * {@code dev.gatekit.transport.KIND}) to {@code openTelemetry}.
   */
  public static TransportTelemetry of(OpenTelemetry openTelemetry, String kind, String name) {
    return new TransportTelemetry(openTelemetry, kind, name);
  }

  /** Records the round trip of {@code answer}, a request sent now, when it completes; returns it. */
  public CompletableFuture<JsonRpcResponse> time(CompletableFuture<JsonRpcResponse> answer) {
    DoubleHistogram histogram = roundTrips;
    if (histogram != null) {
      long startNanos = System.nanoTime();
      answer.whenComplete((response, failure) ->
          histogram.record((System.nanoTime() - startNanos) / 1e9, outcome(response, failure), Context.root()));
    }
    return answer;
  }

  private Attributes outcome(@Nullable JsonRpcResponse response, @Nullable Throwable failure) {
    if (response != null) {
      return response.isError() ? error : ok;
    }
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (cause instanceof RequestTimeoutException) {
      return timedOut;
    }
    return cause instanceof GatekitException gatekit && gatekit.errorCode() == ErrorCodes.OVERLOADED ? rejected : failed;
  }

  private static Attributes attributes(String kind, String name, String outcome) {
    return Attributes.of(UPSTREAM, name, TRANSPORT, kind, OUTCOME, outcome);
  }
}
