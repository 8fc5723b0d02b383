package dev.gatekit.transport.http;

import dev.gatekit.api.GatekitException;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.support.TransportTelemetry;
import dev.gatekit.transport.http.internal.Endpoint;
import dev.gatekit.transport.http.internal.Failures;
import dev.gatekit.transport.http.internal.GetStream;
import dev.gatekit.transport.http.internal.Host;
import dev.gatekit.transport.http.internal.HttpClients;
import dev.gatekit.transport.http.internal.HttpExecutors;
import dev.gatekit.transport.http.internal.Inbound;
import dev.gatekit.transport.http.internal.PendingRequests;
import dev.gatekit.transport.http.internal.Posts;
import dev.gatekit.transport.http.internal.Sessions;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} to a remote MCP server over Streamable HTTP (MCP 2025-11-25 and 2025-06-18, and
 * the stateless 2026-07-28), on Jetty's HTTP client: HTTP/1.1 in clear text; over TLS HTTP/2, or
 * HTTP/1.1 where the server offers only that (ALPN). Transports with the same settings share one
 * client, so its connection pool.
 *
 * <p>Every message is a POST to the endpoint. Any number of requests may be in flight at once, up to
 * {@link TransportOptions#maxInFlight()}; each goes out under a wire id of the transport's own and its
 * answer comes back with the caller's id, so callers may reuse ids freely. The answer may be an
 * {@code application/json} body or an event stream that first carries notifications and
 * server-to-client requests; those go to the {@link InboundHandler}, in order, and the handler's
 * answers are POSTed back. After {@code notifications/initialized} the transport also listens on the
 * GET stream for messages the server sends unasked, with or without a session (a server without
 * one answers 405, which is fine).
 *
 * <p>Session: the {@code Mcp-Session-Id} of the initialize answer is sent on every later request, and
 * {@code MCP-Protocol-Version} (the version the initialize result agreed) once it is known. A broken
 * event stream whose events had ids is resumed with a GET carrying {@code Last-Event-ID}. A 404 for
 * the session means it expired: everything pending fails at once with a {@link
 * TransportClosedException} that says so, and with a {@link ReconnectPolicy} the transport replays
 * its caller's handshake in a new session. {@link #close()} ends the session with a DELETE.
 *
 * <p>Failures reach the caller at once and the transport keeps serving other requests: a 401 or 403
 * is an {@link UnauthorizedException}; an answer that is not valid JSON-RPC, has an unknown content
 * type, is over {@link Builder#maxMessageBytes(int)}, or a stream that ends before the answer (and
 * cannot be resumed) is a {@link TransportClosedException} naming the problem; a connection that
 * fails fails the requests it carried. Timeouts and cancellation are as {@link Transport} says: the
 * HTTP exchange is aborted and {@code notifications/cancelled} is POSTed. Header values (credentials)
 * never appear in logs or error messages. A request whose POST fails before any byte of its answer
 * because the server had closed the connection is sent once more on a new connection, as browsers
 * do (a server that read it and closed without answering sees it twice).
 *
 * <p>MCP 2026-07-28, per message: a {@code server/discover}, and any message whose {@code
 * params._meta} names a protocol version ({@code io.modelcontextprotocol/protocolVersion}), is of
 * the stateless generation and goes as that revision's Streamable HTTP says: a POST without {@code
 * Mcp-Session-Id} (none is needed, no {@code initialize} comes first), with {@code
 * MCP-Protocol-Version} (the version its {@code _meta} names), {@code Mcp-Method} and, for {@code
 * tools/call}, {@code prompts/get}, {@code resources/read} and the task methods, {@code Mcp-Name}
 * (Base64-wrapped as {@code =?base64?...?=} when not printable ASCII). Its answer is read as above,
 * notifications before it going to the handler; a {@code subscriptions/listen} is one long POST
 * whose notifications go to the handler (their subscription id is the caller's request id) until
 * the caller cancels it or the server ends it (then it fails with a message saying so). Cancelling
 * such a request, or its timeout, aborts its POST, which is that revision's cancellation: no {@code
 * notifications/cancelled} is sent. An HTTP error answer whose body is the JSON-RPC error of the
 * request (as 2026-era servers refuse: HTTP 400) is the request's answer, and for a stateless
 * request so is one with a null id (a 2025-era server refusing a request without a session: a
 * {@code server/discover} probe then gets an error, and the caller knows it is 2025-era).
 * Messages without the version in {@code _meta} keep the 2025 behaviour above, so one transport
 * serves a proxy that finds out which generation the server speaks.
 *
 * <p>Trace context: a request whose {@code params._meta} carries a W3C {@code traceparent} (and
 * {@code tracestate}) is POSTed with them as HTTP headers too.
 *
 * <p>Threads: answers are read on the HTTP client's pool of daemon threads (shared by the transports
 * of a JVM); callers' futures complete, and the inbound handler runs, on the callback executor.
 *
 * <p>Build with {@link #builder(URI)}; instances are thread-safe.
 */
public final class HttpTransport implements Transport {

  /** The default bound on a response body or one event of a stream: 16 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);
  private static final Set<String> RESERVED_HEADERS =
      Set.of(
          "accept", "content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id", "mcp-method", "mcp-name");

  private final String name;
  private final TransportTelemetry telemetry;
  private final URI uri;
  private final TransportOptions options;
  private final boolean listen;
  private final Duration closeTimeout;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final Failures failures;
  private final Endpoint endpoint;
  private final Posts posts;
  private final PendingRequests pending;
  private final GetStream getStream;
  private final Sessions sessions;
  private final Inbound inbound;

  private HttpTransport(Builder builder) {
    this.name = builder.name != null ? builder.name : builder.uri.getHost();
    this.telemetry = TransportTelemetry.of(
        builder.openTelemetry != null ? builder.openTelemetry : GlobalOpenTelemetry.get(), "http", name);
    this.uri = builder.uri;
    this.options = builder.options;
    this.listen = builder.listen;
    this.closeTimeout = builder.closeTimeout;
    SSLContext tls = builder.sslContext != null ? builder.sslContext : defaultTls();
    org.eclipse.jetty.client.HttpClient client =
        HttpClients.of("https".equalsIgnoreCase(builder.uri.getScheme()), builder.connectTimeout, tls);
    Host host = new Parts();
    this.failures = new Failures(name, uri, builder.reconnectPolicy.enabled());
    this.endpoint = new Endpoint(uri, builder.headers, client);
    this.posts = new Posts(endpoint, failures, host, builder.maxMessageBytes);
    this.pending = new PendingRequests(name, options, posts, HttpExecutors.timers(), builder.callbackExecutor);
    posts.pending(pending);
    this.getStream = new GetStream(endpoint, failures, host, builder.maxMessageBytes);
    this.sessions =
        new Sessions(
            failures,
            builder.reconnectPolicy,
            options.requestTimeout(),
            endpoint,
            pending,
            posts,
            getStream,
            builder.callbackExecutor);
    this.inbound = new Inbound(pending, sessions, posts, builder.callbackExecutor);
  }

  /** Returns a builder for a transport to the MCP endpoint at {@code uri} (http or https). */
  public static Builder builder(URI uri) {
    return new Builder(uri);
  }

  /** Returns the upstream's name, as used in logs and error messages. */
  public String name() {
    return name;
  }

  /** Returns the endpoint. */
  public URI uri() {
    return uri;
  }

  /** Returns the session id the server assigned, or null before initialize or for a sessionless server. */
  public @Nullable String sessionId() {
    return endpoint.sessionId();
  }

  /** Returns the protocol version the initialize result agreed, or null before it. */
  public @Nullable String protocolVersion() {
    return endpoint.protocolVersion();
  }

  /** Returns the number of requests pending (sent or queued); zero when the transport is idle. */
  public int pendingCount() {
    return pending.size();
  }

  /**
   * Makes the transport ready for requests. There is no connection to open: the first request
   * (normally {@code initialize}) makes it. On a {@link TransportState#FAILED} transport (its session
   * expired and was not renewed) it starts afresh without a session, as a stdio transport starts its
   * process again: the caller then initializes a new session.
   *
   * @throws TransportClosedException if the transport is closed
   */
  @Override
  public void start() {
    sessions.start();
  }

  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request) {
    return sendAndReceive(request, options.requestTimeout());
  }

  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request, Duration timeout) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    return telemetry.time(pending.send(request, timeout, sessions::unavailable));
  }

  @Override
  public void sendNotification(JsonRpcNotification notification) {
    GatekitException unavailable = sessions.unavailable();
    if (unavailable != null) {
      throw unavailable;
    }
    boolean initialized = McpMethods.NOTIFICATIONS_INITIALIZED.equals(notification.method());
    if (initialized) {
      sessions.initializedSent();
    }
    CompletableFuture<?> accepted =
        posts.notification(codec.encode(notification), notification.method(), notification.params());
    if (initialized && listen) {
      accepted.thenRun(getStream::start);
    }
  }

  @Override
  public void setInboundHandler(InboundHandler handler) {
    inbound.handler(handler);
  }

  @Override
  public TransportState state() {
    return sessions.state();
  }

  @Override
  public TransportStats stats() {
    return pending.stats();
  }

  @Override
  public TransportOptions options() {
    return options;
  }

  /**
   * Fails everything pending, stops the GET stream and ends the session with a DELETE (waiting for
   * it at most the close timeout). Idempotent; never throws.
   */
  @Override
  public void close() {
    if (!sessions.close()) {
      return;
    }
    String session = endpoint.sessionId();
    getStream.stop();
    pending.failAll(new TransportClosedException("Transport to upstream '" + name + "' was closed"));
    if (session != null) {
      try {
        endpoint
            .send(endpoint.delete(session, closeTimeout))
            .done()
            .get(closeTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.debug("Ending the session with upstream '{}' failed: {}", name, e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "HttpTransport{" + name + ", " + failures.where() + ", " + sessions.state() + '}';
  }

  /** What the internal parts ask of the transport. */
  private final class Parts implements Host {
    @Override
    public void dispatch(JsonRpcMessage message) {
      inbound.dispatch(message);
    }

    @Override
    public void sessionExpired(String session) {
      sessions.expired(session);
    }

    @Override
    public boolean isRunning() {
      return sessions.state() == TransportState.RUNNING;
    }
  }

  private static SSLContext defaultTls() {
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("The JVM has no default TLS context: " + e.getMessage(), e);
    }
  }

  /** Builds an {@link HttpTransport}. Not thread-safe. */
  public static final class Builder {
    private final URI uri;
    private @Nullable String name;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private TransportOptions options = TransportOptions.defaults();
    private Duration connectTimeout = Duration.ofSeconds(10);
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.never();
    private @Nullable SSLContext sslContext;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private boolean listen = true;
    private Duration closeTimeout = Duration.ofSeconds(2);
    private @Nullable OpenTelemetry openTelemetry;
    private Executor callbackExecutor = HttpExecutors.callbacks();

    private Builder(URI uri) {
      Objects.requireNonNull(uri, "uri");
      String scheme = uri.getScheme();
      if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null) {
        throw new IllegalArgumentException("uri must be an absolute http or https URL, was " + describeSafely(uri));
      }
      this.uri = uri;
    }

    private static String describeSafely(URI uri) {
      return uri.getScheme() == null || uri.getHost() == null ? "'" + uri.getScheme() + ":...'" : Failures.describe(uri);
    }

    /**
     * Where the transport records the round trip of each request ({@code
     * gatekit.transport.round_trip.duration}, by name and outcome; see README "Metrics and traces").
     * Default: {@link GlobalOpenTelemetry#get()}, which records nothing, at next to no cost, until an
     * application installs the OpenTelemetry SDK. Requests sent with {@code sendAndReceive} are timed
     * (not a stdio relay's bytes). The counters of {@code stats()} are not recorded here: a {@code
     * GatekitProxy} in front of the transport reports them, summed over its connections.
     */
    public Builder openTelemetry(OpenTelemetry value) {
      this.openTelemetry = Objects.requireNonNull(value, "openTelemetry");
      return this;
    }

    /** Sets the name used in logs and error messages (default: the host). */
    public Builder name(String value) {
      this.name = Objects.requireNonNull(value, "name");
      return this;
    }

    /**
     * Adds a header sent with every request, such as {@code Authorization}. Its value is treated as a
     * secret: it never appears in logs or error messages. The headers the protocol itself sets
     * ({@code Accept}, {@code Content-Type}, {@code Mcp-Session-Id}, {@code MCP-Protocol-Version},
     * {@code Mcp-Method}, {@code Mcp-Name}, {@code Last-Event-ID}) and those the HTTP client reserves
     * cannot be set.
     *
     * @throws IllegalArgumentException for such a header, or a name or value HTTP does not allow
     */
    public Builder header(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (RESERVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("header '" + name + "' is set by the transport itself");
      }
      try {
        HttpRequest.newBuilder(uri).header(name, value);
      } catch (IllegalArgumentException e) {
        // The client's message may quote the value: name the header only.
        throw new IllegalArgumentException("header '" + name + "' is not allowed, or its value is not valid in HTTP");
      }
      headers.put(name, value);
      return this;
    }

    /** Adds headers as {@link #header(String, String)} does, in the map's order. */
    public Builder headers(Map<String, String> values) {
      values.forEach(this::header);
      return this;
    }

    /** Sets the in-flight limit, overflow policy and request timeout. */
    public Builder options(TransportOptions value) {
      this.options = Objects.requireNonNull(value, "options");
      return this;
    }

    /** Sets how long opening a connection may take (default 10 s). */
    public Builder connectTimeout(Duration value) {
      Objects.requireNonNull(value, "connectTimeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("connectTimeout must be positive, was " + value);
      }
      this.connectTimeout = value;
      return this;
    }

    /** Sets what happens after the server forgot the session (default: {@link ReconnectPolicy#never()}). */
    public Builder reconnectPolicy(ReconnectPolicy value) {
      this.reconnectPolicy = Objects.requireNonNull(value, "reconnectPolicy");
      return this;
    }

    /**
     * Sets the TLS context of an https endpoint: the certificates it trusts, and a client certificate
     * if the server asks for one (default: the JVM's, {@link SSLContext#getDefault()}, as it is when
     * the transport is built). The server's host name is checked against its certificate.
     */
    public Builder sslContext(SSLContext value) {
      this.sslContext = Objects.requireNonNull(value, "sslContext");
      return this;
    }

    /**
     * Sets the bound on a response body and on one event of a stream, in bytes (default 16 MiB). An
     * answer over it fails its request at once.
     */
    public Builder maxMessageBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxMessageBytes must be at least 1024, was " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /** Sets whether to listen on the GET stream for messages the server sends unasked (default true). */
    public Builder listen(boolean value) {
      this.listen = value;
      return this;
    }

    /** Sets how long {@link HttpTransport#close()} waits for the server to end the session (default 2 s). */
    public Builder closeTimeout(Duration value) {
      Objects.requireNonNull(value, "closeTimeout");
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException("closeTimeout must be positive, was " + value);
      }
      this.closeTimeout = value;
      return this;
    }

    /**
     * Sets the executor that completes callers' futures and runs the inbound handler (default: a
     * shared pool of daemon threads). It must not run tasks on the submitting thread, and its {@code
     * execute} must neither block nor throw.
     */
    public Builder callbackExecutor(Executor value) {
      this.callbackExecutor = Objects.requireNonNull(value, "callbackExecutor");
      return this;
    }

    /** Returns a new, unstarted transport. */
    public HttpTransport build() {
      return new HttpTransport(this);
    }
  }
}
