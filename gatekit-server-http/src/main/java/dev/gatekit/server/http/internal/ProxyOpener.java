package dev.gatekit.server.http.internal;

import dev.gatekit.proxy.GatekitProxy;

/** Opens sessions of a {@link GatekitProxy}. */
public final class ProxyOpener {

  private ProxyOpener() {}

  public static SessionOpener of(GatekitProxy proxy) {
    return proxy::open;
  }
}
