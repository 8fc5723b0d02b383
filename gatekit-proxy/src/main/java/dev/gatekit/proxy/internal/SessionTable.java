package dev.gatekit.proxy.internal;

import dev.gatekit.api.Transport;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.ProxySession;
import dev.gatekit.proxy.ProxyStats;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sessions of a proxy that serves several clients: opens each with its upstream connections (a
 * new one per session from each factory, a {@link SharedUpstream} view of each shared connection),
 * keeps the open ones by id, and the counters of those that ended. Thread-safe.
 */
public final class SessionTable {

  /** Makes an unstarted session over these transports, telling plugins these attributes. */
  @FunctionalInterface
  public interface SessionMaker {
    Session make(Map<String, Transport> transports, ClientConnection client, Map<String, Object> attributes);
  }

  private final Map<String, UpstreamSource> upstreams;
  private final SessionMaker maker;
  private final Map<String, SharedUpstream> shared = new LinkedHashMap<>();
  private final Map<String, OpenSession> open = new ConcurrentHashMap<>();
  private ProxyStats retired = new ProxyStats(0, 0, 0, 0, 0, 0, 0);
  private boolean closed;

  /** @param upstreams the upstreams by name, in the order every session lists them */
  public SessionTable(Map<String, UpstreamSource> upstreams, SessionMaker maker) {
    this.upstreams = new LinkedHashMap<>(upstreams);
    this.maker = maker;
    upstreams.forEach((name, source) -> {
      if (source.shared() != null) {
        shared.put(name, new SharedUpstream(name, source.shared()));
      }
    });
  }

  /** Opens and starts a session; see {@code GatekitProxy.open}. */
  public ProxySession open(String id, ClientConnection client) {
    synchronized (this) {
      requireOpen(id);
    }
    Map<String, Transport> transports = new LinkedHashMap<>();
    try {
      upstreams.forEach((name, source) -> {
        SharedUpstream connection = shared.get(name);
        transports.put(name, connection != null ? connection.view()
            : Objects.requireNonNull(source.connection(), "the factory of upstream " + name));
      });
    } catch (RuntimeException e) {
      transports.values().forEach(Transport::close);
      throw new IllegalArgumentException("an upstream of session " + id + " could not be made: " + e, e);
    }
    Session session = maker.make(transports, client, Map.of(PluginContext.SESSION_ID, id));
    OpenSession handle = new OpenSession(id, session, this::retire);
    synchronized (this) {
      try {
        requireOpen(id);
      } catch (IllegalStateException e) {
        session.close();
        throw e;
      }
      open.put(id, handle);
    }
    session.start();
    return handle;
  }

  private void requireOpen(String id) {
    if (closed) {
      throw new IllegalStateException("the proxy is closed");
    }
    if (open.containsKey(id)) {
      throw new IllegalStateException("session " + id + " is already open");
    }
  }

  /** Returns how many sessions are open. */
  public int size() {
    return open.size();
  }

  /** Returns whether no open session has a request in flight. */
  public boolean isIdle() {
    return open.values().stream().allMatch(OpenSession::isIdle);
  }

  /** Returns the counters summed over every session so far ({@code maxInFlight}: the most of one session). */
  public ProxyStats stats() {
    ProxyStats total;
    synchronized (this) {
      total = retired;
    }
    for (OpenSession session : open.values()) {
      total = sum(total, session.stats());
    }
    return total;
  }

  /** Closes every session, then every shared connection; no session opens afterwards. */
  public void close() {
    synchronized (this) {
      closed = true;
    }
    List.copyOf(open.values()).forEach(OpenSession::close);
    shared.values().forEach(SharedUpstream::close);
  }

  private synchronized void retire(OpenSession ended) {
    open.remove(ended.id(), ended);
    retired = sum(retired, ended.stats());
  }

  private static ProxyStats sum(ProxyStats a, ProxyStats b) {
    return new ProxyStats(a.inFlight() + b.inFlight(), Math.max(a.maxInFlight(), b.maxInFlight()),
        a.handled() + b.handled(), a.blocked() + b.blocked(), a.failed() + b.failed(),
        a.cancelled() + b.cancelled(), a.notifications() + b.notifications());
  }
}
