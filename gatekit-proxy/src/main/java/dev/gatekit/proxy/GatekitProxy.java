package dev.gatekit.proxy;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.proxy.internal.chain.PluginStage;
import dev.gatekit.proxy.internal.chain.Stages;
import dev.gatekit.proxy.internal.OpenSession;
import dev.gatekit.proxy.internal.Router;
import dev.gatekit.proxy.internal.ProtocolVersions;
import dev.gatekit.proxy.internal.Session;
import dev.gatekit.proxy.internal.SessionTable;
import dev.gatekit.proxy.internal.UpstreamSource;
import dev.gatekit.proxy.internal.telemetry.Telemetry;
import dev.gatekit.proxy.internal.telemetry.UpstreamObservation;
import dev.gatekit.api.support.SerialExecutor;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * An MCP gateway: a client talks to it as if it were the MCP server, and it serves the client from
 * one or more upstream {@link Transport}s through the plugin pipeline.
 *
 * <p>Every client request is handled concurrently — a request never waits for the one before it —
 * and plugins run on the proxy's executor, never on the thread that delivers the client's messages
 * (with no plugin at all, requests and responses pass through without a thread hand-off).
 * With one upstream the proxy is transparent (names and {@code initialize} pass through unchanged);
 * with several, tools, prompts and resource templates are namespaced {@code upstream__name}, lists are
 * merged, and requests are routed by name or resource URI.
 *
 * <p>One client: build, {@link #connect} a {@link ClientConnection} (this starts the upstreams), feed
 * it the client's messages with {@link #receive}, and {@link #close()} it at the end. {@link
 * StdioServer} does all of that over a process's stdin and stdout.
 *
 * <p>Many clients (an HTTP front): {@link #open} a {@link ProxySession} per client instead. An
 * upstream added with {@link Builder#upstreamPerSession} gets a new connection for every session
 * (for a stdio server, a process of its own), as an MCP server keeps state per connection; one added
 * with {@link Builder#upstream} is shared by every session over one connection — for stateless
 * servers — with requests kept apart by the transport's own ids, {@code initialize} sent once,
 * progress routed to the session that asked, list changes told to every session, and
 * server-to-client requests refused (they would belong to no one client). Plugin instances are shared
 * by all sessions; they see each session's id as {@link
 * dev.gatekit.api.plugin.PluginContext#SESSION_ID}. Thread-safe.
 */
public final class GatekitProxy implements AutoCloseable {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GatekitProxy.class);

  private final Map<String, UpstreamSource> upstreams;
  private final Map<String, Transport> connected = new LinkedHashMap<>();
  private @Nullable SessionTable sessions;
  private final List<Plugin> plugins;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean pluginsClosed = new AtomicBoolean();
  private final Stages stages;
  private final boolean namespaced;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final Duration serverRequestTimeout;
  private final @Nullable Duration initializeTimeout;
  private final List<String> protocolVersions;
  private final Telemetry telemetry;
  private final UpstreamObservation upstreamObservation;
  private final AutoCloseable sessionObservation;
  private volatile @Nullable Session session;

  private GatekitProxy(Builder builder) {
    this.upstreams = new LinkedHashMap<>(builder.upstreams);
    this.telemetry = Telemetry.of(
        builder.openTelemetry != null ? builder.openTelemetry : GlobalOpenTelemetry.get(), builder.pluginSpanThreshold);
    this.upstreamObservation = telemetry.observeUpstreams();
    upstreams.forEach((name, source) -> {
      if (source.shared() != null) {
        upstreamObservation.add(name, source.shared());
      }
    });
    this.sessionObservation = telemetry.observeSessions(() -> session != null ? 1 : openSessions());
    List<PluginStage> stages = new ArrayList<>();
    List<AuditingPlugin> auditors = new ArrayList<>();
    List<SecurityPlugin> security = new ArrayList<>();
    for (Builder.Entry entry : builder.plugins) {
      if (entry.plugin instanceof AuditingPlugin auditor) {
        auditors.add(auditor);
      } else {
        stages.add(PluginStage.of(entry.plugin, entry.name, entry.scope, entry.priority, telemetry));
      }
      if (entry.plugin instanceof SecurityPlugin securityPlugin) {
        security.add(securityPlugin);
      }
    }
    this.stages = new Stages(stages, auditors, security);
    // One instance may be added for several upstreams (a global plugin an upstream replaced): close it once.
    java.util.Set<Plugin> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    this.plugins = builder.plugins.stream().map(Builder.Entry::plugin).filter(distinct::add).toList();
    this.namespaced = builder.namespacing != null ? builder.namespacing : upstreams.size() > 1;
    if (builder.executor != null) {
      this.executor = builder.executor;
      this.ownedExecutor = null;
    } else {
      AtomicInteger count = new AtomicInteger();
      this.ownedExecutor =
          Executors.newCachedThreadPool(
              task -> {
                Thread thread = new Thread(task, "gatekit-proxy-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
              });
      this.executor = ownedExecutor;
    }
    this.serverRequestTimeout = builder.serverRequestTimeout;
    this.initializeTimeout = builder.initializeTimeout;
    this.protocolVersions = builder.protocolVersions;
  }

  /** Returns a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Connects the client and starts every upstream. An upstream that cannot start is logged; requests
   * routed to it fail with "upstream unavailable".
   *
   * @throws IllegalStateException if a client is already connected
   */
  public synchronized void connect(ClientConnection client) {
    if (session != null || sessions != null) {
      throw new IllegalStateException("a client is already connected; connect() serves one connection"
          + " (open() serves many)");
    }
    requireOpen();
    upstreams.forEach((name, upstream) -> connected.put(name, upstream.connection()));
    Session started = newSession(connected, client, Map.of());
    started.start();
    session = started;
  }

  /**
   * Opens a session for one of several clients and starts its upstreams: a new connection to every
   * upstream added with {@link Builder#upstreamPerSession}, the shared connection (started with the
   * first session) to every other. Its id is given to plugins as {@link
   * dev.gatekit.api.plugin.PluginContext#SESSION_ID} and recorded by the audit log. An upstream that
   * cannot start is logged; requests routed to it fail with "upstream unavailable".
   *
   * @throws IllegalStateException if the proxy is closed, {@link #connect} was used, or a session with
   *     this id is open
   * @throws IllegalArgumentException if a per-session factory fails
   */
  public ProxySession open(String sessionId, ClientConnection client) {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(client, "client");
    return sessionTable().open(sessionId, client);
  }

  private synchronized SessionTable sessionTable() {
    requireOpen();
    if (session != null) {
      throw new IllegalStateException("connect() was used: this proxy serves one client");
    }
    if (sessions == null) {
      sessions = new SessionTable(upstreams, this::newSession);
    }
    return sessions;
  }

  /** Returns how many sessions opened with {@link #open} are open now. */
  public int openSessions() {
    SessionTable table = sessionsOrNull();
    return table == null ? 0 : table.size();
  }

  private synchronized @Nullable SessionTable sessionsOrNull() {
    return sessions;
  }

  private Session newSession(Map<String, Transport> transports, ClientConnection client, Map<String, Object> attributes) {
    transports.forEach((name, transport) -> {
      if (upstreams.get(name).perSession() != null) {
        upstreamObservation.add(name, transport); // the shared ones are observed once, from the start
      }
    });
    return new Session(transports, namespaced, stages, executor, new SerialExecutor(executor), client,
        serverRequestTimeout, initializeTimeout, protocolVersions, attributes, telemetry);
  }

  private void requireOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the proxy is closed");
    }
  }

  /** Takes one message from the client. Never blocks; answers go to the {@link ClientConnection}. */
  public void receive(JsonRpcMessage message) {
    requireSession().receive(message);
  }

  /**
   * Takes one line from the client as it came, when the proxy can pass it on as bytes: no plugins,
   * one upstream behind a {@code StdioTransport}, no namespacing, the session initialized, and the line
   * a request (other than {@code initialize} and {@code ping}) that {@link
   * dev.gatekit.api.support.JsonRpcLineScanner} is sure of. Its answer then reaches the client through
   * {@link ClientConnection#sendEncoded}. Returns false, having done nothing, otherwise: decode the
   * line and give it to {@link #receive}. Never blocks; reads the buffer only during the call.
   */
  public boolean receiveLine(byte[] buffer, int offset, int length) {
    return requireSession().receiveLine(buffer, offset, length);
  }

  /**
   * Waits while more than {@code limit} of the connected client's requests have been taken but not
   * yet handed to their upstream: requests waiting behind a notification the client sent before them
   * (or behind such a request), and requests waiting for, or running, their plugins on the executor.
   * {@link #receive} never blocks, so a front whose reader calls this before it takes the next message
   * keeps what the gateway holds for a fast client bounded: the reader stops until the gateway has
   * caught up. Returns whether it waited.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public boolean awaitBacklogAtMost(int limit) throws InterruptedException {
    return requireSession().awaitBacklogAtMost(limit);
  }

  /**
   * Takes input from the client that was not a valid message, and answers it with the JSON-RPC error
   * it deserves (-32700 for a parse error, -32600 for an invalid request or a batch), naming the id
   * when one could be read.
   */
  public void receiveMalformed(ProtocolException problem) {
    requireSession();
    Objects.requireNonNull(session).replyMalformed(problem);
  }

  private boolean isIdle() {
    Session current = session;
    SessionTable table = sessionsOrNull();
    return current != null ? current.isIdle() : table == null || table.isIdle();
  }

  /**
   * Returns the proxy's counters: of the connected client, or summed over every session opened so far
   * ({@code maxInFlight} is then the most of any one session).
   */
  public ProxyStats stats() {
    Session current = session;
    SessionTable table = sessionsOrNull();
    return current != null ? current.stats() : table != null ? table.stats() : new ProxyStats(0, 0, 0, 0, 0, 0, 0);
  }

  /**
   * Returns the transport counters, by upstream name, of each upstream connection that serves every
   * client: all of them after {@link #connect}, otherwise the shared ones (not those of one session).
   */
  public synchronized Map<String, TransportStats> upstreamStats() {
    Map<String, TransportStats> stats = new LinkedHashMap<>();
    upstreams.forEach((name, source) -> {
      Transport transport = connected.containsKey(name) ? connected.get(name) : source.shared();
      if (transport != null) {
        stats.put(name, transport.stats());
      }
    });
    return stats;
  }

  /**
   * Waits up to {@code timeout} for the client requests in flight to be answered. Returns whether
   * none is left.
   */
  public boolean awaitIdle(Duration timeout) {
    return OpenSession.awaitIdle(this::isIdle, timeout);
  }

  /**
   * Closes every session and upstream, which fails what is pending (the clients get those errors),
   * then the proxy's own threads, then every plugin (once). No session can be opened afterwards.
   * Idempotent.
   */
  @Override
  public void close() {
    SessionTable table;
    synchronized (this) {
      closed.set(true);
      table = sessions;
    }
    Session current = session;
    if (current != null) {
      current.close();
      awaitIdle(Duration.ofSeconds(5));
    } else if (table != null) {
      table.close();
    }
    // Whatever was never started or shared: closing is idempotent.
    upstreams.values().stream().map(UpstreamSource::shared).filter(Objects::nonNull).forEach(Transport::close);
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
    if (pluginsClosed.compareAndSet(false, true)) {
      for (AutoCloseable observation : List.of(upstreamObservation, sessionObservation)) {
        try {
          observation.close();
        } catch (Exception e) {
          log.warn("Stopping a metric callback failed", e);
        }
      }
      for (Plugin plugin : plugins) {
        try {
          plugin.close(); // after the last message, so an audit log records everything
        } catch (RuntimeException e) {
          log.warn("Closing plugin {} failed", plugin.getClass().getName(), e);
        }
      }
    }
  }

  private Session requireSession() {
    Session current = session;
    if (current == null) {
      throw new IllegalStateException("connect a client first");
    }
    return current;
  }

  /** Builds a {@link GatekitProxy}. Not thread-safe. */
  public static final class Builder {
    private record Entry(Plugin plugin, String name, @Nullable String scope, int priority) {}

    private final Map<String, UpstreamSource> upstreams = new LinkedHashMap<>();
    private final List<Entry> plugins = new ArrayList<>();
    private @Nullable Boolean namespacing;
    private @Nullable Executor executor;
    private Duration serverRequestTimeout = Duration.ofMinutes(5);
    private @Nullable Duration initializeTimeout;
    private List<String> protocolVersions = ProtocolVersions.KNOWN;
    private @Nullable OpenTelemetry openTelemetry;
    private Duration pluginSpanThreshold = Duration.ofMillis(1);

    private Builder() {}

    /**
     * Adds an upstream under a name (letters, digits, {@code -}, {@code .} and single {@code _};
     * not {@code __}, which separates namespaces, and not ending in {@code _}). The proxy owns the
     * transport from now on: it starts and closes it. With {@link GatekitProxy#open} this one
     * connection is shared by every session.
     */
    public Builder upstream(String name, Transport transport) {
      return add(name, new UpstreamSource(Objects.requireNonNull(transport, "transport"), null));
    }

    /**
     * Adds an upstream of which every session gets a connection of its own, from {@code factory}
     * (called once per session, on the opening thread; it must return an unstarted transport, which
     * the proxy then owns). Named as in {@link #upstream}.
     */
    public Builder upstreamPerSession(String name, Supplier<? extends Transport> factory) {
      return add(name, new UpstreamSource(null, Objects.requireNonNull(factory, "factory")));
    }

    private Builder add(String name, UpstreamSource upstream) {
      if (!Router.isValidUpstreamName(name)) {
        throw new IllegalArgumentException(
            "upstream name '" + name + "' must be non-empty letters, digits, '-', '.' or '_', without '__'"
                + " and not ending in '_'");
      }
      if (upstreams.putIfAbsent(name, upstream) != null) {
        throw new IllegalArgumentException("upstream '" + name + "' is already added");
      }
      return this;
    }

    /** Adds a plugin for every upstream. Plugins of a kind run by priority, then in the order added. */
    public Builder plugin(Plugin plugin) {
      return plugin(null, plugin);
    }

    /** Adds a plugin for one upstream only (or every upstream when {@code upstream} is null). */
    public Builder plugin(@Nullable String upstream, Plugin plugin) {
      Objects.requireNonNull(plugin, "plugin");
      plugins.add(new Entry(plugin, plugin.getClass().getSimpleName(), upstream, plugin.priority()));
      return this;
    }

    /**
     * Adds a plugin under a name used in logs and block reasons (such as its handler name), for one
     * upstream or, with {@code upstream} null, for all.
     */
    public Builder plugin(String name, @Nullable String upstream, Plugin plugin) {
      Objects.requireNonNull(plugin, "plugin");
      plugins.add(new Entry(plugin, Objects.requireNonNull(name, "name"), upstream, plugin.priority()));
      return this;
    }

    /**
     * Adds a plugin as {@link #plugin(String, String, Plugin)} does, with a priority (0 to 100, lower
     * first) that overrides the plugin's own, as a configuration file's {@code priority} does.
     */
    public Builder plugin(String name, @Nullable String upstream, int priority, Plugin plugin) {
      Objects.requireNonNull(plugin, "plugin");
      if (priority < 0 || priority > 100) {
        throw new IllegalArgumentException("priority must be 0 to 100, was " + priority);
      }
      plugins.add(new Entry(plugin, Objects.requireNonNull(name, "name"), upstream, priority));
      return this;
    }

    /**
     * Turns namespacing of tool, prompt and resource template names on or off. Default: on with
     * several upstreams, off with one (fully transparent).
     */
    public Builder namespacing(boolean value) {
      this.namespacing = value;
      return this;
    }

    /**
     * Sets the executor that handles client requests and runs plugins. Default: a cached pool of
     * daemon threads, so one slow plugin call never holds up others.
     */
    public Builder executor(Executor value) {
      this.executor = Objects.requireNonNull(value, "executor");
      return this;
    }

    /** Sets how long a server-to-client request (sampling, elicitation) waits for the client (default 5 min). */
    public Builder serverRequestTimeout(Duration value) {
      this.serverRequestTimeout = Objects.requireNonNull(value, "serverRequestTimeout");
      return this;
    }

    /**
     * Sets the protocol versions the gateway accepts from its clients (default: every version it
     * speaks, {@code 2026-07-28}, {@code 2025-11-25}, {@code 2025-06-18} and {@code 2025-03-26}). A
     * 2025-era client whose {@code initialize} asks for another gets -32602 "Unsupported protocol
     * version" with the accepted 2025-era versions and the requested one in its {@code data}, as the
     * specification's lifecycle shows; a 2026-era request naming another gets {@code
     * UnsupportedProtocolVersion} (-32022) with the accepted 2026-era ones. The HTTP front checks
     * its own {@code MCP-Protocol-Version} header against its own list as well.
     *
     * @throws IllegalArgumentException if the list is empty or names a version the gateway does not
     *     speak
     */
    public Builder protocolVersions(List<String> versions) {
      this.protocolVersions = ProtocolVersions.validated(versions);
      return this;
    }

    /**
     * Sets how long each upstream may take to answer {@code initialize} — the connection timeout of
     * a configuration file (default: the transport's request timeout). An upstream that does not
     * answer in time is reported as failed for that session.
     */
    public Builder initializeTimeout(Duration value) {
      Objects.requireNonNull(value, "initializeTimeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("initializeTimeout must be positive, was " + value);
      }
      this.initializeTimeout = value;
      return this;
    }

    /**
     * Sets where the proxy's metrics and traces go (see the README for the list). Default: {@link
     * GlobalOpenTelemetry#get()}, which records nothing, at next to no cost, until an application
     * installs the OpenTelemetry SDK.
     */
    public Builder openTelemetry(OpenTelemetry value) {
      this.openTelemetry = Objects.requireNonNull(value, "openTelemetry");
      return this;
    }

    /**
     * Sets how long a security or middleware plugin may take on one message before the request's
     * trace gets a span of its own for it (default 1 ms); faster plugins leave no span.
     */
    public Builder pluginSpanThreshold(Duration value) {
      Objects.requireNonNull(value, "pluginSpanThreshold");
      if (value.isNegative()) {
        throw new IllegalArgumentException("pluginSpanThreshold must not be negative, was " + value);
      }
      this.pluginSpanThreshold = value;
      return this;
    }

    /** Returns the proxy. */
    public GatekitProxy build() {
      if (upstreams.isEmpty()) {
        throw new IllegalStateException("a proxy needs at least one upstream");
      }
      for (Entry entry : plugins) {
        if (entry.scope != null && !upstreams.containsKey(entry.scope)) {
          throw new IllegalStateException(
              "plugin " + entry.name + " is scoped to unknown upstream '" + entry.scope + "'; upstreams: "
                  + upstreams.keySet());
        }
      }
      return new GatekitProxy(this);
    }
  }
}
