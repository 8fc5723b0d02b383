package dev.gatekit.proxy.internal;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.proxy.internal.chain.Passage;
import dev.gatekit.proxy.internal.telemetry.RequestTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * One client request in flight: the request, when it arrived, the calls to upstreams it waits on,
 * and whether the client cancelled it (then those calls are cancelled, and each transport tells its
 * upstream). Thread-safe.
 */
final class ClientCall implements Passage.CallTracker {

  final JsonRpcRequest request;
  final long startNanos = System.nanoTime();
  /** Its span and metrics, set once when the call begins; {@code null} when nothing is recorded. */
  volatile @Nullable RequestTelemetry telemetry;
  private final List<CompletableFuture<?>> upstreamCalls = new ArrayList<>(1);
  private boolean cancelled;

  ClientCall(JsonRpcRequest request) {
    this.request = request;
  }

  @Override
  public synchronized void track(CompletableFuture<?> farSideCall) {
    if (cancelled) {
      farSideCall.cancel(true);
    } else {
      upstreamCalls.add(farSideCall);
    }
  }

  synchronized void cancel() {
    cancelled = true;
    upstreamCalls.forEach(f -> f.cancel(true));
  }

  synchronized boolean cancelled() {
    return cancelled;
  }
}
