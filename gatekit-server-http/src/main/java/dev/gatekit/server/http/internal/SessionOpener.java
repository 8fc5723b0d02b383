package dev.gatekit.server.http.internal;

import dev.gatekit.proxy.ProxySession;

import dev.gatekit.proxy.ClientConnection;

/** Opens a proxy session for one HTTP client ({@code GatekitProxy.open}). */
@FunctionalInterface
public interface SessionOpener {

  /**
   * Opens the session {@code id}, whose answers go to {@code client}.
   *
   * @throws RuntimeException if it cannot be opened (the proxy is closed, an upstream cannot start)
   */
  ProxySession open(String id, ClientConnection client);
}
