package dev.gatekit.transport.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import dev.gatekit.transport.http.internal.HttpExecutors;
import dev.gatekit.api.support.SerialExecutor;
import dev.gatekit.transport.http.internal.PendingRequests;
import dev.gatekit.transport.http.internal.StreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} to a remote MCP server over Streamable HTTP (MCP 2025-11-25 and 2025-06-18),
 * on the JDK's {@link HttpClient}: HTTP/1.1 or HTTP/2, TLS and proxies as that client offers them.
 *
 * <p>Every message is a POST to the endpoint. Any number of requests may be in flight at once, up to
 * {@link TransportOptions#maxInFlight()}; each goes out under a wire id of the transport's own and its
 * answer comes back with the caller's id, so callers may reuse ids freely. The answer may be an
 * {@code application/json} body or an event stream that first carries notifications and
 * server-to-client requests; those go to the {@link InboundHandler}, in order, and the handler's
 * answers are POSTed back. After {@code notifications/initialized} the transport also listens on the
 * GET stream for messages the server sends unasked (a server without one answers 405, which is
 * fine).
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
 * never appear in logs or error messages.
 *
 * <p>Build with {@link #builder(URI)}; instances are thread-safe.
 */
public final class HttpTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);

  /** The default bound on a response body or one event of a stream: 16 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  private static final String ACCEPT_BOTH = "application/json, text/event-stream";
  private static final String EVENT_STREAM = "text/event-stream";
  private static final Set<String> RESERVED_HEADERS =
      Set.of("accept", "content-type", "mcp-session-id", "mcp-protocol-version", "last-event-id");
  private static final int MAX_RESUMES = 5;
  private static final int MAX_LISTEN_FAILURES = 3;

  private final String name;
  private final URI uri;
  private final String where;
  private final Map<String, String> headers;
  private final TransportOptions options;
  private final ReconnectPolicy reconnectPolicy;
  private final int maxMessageBytes;
  private final boolean listen;
  private final Duration closeTimeout;
  private final HttpClient client;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final SerialExecutor inbound;
  private final Executor callbacks;
  private final PendingRequests pending;

  private final Object lifecycle = new Object();
  private volatile TransportState state = TransportState.NEW;
  private volatile @Nullable TransportClosedException lastFailure;
  private volatile InboundHandler handler = InboundHandler.REFUSE_ALL;
  private volatile @Nullable String sessionId;
  private volatile @Nullable String protocolVersion;
  private volatile @Nullable JsonRpcRequest lastInitialize;
  private volatile boolean initializedSent;
  private int failedAttempts;
  private @Nullable ScheduledFuture<?> reconnectTask;
  /** Completes when the notifications sent so far were accepted: requests go out after them. */
  private CompletableFuture<?> notificationsSent = CompletableFuture.completedFuture(null);
  private final Object notificationLock = new Object();
  /** The reader of the GET stream, to stop it; bumping {@link #listenGeneration} retires it. */
  private volatile @Nullable StreamReader listener;
  private volatile int listenGeneration;

  private HttpTransport(Builder builder) {
    this.name = builder.name != null ? builder.name : builder.uri.getHost();
    this.uri = builder.uri;
    this.where = describe(builder.uri);
    this.headers = Map.copyOf(builder.headers);
    this.options = builder.options;
    this.reconnectPolicy = builder.reconnectPolicy;
    this.maxMessageBytes = builder.maxMessageBytes;
    this.listen = builder.listen;
    this.closeTimeout = builder.closeTimeout;
    this.callbacks = builder.callbackExecutor;
    this.client = builder.httpClient != null ? builder.httpClient : newClient(builder);
    this.inbound = new SerialExecutor(callbacks);
    this.pending = new PendingRequests(name, options, new Wire(), HttpExecutors.timers(), callbacks);
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
    return sessionId;
  }

  /** Returns the protocol version the initialize result agreed, or null before it. */
  public @Nullable String protocolVersion() {
    return protocolVersion;
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
    synchronized (lifecycle) {
      switch (state) {
        case CLOSED -> throw new TransportClosedException("Transport to upstream '" + name + "' is closed");
        case NEW -> state = TransportState.RUNNING;
        case FAILED -> {
          sessionId = null;
          failedAttempts = 0;
          state = TransportState.RUNNING;
        }
        default -> {}
      }
    }
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
    return pending.send(request, timeout, this::unavailable);
  }

  @Override
  public void sendNotification(JsonRpcNotification notification) {
    GatekitException unavailable = unavailable();
    if (unavailable != null) {
      throw unavailable;
    }
    boolean initialized = McpMethods.NOTIFICATIONS_INITIALIZED.equals(notification.method());
    if (initialized) {
      initializedSent = true;
    }
    byte[] body = codec.encode(notification);
    synchronized (notificationLock) {
      notificationsSent =
          notificationsSent
              .handle((ignored, error) -> null)
              .thenCompose(ignored -> postMessage(body, notification.method()));
      if (initialized) {
        notificationsSent.thenRun(this::startListening);
      }
    }
  }

  @Override
  public void setInboundHandler(InboundHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  public TransportState state() {
    return state;
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
    String session;
    synchronized (lifecycle) {
      if (state == TransportState.CLOSED) {
        return;
      }
      state = TransportState.CLOSED;
      if (reconnectTask != null) {
        reconnectTask.cancel(false);
      }
      session = sessionId;
    }
    stopListening();
    pending.failAll(new TransportClosedException("Transport to upstream '" + name + "' was closed"));
    if (session != null) {
      HttpRequest delete = request(session).DELETE().timeout(closeTimeout).build();
      try {
        client
            .sendAsync(delete, HttpResponse.BodyHandlers.discarding())
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
    return "HttpTransport{" + name + ", " + where + ", " + state + '}';
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  /** Returns why requests cannot be sent now, or null when they can. */
  private @Nullable GatekitException unavailable() {
    TransportState current = state;
    if (current == TransportState.RUNNING) {
      return null;
    }
    return switch (current) {
      case NEW, STARTING -> new TransportClosedException("Transport to upstream '" + name + "' is not started");
      case CLOSED -> new TransportClosedException("Transport to upstream '" + name + "' is closed");
      default -> {
        TransportClosedException failure = lastFailure;
        String suffix = current == TransportState.RESTARTING ? " (starting a new session)" : "";
        yield new TransportClosedException(
            (failure == null ? "Upstream '" + name + "' is unavailable" : failure.getMessage()) + suffix);
      }
    };
  }

  /**
   * A request to the endpoint with the configured headers, the session's id if given, and the
   * agreed protocol version once there is one (an initialize request, which agrees it, carries
   * neither).
   */
  private HttpRequest.Builder request(@Nullable String session) {
    return request(session, false);
  }

  private HttpRequest.Builder request(@Nullable String session, boolean initialize) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri);
    headers.forEach(builder::header);
    if (session != null) {
      builder.header(SESSION_HEADER, session);
    }
    String version = protocolVersion;
    if (version != null && !initialize) {
      builder.header(VERSION_HEADER, version);
    }
    return builder;
  }

  private HttpRequest.Builder post(byte[] body, @Nullable String session) {
    return post(body, session, false);
  }

  private HttpRequest.Builder post(byte[] body, @Nullable String session, boolean initialize) {
    return request(session, initialize)
        .header("Content-Type", "application/json")
        .header("Accept", ACCEPT_BOTH)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
  }

  /** Starts the POST of a request and reads its answer. */
  private final class Wire implements PendingRequests.Wire {
    @Override
    public void post(PendingRequests.Pending request) {
      CompletableFuture<?> before;
      synchronized (notificationLock) {
        before = notificationsSent;
      }
      if (before.isDone()) {
        postRequest(request, false);
      } else {
        before.whenComplete((ignored, error) -> postRequest(request, false));
      }
    }

    @Override
    public void sendCancelled(long wireId, String reason) {
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      params.put("requestId", wireId);
      params.put("reason", reason);
      byte[] body = codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params));
      postMessage(body, McpMethods.NOTIFICATIONS_CANCELLED);
    }
  }

  private void postRequest(PendingRequests.Pending request, boolean retry) {
    if (!request.isPending()) {
      return;
    }
    boolean initialize = McpMethods.INITIALIZE.equals(request.request().method());
    String session = initialize ? null : sessionId;
    Exchange exchange = new Exchange(request, session, retry);
    HttpRequest http = post(request.body(), session, initialize).build();
    CompletableFuture<HttpResponse<Void>> call;
    try {
      call = client.sendAsync(http, exchange::onHeaders);
    } catch (RuntimeException e) {
      pending.fail(request.wireId(), unreachable(e));
      return;
    }
    request.onAbort(() -> exchange.abort(call));
    call.whenComplete((response, error) -> exchange.onEnd(error));
  }

  /** POSTs a notification or an answer; the stage completes when the server accepted it. */
  private CompletableFuture<Void> postMessage(byte[] body, String what) {
    String session = sessionId;
    HttpRequest http = post(body, session).build();
    CompletableFuture<Void> accepted = new CompletableFuture<>();
    try {
      client
          .sendAsync(http, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                if (error != null) {
                  log.warn("Upstream '{}': sending '{}' failed: {}", name, what, describe(error));
                } else if (response.statusCode() == 404 && session != null) {
                  sessionExpired(session);
                } else if (response.statusCode() >= 300) {
                  log.warn("Upstream '{}' refused '{}' with HTTP {}", name, what, response.statusCode());
                }
                accepted.complete(null);
              });
    } catch (RuntimeException e) {
      log.warn("Upstream '{}': sending '{}' failed: {}", name, what, e.toString());
      accepted.complete(null);
    }
    return accepted;
  }

  /** The HTTP exchange of one request: its POST, and the GETs that resume its stream. */
  private final class Exchange {
    final PendingRequests.Pending request;
    final @Nullable String session;
    volatile @Nullable StreamReader reader;
    volatile int status;
    volatile @Nullable GatekitException failure;
    final boolean retry;
    int resumes;

    Exchange(PendingRequests.Pending request, @Nullable String session, boolean retry) {
      this.request = request;
      this.session = session;
      this.retry = retry;
    }

    String method() {
      return request.request().method();
    }

    /** Chooses how to read the answer from its status and content type. */
    HttpResponse.BodySubscriber<Void> onHeaders(HttpResponse.ResponseInfo info) {
      status = info.statusCode();
      if (status == 401 || status == 403) {
        failure = unauthorized(info);
        return HttpResponse.BodySubscribers.discarding();
      }
      if (status == 404 && session != null) {
        failure = expired(session);
        return HttpResponse.BodySubscribers.discarding();
      }
      if (status < 200 || status >= 300) {
        return keep(StreamReader.text(maxMessageBytes));
      }
      if (McpMethods.INITIALIZE.equals(method())) {
        // The session id comes with the headers, before the answer: the caller's next request has it.
        sessionId = info.headers().firstValue(SESSION_HEADER).orElse(null);
      }
      if (status == 202) {
        failure = failed("accepted '" + method() + "' (HTTP 202) without answering it");
        return HttpResponse.BodySubscribers.discarding();
      }
      String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
      if (type.startsWith("application/json")) {
        return keep(StreamReader.json(maxMessageBytes, this::onMessage));
      }
      if (type.startsWith(EVENT_STREAM)) {
        return keep(StreamReader.sse(maxMessageBytes, false, this::onMessage));
      }
      failure =
          failed(
              "answered '"
                  + method()
                  + "' with content type '"
                  + (type.isEmpty() ? "(none)" : type)
                  + "', neither application/json nor text/event-stream");
      return HttpResponse.BodySubscribers.discarding();
    }

    private StreamReader keep(StreamReader value) {
      reader = value;
      return value;
    }

    void onMessage(JsonRpcMessage message) {
      dispatch(message);
    }

    void abort(CompletableFuture<?> call) {
      StreamReader current = reader;
      if (current != null) {
        current.abort();
      }
      call.cancel(true);
    }

    /** The POST (or a resuming GET) is over: fail the request if nothing answered it. */
    void onEnd(@Nullable Throwable error) {
      if (!request.isPending() || request.isAnswered()) {
        return;
      }
      GatekitException known = failure;
      if (known != null) {
        if (known instanceof SessionExpired) {
          sessionExpired(Objects.requireNonNull(session));
        }
        pending.fail(request.wireId(), known);
        return;
      }
      StreamReader current = reader;
      if (current == null) {
        if (error != null && !retry && status == 0 && closedBeforeAnswering(error)) {
          // A kept-alive connection the server had closed: the request never reached it. Once, on a
          // new connection, as browsers do; a second such failure is reported.
          log.debug("Upstream '{}' closed a kept-alive connection; sending request {} again", name, request.wireId());
          postRequest(request, true);
          return;
        }
        pending.fail(request.wireId(), error != null ? unreachable(error) : failed("sent no answer to '" + method() + "'"));
        return;
      }
      if (current.problem() != null) {
        pending.fail(request.wireId(), failed("answered '" + method() + "' badly: " + current.problem()));
        return;
      }
      if (!current.isEventStream()) {
        if (status < 200 || status >= 300) {
          pending.fail(request.wireId(), httpError(status, current.text()));
        } else if (error != null) {
          pending.fail(request.wireId(), unreachable(error));
        } else {
          pending.fail(request.wireId(), failed("answered '" + method() + "' with a body that is not its answer"));
        }
        return;
      }
      String lastEventId = current.lastEventId();
      if (lastEventId != null && !lastEventId.isEmpty() && session != null && resumes < MAX_RESUMES) {
        resumes++;
        long retry = Math.max(0, current.retryMillis());
        HttpExecutors.timers().schedule(() -> resume(lastEventId), retry, TimeUnit.MILLISECONDS);
        return;
      }
      String why =
          error != null
              ? "broke the event stream of '" + method() + "' before the answer: " + describe(error)
              : "ended the event stream of '" + method() + "' before the answer";
      pending.fail(request.wireId(), failed(why));
    }

    /** Resumes the broken stream with a GET that carries the last event id. */
    private void resume(String lastEventId) {
      if (!request.isPending()) {
        return;
      }
      log.debug("Resuming the stream of request {} to upstream '{}' after event {}", request.wireId(), name, lastEventId);
      reader = null;
      failure = null;
      HttpRequest http =
          request(session).header("Accept", EVENT_STREAM).header("Last-Event-ID", lastEventId).GET().build();
      CompletableFuture<HttpResponse<Void>> call;
      try {
        call = client.sendAsync(http, this::onResumeHeaders);
      } catch (RuntimeException e) {
        pending.fail(request.wireId(), unreachable(e));
        return;
      }
      request.onAbort(() -> abort(call));
      call.whenComplete((response, error) -> onEnd(error));
    }

    private HttpResponse.BodySubscriber<Void> onResumeHeaders(HttpResponse.ResponseInfo info) {
      status = info.statusCode();
      String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
      if (status == 200 && type.startsWith(EVENT_STREAM)) {
        return keep(StreamReader.sse(maxMessageBytes, false, this::onMessage));
      }
      if (status == 404 && session != null) {
        failure = expired(session);
      } else if (status == 401 || status == 403) {
        failure = unauthorized(info);
      } else {
        failure = failed("broke the event stream of '" + method() + "' and refused to resume it (HTTP " + status + ")");
      }
      return HttpResponse.BodySubscribers.discarding();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving

  /** Routes one message from any stream; runs on the HTTP client's thread. */
  private void dispatch(JsonRpcMessage message) {
    if (message instanceof JsonRpcResponse response) {
      PendingRequests.Pending request =
          response.id() instanceof RequestId.NumberId id ? pending.get(id.value()) : null;
      if (request != null) {
        request.markAnswered();
        if (McpMethods.INITIALIZE.equals(request.request().method()) && !response.isError()) {
          onInitialized(request.request(), response);
        }
      }
      if (inbound.isIdle()) {
        pending.complete(response);
      } else {
        // Unasked messages read before this answer are still being delivered (progress, logs): the
        // answer waits for them, so a caller never sees its answer before its progress.
        inbound.execute(() -> pending.complete(response));
      }
    } else if (message instanceof JsonRpcNotification notification) {
      inbound.execute(() -> handler.onNotification(notification));
    } else if (message instanceof JsonRpcRequest request) {
      inbound.execute(() -> answer(request));
    }
  }

  /** Keeps what later requests need from a successful initialize: the version and the handshake. */
  private void onInitialized(JsonRpcRequest request, JsonRpcResponse response) {
    JsonNode result = response.result();
    JsonNode version = result == null ? null : result.get("protocolVersion");
    if (version != null && version.isTextual()) {
      protocolVersion = version.textValue();
    }
    if (state != TransportState.RESTARTING) {
      lastInitialize = request;
    }
  }

  private void answer(JsonRpcRequest request) {
    CompletionStage<JsonRpcResponse> answer;
    try {
      answer = handler.onRequest(request);
      if (answer == null) {
        answer = CompletableFuture.failedFuture(new IllegalStateException("the handler returned no answer"));
      }
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete(
        (response, error) -> {
          JsonRpcResponse reply =
              error == null && response != null
                  ? response.withId(request.id())
                  : JsonRpcResponse.failure(
                      request.id(),
                      ErrorCodes.INTERNAL_ERROR,
                      "The client could not answer '" + request.method() + "': " + error);
          if (state != TransportState.CLOSED) {
            postMessage(codec.encode(reply), "the answer to '" + request.method() + "'");
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // The GET stream

  private void startListening() {
    String session = sessionId;
    if (!listen || session == null || state != TransportState.RUNNING) {
      return;
    }
    int generation;
    synchronized (lifecycle) {
      generation = ++listenGeneration;
    }
    listen(session, generation, null, 0);
  }

  private void stopListening() {
    synchronized (lifecycle) {
      listenGeneration++;
    }
    StreamReader current = listener;
    if (current != null) {
      current.abort();
    }
  }

  private void listen(String session, int generation, @Nullable String lastEventId, int failures) {
    if (generation != listenGeneration || state != TransportState.RUNNING || !session.equals(sessionId)) {
      return;
    }
    HttpRequest.Builder builder = request(session).header("Accept", EVENT_STREAM).GET();
    if (lastEventId != null) {
      builder.header("Last-Event-ID", lastEventId);
    }
    int[] status = {0};
    client
        .sendAsync(
            builder.build(),
            info -> {
              status[0] = info.statusCode();
              String type = info.headers().firstValue("Content-Type").orElse("").toLowerCase(Locale.ROOT);
              if (info.statusCode() == 200 && type.startsWith(EVENT_STREAM)) {
                StreamReader reader =
                    StreamReader.sse(
                        maxMessageBytes,
                        true,
                        new StreamReader.Listener() {
                          @Override
                          public void onMessage(JsonRpcMessage message) {
                            dispatch(message);
                          }

                          @Override
                          public void onBadEvent(String problem) {
                            log.warn("Upstream '{}' sent a bad event on its GET stream; dropped: {}", name, problem);
                          }
                        });
                listener = reader;
                if (generation != listenGeneration) {
                  reader.abort();
                }
                return reader;
              }
              return HttpResponse.BodySubscribers.discarding();
            })
        .whenComplete(
            (response, error) -> {
              StreamReader reader = listener;
              String resumeAt = reader != null && reader.lastEventId() != null ? reader.lastEventId() : lastEventId;
              int code = status[0];
              if (generation != listenGeneration || state != TransportState.RUNNING) {
                return;
              }
              if (code == 405) {
                log.debug("Upstream '{}' offers no GET stream (HTTP 405)", name);
                return;
              }
              if (code == 404) {
                sessionExpired(session);
                return;
              }
              boolean failed = error != null || code != 200;
              if (failed && failures + 1 >= MAX_LISTEN_FAILURES) {
                log.warn(
                    "Upstream '{}': stopped listening on the GET stream after {} failures (last: {})",
                    name,
                    failures + 1,
                    error != null ? describe(error) : "HTTP " + code);
                return;
              }
              long retry = reader != null && reader.retryMillis() >= 0 ? reader.retryMillis() : 1000;
              HttpExecutors.timers()
                  .schedule(
                      () -> listen(session, generation, resumeAt, failed ? failures + 1 : 0),
                      retry,
                      TimeUnit.MILLISECONDS);
            });
  }

  // ---------------------------------------------------------------------------------------------
  // Sessions

  /** The failure of requests whose session the server no longer knows. */
  private static final class SessionExpired extends TransportClosedException {
    private static final long serialVersionUID = 1L;

    SessionExpired(String message) {
      super(message);
    }
  }

  private SessionExpired expired(String session) {
    return new SessionExpired(
        "Upstream '"
            + name
            + "' at "
            + where
            + " no longer knows the session (HTTP 404): the session expired"
            + (reconnectPolicy.enabled() ? "; starting a new one" : ""));
  }

  /** Ends the session the server forgot: fails everything pending, then maybe starts a new one. */
  private void sessionExpired(String session) {
    TransportClosedException failure;
    boolean reconnect;
    synchronized (lifecycle) {
      if (!session.equals(sessionId) || state != TransportState.RUNNING) {
        return; // handled already, or closing
      }
      failure = expired(session);
      lastFailure = failure;
      sessionId = null;
      reconnect = reconnectPolicy.enabled() && lastInitialize != null && failedAttempts < reconnectPolicy.maxAttempts();
      state = reconnect ? TransportState.RESTARTING : TransportState.FAILED;
    }
    log.warn("{}", failure.getMessage());
    stopListening();
    pending.failAll(failure);
    if (reconnect) {
      synchronized (lifecycle) {
        scheduleReconnect();
      }
    }
  }

  private void scheduleReconnect() {
    int attempt = ++failedAttempts;
    Duration wait = reconnectPolicy.backoff(attempt);
    log.info(
        "Starting a new session with upstream '{}' in {} ms (attempt {} of {})",
        name,
        wait.toMillis(),
        attempt,
        reconnectPolicy.maxAttempts());
    reconnectTask =
        HttpExecutors.timers()
            .schedule(() -> callbacks.execute(this::reconnect), wait.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Replays the caller's last handshake in a new session, then opens for requests. */
  private void reconnect() {
    JsonRpcRequest initialize = lastInitialize;
    if (state != TransportState.RESTARTING || initialize == null) {
      return;
    }
    pending
        .send(initialize, options.requestTimeout(), () -> null)
        .whenComplete(
            (response, error) -> {
              if (error == null && !response.isError()) {
                CompletableFuture<Void> initialized =
                    initializedSent
                        ? postMessage(
                            codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null)),
                            McpMethods.NOTIFICATIONS_INITIALIZED)
                        : CompletableFuture.completedFuture(null);
                initialized.whenComplete((ignored, failure) -> markRunning());
                return;
              }
              String why = error != null ? error.getMessage() : String.valueOf(response.error());
              log.warn("Upstream '{}' refused a new session: {}", name, why);
              synchronized (lifecycle) {
                if (state != TransportState.RESTARTING) {
                  return;
                }
                lastFailure =
                    new TransportClosedException(
                        "Upstream '" + name + "' at " + where + " refused a new session: " + why);
                if (failedAttempts < reconnectPolicy.maxAttempts()) {
                  scheduleReconnect();
                } else {
                  state = TransportState.FAILED;
                }
              }
            });
  }

  private void markRunning() {
    synchronized (lifecycle) {
      if (state != TransportState.RESTARTING) {
        return;
      }
      state = TransportState.RUNNING;
      failedAttempts = 0;
      pending.counters().restarts.increment();
    }
    log.info("Upstream '{}' is back in a new session", name);
    if (initializedSent) {
      startListening();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors: they name the upstream, its address without query or user info, and never a header value.

  private TransportClosedException failed(String what) {
    return new TransportClosedException("Upstream '" + name + "' at " + where + " " + what);
  }

  private TransportClosedException unreachable(Throwable error) {
    return new TransportClosedException(
        "Upstream '" + name + "' at " + where + " is unreachable: " + describe(error), null);
  }

  private UnauthorizedException unauthorized(HttpResponse.ResponseInfo info) {
    String challenge = info.headers().firstValue("WWW-Authenticate").orElse("").trim();
    String scheme = null;
    if (!challenge.isEmpty()) {
      int end = 0;
      while (end < challenge.length() && !Character.isWhitespace(challenge.charAt(end)) && challenge.charAt(end) != ',') {
        end++;
      }
      scheme = challenge.substring(0, end);
    }
    return new UnauthorizedException(
        "Upstream '"
            + name
            + "' at "
            + where
            + " refused the request: unauthorized (HTTP "
            + info.statusCode()
            + (scheme == null ? "" : ", WWW-Authenticate: " + scheme)
            + "); check the credentials in its headers",
        info.statusCode(),
        scheme);
  }

  private TransportClosedException httpError(int status, String body) {
    String detail = body.strip();
    try {
      JsonNode tree = codec.mapper().readTree(detail);
      JsonNode message = tree == null ? null : tree.path("error").get("message");
      if (message != null && message.isTextual()) {
        detail = message.textValue();
      }
    } catch (Exception notJson) {
      // plain text: keep it
    }
    detail = detail.replaceAll("\\s+", " ");
    if (detail.length() > 200) {
      detail = detail.substring(0, 200) + "...";
    }
    return failed("answered HTTP " + status + (detail.isEmpty() ? "" : ": " + detail));
  }

  /**
   * Returns whether the HTTP client reports a pooled connection that the server closed before it
   * sent a byte of the response (the JDK's own retry condition for idempotent requests).
   */
  private static boolean closedBeforeAnswering(Throwable error) {
    for (Throwable cause = error; cause != null; cause = cause.getCause()) {
      if (cause.getClass().getSimpleName().equals("ConnectionExpiredException")
          || String.valueOf(cause.getMessage()).contains("header parser received no bytes")) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause.getCause() != null && cause.getMessage() == null)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message = cause.getMessage();
    return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }

  /** The endpoint without user info, query or fragment, for messages. */
  static String describe(URI uri) {
    StringBuilder text = new StringBuilder().append(uri.getScheme()).append("://").append(uri.getHost());
    if (uri.getPort() >= 0) {
      text.append(':').append(uri.getPort());
    }
    String path = uri.getRawPath();
    return text.append(path == null ? "" : path).toString();
  }

  private static HttpClient newClient(Builder builder) {
    HttpClient.Builder client =
        HttpClient.newBuilder()
            .executor(HttpExecutors.client())
            .followRedirects(HttpClient.Redirect.NORMAL)
            // Cleartext HTTP/2 needs an upgrade that a POST cannot make: plain http stays on 1.1,
            // https negotiates HTTP/2 where the server offers it.
            .version("https".equals(builder.uri.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1);
    if (builder.connectTimeout != null) {
      client.connectTimeout(builder.connectTimeout);
    }
    return client.build();
  }

  /** Builds an {@link HttpTransport}. Not thread-safe. */
  public static final class Builder {
    private final URI uri;
    private @Nullable String name;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private TransportOptions options = TransportOptions.defaults();
    private @Nullable Duration connectTimeout = Duration.ofSeconds(10);
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.never();
    private @Nullable HttpClient httpClient;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
    private boolean listen = true;
    private Duration closeTimeout = Duration.ofSeconds(2);
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
      return uri.getScheme() == null || uri.getHost() == null ? "'" + uri.getScheme() + ":...'" : describe(uri);
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
     * {@code Last-Event-ID}) and those the HTTP client reserves cannot be set.
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

    /**
     * Sets how long opening a connection may take (default 10 s). Applies to the client this builder
     * makes, not to one given with {@link #httpClient(HttpClient)}.
     */
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
     * Sets the HTTP client to use (default: one of its own, HTTP/2 over TLS, HTTP/1.1 in clear, with
     * the connect timeout). A shared client shares its connection pool.
     */
    public Builder httpClient(HttpClient value) {
      this.httpClient = Objects.requireNonNull(value, "httpClient");
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
