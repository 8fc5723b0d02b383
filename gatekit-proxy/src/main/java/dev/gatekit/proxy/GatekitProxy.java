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
import dev.gatekit.proxy.internal.Router;
import dev.gatekit.proxy.internal.Session;
import dev.gatekit.proxy.internal.telemetry.Telemetry;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * An MCP gateway for one client connection: the client talks to it as if it were the MCP server, and
 * it serves the client from one or more upstream {@link Transport}s through the plugin pipeline.
 *
 * <p>Every client request is handled concurrently — a request never waits for the one before it —
 * and plugins run on the proxy's executor, never on the thread that delivers the client's messages
 * (with no plugin at all, requests and responses pass through without a thread hand-off).
 * With one upstream the proxy is transparent (names and {@code initialize} pass through unchanged);
 * with several, tools, prompts and resource templates are namespaced {@code upstream__name}, lists are
 * merged, and requests are routed by name or resource URI.
 *
 * <p>Use: build, {@link #connect} a {@link ClientConnection} (this starts the upstreams), feed it the
 * client's messages with {@link #receive}, and {@link #close()} it at the end. {@link StdioServer}
 * does all of that over a process's stdin and stdout. Thread-safe.
 */
public final class GatekitProxy implements AutoCloseable {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GatekitProxy.class);

  private final Map<String, Transport> upstreams;
  private final List<Plugin> plugins;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private final Stages stages;
  private final boolean namespaced;
  private final Executor executor;
  private final @Nullable ExecutorService ownedExecutor;
  private final Duration serverRequestTimeout;
  private final @Nullable Duration initializeTimeout;
  private final Telemetry telemetry;
  private final List<AutoCloseable> observations;
  private volatile @Nullable Session session;

  private GatekitProxy(Builder builder) {
    this.upstreams = new LinkedHashMap<>(builder.upstreams);
    this.telemetry = Telemetry.of(
        builder.openTelemetry != null ? builder.openTelemetry : GlobalOpenTelemetry.get(), builder.pluginSpanThreshold);
    this.observations = List.of(telemetry.observeUpstreams(upstreams),
        telemetry.observeSessions(() -> session == null ? 0 : 1));
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
    if (session != null) {
      throw new IllegalStateException("a client is already connected; a proxy serves one connection");
    }
    Session started =
        new Session(upstreams, namespaced, stages, executor, new SerialExecutor(executor), client,
            serverRequestTimeout, initializeTimeout, telemetry);
    started.start();
    session = started;
  }

  /** Takes one message from the client. Never blocks; answers go to the {@link ClientConnection}. */
  public void receive(JsonRpcMessage message) {
    requireSession().receive(message);
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
    return current == null || current.isIdle();
  }

  /** Returns the proxy's counters. */
  public ProxyStats stats() {
    Session current = session;
    return current == null ? new ProxyStats(0, 0, 0, 0, 0, 0, 0) : current.stats();
  }

  /** Returns each upstream's transport counters, by upstream name. */
  public Map<String, TransportStats> upstreamStats() {
    Map<String, TransportStats> stats = new LinkedHashMap<>();
    upstreams.forEach((name, transport) -> stats.put(name, transport.stats()));
    return stats;
  }

  /**
   * Waits up to {@code timeout} for the client requests in flight to be answered. Returns whether
   * none is left.
   */
  public boolean awaitIdle(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!isIdle()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return true;
  }

  /**
   * Closes every upstream, which fails what is pending (the client gets those errors), then the
   * proxy's own threads, then every plugin (once). Idempotent.
   */
  @Override
  public void close() {
    Session current = session;
    if (current != null) {
      current.close();
      awaitIdle(Duration.ofSeconds(5));
    } else {
      upstreams.values().forEach(Transport::close);
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
    if (closed.compareAndSet(false, true)) {
      for (AutoCloseable observation : observations) {
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

    private final Map<String, Transport> upstreams = new LinkedHashMap<>();
    private final List<Entry> plugins = new ArrayList<>();
    private @Nullable Boolean namespacing;
    private @Nullable Executor executor;
    private Duration serverRequestTimeout = Duration.ofMinutes(5);
    private @Nullable Duration initializeTimeout;
    private @Nullable OpenTelemetry openTelemetry;
    private Duration pluginSpanThreshold = Duration.ofMillis(1);

    private Builder() {}

    /**
     * Adds an upstream under a name (letters, digits, {@code -}, {@code .} and single {@code _};
     * not {@code __}, which separates namespaces, and not ending in {@code _}). The proxy owns the
     * transport from now on: it starts and closes it.
     */
    public Builder upstream(String name, Transport transport) {
      Objects.requireNonNull(transport, "transport");
      if (!Router.isValidUpstreamName(name)) {
        throw new IllegalArgumentException(
            "upstream name '" + name + "' must be non-empty letters, digits, '-', '.' or '_', without '__'"
                + " and not ending in '_'");
      }
      if (upstreams.putIfAbsent(name, transport) != null) {
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
