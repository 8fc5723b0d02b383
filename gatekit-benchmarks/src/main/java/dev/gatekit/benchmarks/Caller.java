package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.Transport;
import java.util.concurrent.CompletableFuture;

/**
 * The path a benchmark's requests take to the upstream: a {@link Transport} alone, or a {@code
 * GatekitProxy} in front of one ({@link ProxyClient}). The same handshake, priming and pumps run
 * over either, so what differs between two measurements is only the path.
 */
interface Caller {

  /**
   * Sends a request and returns the future of its response. The path may send it under an id of
   * its own; the response need not carry the request's id.
   */
  CompletableFuture<JsonRpcResponse> call(JsonRpcRequest request);

  /** Sends a notification. */
  void notify(JsonRpcNotification notification);

  /** Returns the path straight through {@code transport}. */
  static Caller of(Transport transport) {
    return new Caller() {
      @Override
      public CompletableFuture<JsonRpcResponse> call(JsonRpcRequest request) {
        return transport.sendAndReceive(request);
      }

      @Override
      public void notify(JsonRpcNotification notification) {
        transport.sendNotification(notification);
      }
    };
  }
}
