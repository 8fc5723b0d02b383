package dev.gatekit.server.http;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.server.http.internal.SessionOpener;
import dev.gatekit.server.http.internal.UpstreamSession;
import java.time.Duration;
import java.util.function.Supplier;

/** Sessions each served by a proxy of their own (built by the supplier, so with upstreams of their own). */
final class PerSessionProxies implements SessionOpener {

  private final Supplier<GatekitProxy> proxies;

  PerSessionProxies(Supplier<GatekitProxy> proxies) {
    this.proxies = proxies;
  }

  @Override
  public UpstreamSession open(String id, ClientConnection client) {
    GatekitProxy proxy = proxies.get();
    proxy.connect(client);
    return new UpstreamSession() {
      @Override
      public void receive(JsonRpcMessage message) {
        proxy.receive(message);
      }

      @Override
      public boolean isIdle() {
        return proxy.stats().inFlight() == 0;
      }

      @Override
      public boolean awaitIdle(Duration timeout) {
        return proxy.awaitIdle(timeout);
      }

      @Override
      public void close() {
        proxy.close();
      }
    };
  }
}
