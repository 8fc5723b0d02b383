package dev.gatekit.server.http;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.server.http.internal.FrontConfig;
import dev.gatekit.server.http.internal.FrontThreadPool;
import dev.gatekit.server.http.internal.Loopback;
import dev.gatekit.server.http.internal.McpHandler;
import dev.gatekit.server.http.internal.ProxyOpener;
import dev.gatekit.server.http.internal.SessionOpener;
import dev.gatekit.server.http.internal.Sessions;
import dev.gatekit.server.http.internal.TextRoute;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link GatekitProxy} to many MCP clients at once over MCP Streamable HTTP (protocol
 * versions 2025-11-25, 2025-06-18 and 2025-03-26 with sessions, and 2026-07-28 stateless), at one
 * endpoint, on Jetty 12.
 *
 * <p><b>Messages.</b> A POST carries one JSON-RPC message (a JSON array, a batch, gets 400 with
 * -32600). A notification or a response is accepted with 202. A request is answered as
 * {@code application/json} when its answer is the first thing for it; when a progress notification
 * (by its {@code progressToken}) or another server-initiated message comes first and the client's
 * {@code Accept} allows {@code text/event-stream}, the answer comes on an SSE stream instead, after
 * those messages. A GET opens the session's standalone SSE stream (one at a time; a second gets 409);
 * DELETE ends the session (204). Any other method gets 405 with {@code Allow}. Server-initiated
 * messages that belong to no request (logging, list changes, sampling, elicitation, roots) go to the
 * GET stream when one is open, else to a POST stream of the session that is still open, else they
 * wait for the next GET.
 *
 * <p><b>Sessions.</b> {@code initialize} without an {@code Mcp-Session-Id} opens a session (a
 * {@code GatekitProxy.open}; with upstreams per session this starts the session's own upstream
 * processes) and its answer carries the new id: 256 random bits from {@link
 * java.security.SecureRandom}, base64url. Every later request must carry the id: without it 400,
 * with an unknown or ended one 404 (the client then initializes again). A session ends on DELETE,
 * after {@linkplain Builder#sessionIdleTimeout being idle} (no request in flight, no stream held open,
 * nothing received), on {@link #drain} and on {@link #close}; its upstreams stop with it. Past
 * {@linkplain Builder#maxSessions the cap} a new session gets 503. {@code MCP-Protocol-Version}, when
 * sent, must be a supported version (400 otherwise); absent means 2025-03-26, as the specification
 * says.
 *
 * <p><b>Stateless requests (MCP 2026-07-28).</b> A POST without {@code Mcp-Session-Id} whose request
 * names a protocol version in {@code params._meta} (or is {@code server/discover}, or carries a
 * non-2025 {@code MCP-Protocol-Version}) is served without a session, by one proxy session of the front
 * (id {@code stateless}, opened with the first such request; plugins and the audit log see that id)
 * under ids of the gateway's own, so clients that reuse ids never meet. Before it goes there the front
 * checks {@code MCP-Protocol-Version} against {@code _meta}, {@code Mcp-Method} and {@code Mcp-Name}
 * against the body ({@code HeaderMismatch}, -32020, 400), the required {@code _meta} members (-32602,
 * 400), the version ({@code UnsupportedProtocolVersion}, -32022, 400, naming the {@linkplain
 * Builder#protocolVersions accepted} ones) and refuses the methods 2026-07-28 removed (-32601, 404).
 * The answer comes on the POST (an error with the status the specification gives it: 404 for
 * -32601, 400 for -32602 and -32020..-32022), after the request's progress and, for {@code
 * subscriptions/listen}, its notifications as SSE events; a POST stream found broken (a failed write;
 * silent streams get keep-alives) cancels its request. There is no GET stream and no DELETE without a session (405).
 *
 * <p><b>Resumability.</b> Every SSE event has an id, {@code STREAM-SEQUENCE}; each stream keeps its
 * last 1024 events. A GET with {@code Last-Event-ID} gets what followed that event on that stream and
 * then carries the stream on — also the stream of a POST whose connection dropped before its answer,
 * which then still delivers the answer.
 *
 * <p><b>Security.</b> It binds to 127.0.0.1 unless told otherwise. A request whose {@code Origin} is
 * not {@linkplain Builder#allowedOrigins allowed} gets 403 (requests without {@code Origin}, from
 * non-browser clients, pass). With {@linkplain Builder#bearerTokens bearer tokens} configured, a
 * request without a valid {@code Authorization: Bearer} token gets 401 with {@code WWW-Authenticate:
 * Bearer}; tokens are compared in constant time. A body over {@linkplain Builder#maxBodyBytes the
 * bound} gets 413, a content type other than {@code application/json} 415, an {@code Accept} that lists
 * neither {@code application/json} nor {@code text/event-stream} 406, malformed JSON 400 with -32700.
 * Every such answer has a JSON-RPC error body, nothing is started for the request, and the server
 * keeps serving. Every message of every session passes the proxy's plugins.
 *
 * <p>Thread-safe. No thread waits for an answer: a waiting request holds only its connection.
 */
public final class StreamableHttpServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StreamableHttpServer.class);

  private final String host;
  private final int requestedPort;
  private final String path;
  private final Sessions sessions;
  private final Server server;
  private final ServerConnector connector;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();

  private StreamableHttpServer(Builder builder) {
    this.host = builder.host;
    this.requestedPort = builder.port;
    this.path = builder.path;
    this.sessions = new Sessions(builder.opener, builder.maxSessions, builder.sessionIdleTimeout);
    QueuedThreadPool threads = new FrontThreadPool();
    threads.setName("gatekit-http");
    threads.setDaemon(true);
    this.server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    this.connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setHost(host);
    connector.setPort(requestedPort);
    server.addConnector(connector);
    FrontConfig config = new FrontConfig(path, Set.copyOf(builder.allowedOrigins),
        FrontConfig.tokens(builder.bearerTokens), builder.maxBodyBytes, Loopback.isLoopbackAddress(builder.host),
        builder.protocolVersions);
    Handler mcp = new McpHandler(config, sessions);
    server.setHandler(builder.textBody == null ? mcp
        : new TextRoute(builder.textPath, builder.textContentType, builder.textBody, config, mcp));
    server.setStopTimeout(0);
  }

  /** Returns a builder for a server in front of {@code proxy} (built, not connected). */
  public static Builder builder(GatekitProxy proxy) {
    return new Builder(ProxyOpener.of(proxy));
  }

  /**
   * Binds and starts serving.
   *
   * @throws UncheckedIOException if the address cannot be bound
   * @throws IllegalStateException if already started or closed
   */
  public void start() {
    if (closed.get() || !started.compareAndSet(false, true)) {
      throw new IllegalStateException("the server was already started or closed");
    }
    try {
      server.start();
    } catch (IOException e) {
      stopQuietly();
      throw new UncheckedIOException("cannot serve on " + host + ":" + requestedPort + ": " + e.getMessage(), e);
    } catch (Exception e) {
      stopQuietly();
      throw new UncheckedIOException(
          new IOException("cannot serve on " + host + ":" + requestedPort + ": " + e, e));
    }
    log.info("Serving MCP Streamable HTTP at {}", endpoint());
  }

  /** The port it listens on (the one chosen when built with port 0); -1 before {@link #start}. */
  public int port() {
    return connector.getLocalPort();
  }

  /** The endpoint URI, {@code http://HOST:PORT/PATH}. */
  public URI endpoint() {
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    return URI.create("http://" + hostPart + ":" + port() + path);
  }

  /** The number of open sessions. */
  public int sessionCount() {
    return sessions.count();
  }

  /**
   * Shuts down gently: new sessions get 503 from now on, the requests in flight get up to {@code
   * timeout} to be answered (their sessions keep serving meanwhile), then every session closes, which
   * stops their upstreams and fails what is still in flight. The listener stays open until {@link
   * #close}. Returns whether every request was answered in time.
   */
  public boolean drain(Duration timeout) {
    return sessions.drain(Objects.requireNonNull(timeout, "timeout"));
  }

  /** Closes every session (their upstreams stop) and the listener. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    sessions.close();
    stopQuietly();
  }

  private void stopQuietly() {
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("Stopping the HTTP server failed", e);
    }
  }

  /** Builds a {@link StreamableHttpServer}. Not thread-safe. */
  public static final class Builder {
    private final SessionOpener opener;
    private String host = "127.0.0.1";
    private int port = 0;
    private String path = "/mcp";
    private List<String> allowedOrigins = List.of();
    private List<String> bearerTokens = List.of();
    private int maxSessions = 100;
    private Duration sessionIdleTimeout = Duration.ofMinutes(10);
    private int maxBodyBytes = 16 << 20;
    private List<String> protocolVersions = FrontConfig.KNOWN_VERSIONS;
    private String textPath = "";
    private String textContentType = "";
    private @Nullable Supplier<String> textBody;

    private Builder(SessionOpener opener) {
      this.opener = opener;
    }

    /** The address to bind (default 127.0.0.1: only this machine can connect). */
    public Builder host(String value) {
      this.host = Objects.requireNonNull(value, "host");
      return this;
    }

    /** The port (default 0: a free one, see {@link StreamableHttpServer#port()}). */
    public Builder port(int value) {
      if (value < 0 || value > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, was " + value);
      }
      this.port = value;
      return this;
    }

    /** The endpoint's path (default {@code /mcp}). */
    public Builder path(String value) {
      if (!value.startsWith("/")) {
        throw new IllegalArgumentException("path must start with /, was " + value);
      }
      this.path = value;
      return this;
    }

    /**
     * The {@code Origin} values allowed (default none). A request with another {@code Origin} gets
     * 403, except that a front bound to the loopback also allows origins on the loopback ({@code
     * http://localhost:3000}, {@code http://127.0.0.1}, {@code http://[::1]:8080}). A front bound to the
     * loopback also refuses (403) a request whose {@code Host} names neither the loopback nor the host
     * of an allowed origin: a web page whose name was made to resolve to 127.0.0.1 (DNS rebinding)
     * cannot reach it.
     */
    public Builder allowedOrigins(List<String> values) {
      this.allowedOrigins = List.copyOf(values);
      return this;
    }

    /** The bearer tokens accepted (default none: no authentication). */
    public Builder bearerTokens(List<String> values) {
      for (String token : values) {
        if (token.isBlank()) {
          throw new IllegalArgumentException("a bearer token must not be blank");
        }
      }
      this.bearerTokens = List.copyOf(values);
      return this;
    }

    /** The most sessions open at once (default 100); past it {@code initialize} gets 503. */
    public Builder maxSessions(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxSessions must be positive, was " + value);
      }
      this.maxSessions = value;
      return this;
    }

    /** How long a session may stay idle before it ends (default 10 minutes). */
    public Builder sessionIdleTimeout(Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("sessionIdleTimeout must be positive, was " + value);
      }
      this.sessionIdleTimeout = value;
      return this;
    }

    /** The largest POST body accepted, in bytes (default 16 MiB); past it 413. */
    public Builder maxBodyBytes(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("maxBodyBytes must be positive, was " + value);
      }
      this.maxBodyBytes = value;
      return this;
    }

    /**
     * The protocol versions accepted (default every one the front speaks: 2026-07-28, 2025-11-25,
     * 2025-06-18, 2025-03-26). A session request whose {@code MCP-Protocol-Version} names another gets
     * 400; a stateless request that names another 2026-era version gets the specification's {@code
     * UnsupportedProtocolVersion} error (-32022, HTTP 400) listing the accepted 2026-era ones; without
     * 2026-07-28 every stateless request gets it.
     *
     * @throws IllegalArgumentException if empty or a version is not one the front speaks
     */
    public Builder protocolVersions(List<String> values) {
      List<String> copy = List.copyOf(values);
      new FrontConfig("/", Set.of(), List.of(), 1, true, copy); // validates
      this.protocolVersions = copy;
      return this;
    }

    /**
     * Also serves {@code GET path} (and {@code HEAD}) with the text {@code body} returns at each
     * request, as {@code contentType}: a Prometheus scrape endpoint on the front's own port, say. The
     * {@linkplain #bearerTokens bearer tokens} apply to it as to the MCP endpoint; {@code body} runs on
     * a server thread and must not block long. One such path (a second call replaces the first); it
     * must not be the MCP endpoint's.
     */
    public Builder textRoute(String path, String contentType, Supplier<String> body) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("the text route's path must start with /, was " + path);
      }
      this.textPath = path;
      this.textContentType = Objects.requireNonNull(contentType, "contentType");
      this.textBody = Objects.requireNonNull(body, "body");
      return this;
    }

    /**
     * Returns the server, not started.
     *
     * @throws IllegalArgumentException if the {@linkplain #textRoute text route} is the MCP endpoint's path
     */
    public StreamableHttpServer build() {
      if (textBody != null && textPath.equals(path)) {
        throw new IllegalArgumentException("the text route " + textPath + " is the MCP endpoint's path");
      }
      return new StreamableHttpServer(this);
    }
  }
}
