package dev.gatekit.proxy.internal.telemetry;

import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The upstreams' transport counters as metrics, read from {@link Transport#stats()} when metrics are
 * collected, summed by upstream name over every connection {@linkplain #add added} under it (one
 * shared connection, or one per client session). A connection found closed is retired: its last
 * counts stay in the sums, so a counter never goes back when a session ends. Thread-safe.
 */
public final class UpstreamObservation implements AutoCloseable {

  /** Observes nothing: metrics are off. */
  static final UpstreamObservation OFF = new UpstreamObservation();

  private final Map<Transport, String> live = new ConcurrentHashMap<>();
  /** The counters of retired connections, by upstream name; guarded by itself. */
  private final Map<String, long[]> retired = new TreeMap<>();
  private final @Nullable BatchCallback callback;

  private UpstreamObservation() {
    this.callback = null;
  }

  UpstreamObservation(Meter meter) {
    ObservableLongMeasurement inFlight = meter.upDownCounterBuilder("gatekit.upstream.requests.in_flight")
        .setUnit("{request}").setDescription("Requests sent to an upstream and not yet answered").buildObserver();
    ObservableLongMeasurement queued = meter.upDownCounterBuilder("gatekit.upstream.requests.queued")
        .setUnit("{request}").setDescription("Requests waiting for a slot to an upstream").buildObserver();
    ObservableLongMeasurement[] counters = {
        counter(meter, "gatekit.upstream.restarts", "{restart}", "Times an upstream was restarted after it died"),
        counter(meter, "gatekit.upstream.deaths", "{death}", "Times an upstream died (exited or closed its connection)"),
        counter(meter, "gatekit.upstream.messages.dropped", "{message}",
            "Messages from an upstream dropped unread: invalid or oversize lines, unmatched responses"),
        counter(meter, "gatekit.upstream.requests.timed_out", "{request}", "Requests to an upstream that ran out of time"),
        counter(meter, "gatekit.upstream.requests.rejected", "{request}",
            "Requests refused because too many were in flight to the upstream"),
        counter(meter, "gatekit.upstream.requests.failed", "{request}",
            "Requests that failed without an answer (upstream died, closed)")};
    ObservableLongMeasurement[] all = new ObservableLongMeasurement[counters.length + 1];
    all[0] = queued;
    System.arraycopy(counters, 0, all, 1, counters.length);
    this.callback = meter.batchCallback(() -> report(inFlight, queued, counters), inFlight, all);
  }

  /** Observes {@code transport} as a connection of the upstream {@code name} until it is closed. */
  public void add(String name, Transport transport) {
    if (callback != null) {
      live.put(transport, name);
    }
  }

  private void report(ObservableLongMeasurement inFlight, ObservableLongMeasurement queued,
      ObservableLongMeasurement[] counters) {
    Map<String, long[]> sums = new TreeMap<>();
    synchronized (retired) {
      live.forEach((transport, name) -> {
        if (transport.state() == TransportState.CLOSED && live.remove(transport) != null) {
          accumulate(retired.computeIfAbsent(name, n -> new long[counters.length]), transport.stats());
        }
      });
      retired.forEach((name, counts) -> sums.put(name, java.util.Arrays.copyOf(counts, counters.length + 2)));
    }
    live.forEach((transport, name) -> {
      long[] sum = sums.computeIfAbsent(name, n -> new long[counters.length + 2]);
      TransportStats stats = transport.stats();
      accumulate(sum, stats);
      sum[counters.length] += stats.inFlight();
      sum[counters.length + 1] += stats.queued();
    });
    sums.forEach((name, sum) -> {
      Attributes attributes = Attributes.of(Telemetry.UPSTREAM, name);
      for (int i = 0; i < counters.length; i++) {
        counters[i].record(sum[i], attributes);
      }
      inFlight.record(sum[counters.length], attributes);
      queued.record(sum[counters.length + 1], attributes);
    });
  }

  /** Adds the monotonic counters of {@code stats} to {@code sum}, in the order of the instruments. */
  private static void accumulate(long[] sum, TransportStats stats) {
    sum[0] += stats.restarts();
    sum[1] += stats.deaths();
    sum[2] += stats.dropped();
    sum[3] += stats.timedOut();
    sum[4] += stats.rejected();
    sum[5] += stats.failed();
  }

  private static ObservableLongMeasurement counter(Meter meter, String name, String unit, String description) {
    return meter.counterBuilder(name).setUnit(unit).setDescription(description).buildObserver();
  }

  /** Stops reporting. */
  @Override
  public void close() {
    if (callback != null) {
      callback.close();
    }
    live.clear();
  }
}
