package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.ProxyStats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a proxy: takes the client's messages, runs each request concurrently
 * through routing, the plugin pipeline and an upstream, and sends the outcome back; passes
 * notifications both ways and server-to-client requests across.
 *
 * <p>Threading: {@link #receive} is called by the client's reader and never blocks; requests are
 * handled on the executor, and upstream completions come back on the transports' callback threads,
 * which hand the response pipeline to the executor again. With no plugin at all there is nothing
 * to run that could block, so neither hand-off is made: a request goes upstream from the thread
 * that received it, and its response goes to the client from the thread that completed it. Notifications from the client keep their
 * order (one serial lane), and a request is handled only once the notifications the client sent
 * before it have been passed upstream, so the upstream sees the client's order. Thread-safe.
 */
public final class Session implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Session.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Map<String, Transport> upstreams;
  private final Router router;
  private final Pipeline pipeline;
  private final Executor executor;
  private final Executor notificationLane;
  private final ClientConnection client;
  private final ServerRequests serverRequests;
  private final @Nullable Duration initializeTimeout;
  private final Map<RequestId, ClientCall> calls = new ConcurrentHashMap<>();
  private final AtomicBoolean initializeSeen = new AtomicBoolean();
  private volatile boolean initialized;
  private volatile @Nullable CompletableFuture<Boolean> initializing;
  private volatile Map<String, Object> attributes = Map.of();
  /** Completes when the last notification taken from the client has been passed upstream. */
  private volatile CompletableFuture<?> clientNotificationsPassed = CompletableFuture.completedFuture(null);

  private final AtomicInteger inFlight = new AtomicInteger();
  /** Answers counted out of {@link #inFlight} but not yet handed to the client. */
  private final AtomicInteger replying = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final LongAdder handled = new LongAdder();
  private final LongAdder blocked = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder cancelled = new LongAdder();
  private final LongAdder notifications = new LongAdder();

  public Session(
      Map<String, Transport> upstreams,
      boolean namespaced,
      Pipeline pipeline,
      Executor executor,
      Executor notificationLane,
      ClientConnection client,
      Duration serverRequestTimeout,
      @Nullable Duration initializeTimeout) {
    this.upstreams = new LinkedHashMap<>(upstreams);
    this.initializeTimeout = initializeTimeout;
    this.router = new Router(List.copyOf(upstreams.keySet()), namespaced);
    this.pipeline = pipeline;
    this.executor = executor;
    this.notificationLane = notificationLane;
    this.client = client;
    this.serverRequests = new ServerRequests(serverRequestTimeout);
  }

  /** Starts every upstream; one that cannot start is logged and reported to requests routed to it. */
  public void start() {
    upstreams.forEach(
        (name, transport) -> {
          transport.setInboundHandler(new FromUpstream(name));
          try {
            transport.start();
          } catch (GatekitException e) {
            log.error("Upstream '{}' could not be started: {}", name, e.getMessage());
          }
        });
  }

  /** Takes one message from the client. Never blocks. */
  public void receive(JsonRpcMessage message) {
    if (message instanceof JsonRpcRequest request) {
      begin(request);
    } else if (message instanceof JsonRpcNotification notification) {
      if (McpMethods.NOTIFICATIONS_CANCELLED.equals(notification.method())) {
        cancelByClient(notification);
      } else {
        CompletableFuture<Void> passed = new CompletableFuture<>();
        clientNotificationsPassed = passed;
        try {
          notificationLane.execute(
              () -> {
                try {
                  fromClient(notification);
                } finally {
                  passed.complete(null);
                }
              });
        } catch (RejectedExecutionException closed) {
          passed.complete(null);
          log.debug("The proxy is closed; the client's {} is dropped", notification.method());
        }
      }
    } else if (message instanceof JsonRpcResponse response) {
      if (!serverRequests.complete(response)) {
        log.warn("The client answered id {}, which no upstream is waiting for; dropped", response.id());
      }
    }
  }

  /** Answers input from the client that was not a valid message. */
  public void replyMalformed(dev.gatekit.api.ProtocolException problem) {
    handled.increment();
    failed.increment();
    client.send(problem.toResponse());
  }

  /** Returns a snapshot of the counters. */
  public ProxyStats stats() {
    return new ProxyStats(
        inFlight.get(),
        maxInFlight.get(),
        handled.sum(),
        blocked.sum(),
        failed.sum(),
        cancelled.sum(),
        notifications.sum());
  }

  /**
   * Closes every upstream, which fails what is in flight, and gives up the upstreams' requests still
   * waiting for the client.
   */
  @Override
  public void close() {
    serverRequests.cancelAll();
    upstreams.values().forEach(Transport::close);
  }

  // ---------------------------------------------------------------------------------------------
  // Client requests

  /** One client request in flight: what it waits on upstream, and whether it was cancelled. */
  private static final class ClientCall {
    final JsonRpcRequest request;
    final long startNanos = System.nanoTime();
    final List<CompletableFuture<?>> upstreamCalls = new ArrayList<>(1);
    /** Errors that are an upstream's own answer, passed on: not failures of the proxy. By identity. */
    private final Set<JsonRpcError> upstreamErrors = Collections.newSetFromMap(new IdentityHashMap<>());
    volatile boolean cancelled;

    ClientCall(JsonRpcRequest request) {
      this.request = request;
    }

    synchronized void track(CompletableFuture<?> future) {
      if (cancelled) {
        future.cancel(true);
      } else {
        upstreamCalls.add(future);
      }
    }

    synchronized void cancel() {
      cancelled = true;
      upstreamCalls.forEach(f -> f.cancel(true));
    }

    synchronized void passedOn(JsonRpcResponse upstreamAnswer) {
      if (upstreamAnswer.error() != null) {
        upstreamErrors.add(upstreamAnswer.error());
      }
    }

    synchronized boolean isUpstreamAnswer(JsonRpcResponse response) {
      return response.error() != null && upstreamErrors.contains(response.error());
    }
  }

  private void begin(JsonRpcRequest request) {
    ClientCall call = new ClientCall(request);
    if (calls.putIfAbsent(request.id(), call) != null) {
      reply(request, error(request.id(), ErrorCodes.INVALID_REQUEST,
          "Invalid request: id " + request.id() + " is already in use by a request in flight"), false);
      return;
    }
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    CompletableFuture<?> notificationsBefore = clientNotificationsPassed;
    if (notificationsBefore.isDone()) {
      if (pipeline.isEmpty()) {
        handle(call); // nothing here can block: routing, then a transport's non-blocking send
      } else {
        submit(call);
      }
    } else {
      // Keep the client's order upstream: a request never overtakes a notification sent before it
      // (notifications/initialized must reach the server before the first request).
      notificationsBefore.whenComplete((ignored, failure) -> submit(call));
    }
  }

  private void submit(ClientCall call) {
    try {
      executor.execute(() -> handle(call));
    } catch (RuntimeException e) {
      finish(call, error(call.request.id(), ErrorCodes.UPSTREAM_UNAVAILABLE, "The gateway is shutting down"));
    }
  }

  private void handle(ClientCall call) {
    JsonRpcRequest request = call.request;
    CompletableFuture<JsonRpcResponse> answer;
    try {
      answer = dispatch(call);
    } catch (RuntimeException e) {
      log.error("Handling {} failed", request.method(), e);
      answer = CompletableFuture.completedFuture(
          error(request.id(), ErrorCodes.INTERNAL_ERROR, "Internal error: " + e.getMessage()));
    }
    answer.whenComplete(
        (response, failure) ->
            finish(call, response != null ? response : errorFor(request.id(), failure)));
  }

  private CompletableFuture<JsonRpcResponse> dispatch(ClientCall call) {
    JsonRpcRequest request = call.request;
    String method = request.method();
    if (method.equals(McpMethods.INITIALIZE)) {
      return initialize(call);
    }
    if (method.equals(McpMethods.PING)) {
      return CompletableFuture.completedFuture(JsonRpcResponse.success(request.id(), JSON.objectNode()));
    }
    if (!initialized) {
      CompletableFuture<Boolean> pending = initializing;
      if (pending == null) {
        return CompletableFuture.completedFuture(notInitialized(request));
      }
      // initialize is on its way: serve this request once it is answered, as the client meant.
      return pending.thenComposeAsync(
          ok -> ok ? route(call) : CompletableFuture.completedFuture(notInitialized(request)), executor);
    }
    return route(call);
  }

  private static JsonRpcResponse notInitialized(JsonRpcRequest request) {
    return error(request.id(), ErrorCodes.INVALID_REQUEST,
        "Invalid request: the session is not initialized; send 'initialize' first");
  }

  private CompletableFuture<JsonRpcResponse> route(ClientCall call) {
    JsonRpcRequest request = call.request;
    Router.Route route = router.route(request);
    if (route instanceof Router.To to) {
      return exchange(call, to.upstream(), to.request());
    }
    if (route instanceof Router.ToAll all) {
      return all.member() == null ? broadcast(call) : list(call, all.member());
    }
    Router.Refuse refuse = (Router.Refuse) route;
    return CompletableFuture.completedFuture(error(request.id(), refuse.code(), refuse.message()));
  }

  /**
   * One request to one upstream through the whole pipeline: plugins on the request, the upstream,
   * plugins on the response, auditing of both. The result carries the client's id.
   */
  private CompletableFuture<JsonRpcResponse> exchange(ClientCall call, String upstream, JsonRpcRequest request) {
    PluginContext context = new PluginContext(Direction.CLIENT_TO_UPSTREAM, upstream, call.request.id(), request.method(), attributes);
    Pipeline.Outcome in = pipeline.request(request, context);
    RuntimeException auditFailure = audit(Direction.CLIENT_TO_UPSTREAM, context, in, null);
    if (auditFailure != null) {
      return CompletableFuture.completedFuture(auditingFailure(call.request.id()));
    }
    if (!in.passes()) {
      return CompletableFuture.completedFuture(refusal(call.request.id(), in));
    }
    JsonRpcRequest sent = (JsonRpcRequest) Objects.requireNonNull(in.message());
    Transport transport = upstreams.get(upstream);
    CompletableFuture<JsonRpcResponse> upstreamCall =
        initializeTimeout != null && McpMethods.INITIALIZE.equals(sent.method())
            ? transport.sendAndReceive(sent, initializeTimeout)
            : transport.sendAndReceive(sent);
    call.track(upstreamCall);
    BiFunction<JsonRpcResponse, Throwable, JsonRpcResponse> back =
        (response, failure) -> {
          if (failure != null) {
            JsonRpcResponse failedResponse = errorFor(call.request.id(), failure);
            Pipeline.Outcome outcome = new Pipeline.Outcome(
                isTimeout(failure) ? AuditEvent.Outcome.TIMED_OUT : AuditEvent.Outcome.FAILED,
                failedResponse, failedResponse.error().message(), failedResponse.error().code(), Map.of());
            audit(Direction.UPSTREAM_TO_CLIENT, context, outcome, call);
            return failedResponse;
          }
          Pipeline.Outcome out = pipeline.response(sent, response.withId(call.request.id()), context);
          if (audit(Direction.UPSTREAM_TO_CLIENT, context, out, call) != null) {
            return auditingFailure(call.request.id());
          }
          if (!out.passes()) {
            return refusal(call.request.id(), out);
          }
          JsonRpcResponse passed = (JsonRpcResponse) Objects.requireNonNull(out.message());
          call.passedOn(passed);
          return passed;
        };
    // Plugins run on the executor; with none, the response goes on from the completing thread.
    return pipeline.isEmpty() ? upstreamCall.handle(back) : upstreamCall.handleAsync(back, executor);
  }

  /** A list fanned out to every upstream: items merged in upstream order, names qualified, one cursor. */
  private CompletableFuture<JsonRpcResponse> list(ClientCall call, String member) {
    JsonRpcRequest request = call.request;
    Map<String, @Nullable String> cursors;
    try {
      cursors = decodeCursor(request.params());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(error(request.id(), ErrorCodes.INVALID_PARAMS, e.getMessage()));
    }
    Map<String, CompletableFuture<JsonRpcResponse>> pages = new LinkedHashMap<>();
    cursors.forEach(
        (upstream, cursor) -> {
          ObjectNode params = request.params() instanceof ObjectNode p ? p.deepCopy() : JSON.objectNode();
          params.remove("cursor");
          if (cursor != null) {
            params.put("cursor", cursor);
          }
          pages.put(upstream, exchange(call, upstream, request.withParams(params)));
        });
    return CompletableFuture.allOf(pages.values().toArray(CompletableFuture[]::new))
        .handle((ignored, failure) -> mergePages(request.id(), member, pages));
  }

  private JsonRpcResponse mergePages(
      RequestId id, String member, Map<String, CompletableFuture<JsonRpcResponse>> pages) {
    ObjectNode merged = JSON.objectNode();
    ArrayNode items = merged.putArray(member);
    Map<String, String> next = new LinkedHashMap<>();
    JsonRpcResponse firstError = null;
    int answered = 0;
    for (Map.Entry<String, CompletableFuture<JsonRpcResponse>> page : pages.entrySet()) {
      JsonRpcResponse response = page.getValue().join(); // completed; exchange never fails exceptionally
      if (response.isError()) {
        log.warn("Upstream '{}' failed to list {}: {}", page.getKey(), member, response.error().message());
        firstError = firstError == null ? response : firstError;
        continue;
      }
      answered++;
      JsonNode result = response.result();
      JsonNode upstreamItems = result.path(member);
      if (upstreamItems.isArray()) {
        ArrayNode copy = ((ArrayNode) upstreamItems).deepCopy();
        router.adoptListItems(page.getKey(), member, copy);
        items.addAll(copy);
      }
      if (result.path("nextCursor").isTextual()) {
        next.put(page.getKey(), result.get("nextCursor").textValue());
      }
    }
    if (answered == 0 && firstError != null) {
      return firstError.withId(id);
    }
    if (!next.isEmpty()) {
      merged.put("nextCursor", encodeCursor(next));
    }
    return JsonRpcResponse.success(id, merged);
  }

  /** A request every upstream must see (logging/setLevel): succeeds if any upstream succeeded. */
  private CompletableFuture<JsonRpcResponse> broadcast(ClientCall call) {
    List<CompletableFuture<JsonRpcResponse>> answers = new ArrayList<>();
    for (String upstream : router.upstreams()) {
      answers.add(exchange(call, upstream, call.request));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .handle(
            (ignored, failure) -> {
              JsonRpcResponse firstError = null;
              for (CompletableFuture<JsonRpcResponse> answer : answers) {
                JsonRpcResponse response = answer.join();
                if (!response.isError()) {
                  return JsonRpcResponse.success(call.request.id(), JSON.objectNode());
                }
                firstError = firstError == null ? response : firstError;
              }
              return Objects.requireNonNull(firstError);
            });
  }

  private void finish(ClientCall call, JsonRpcResponse response) {
    // Free the id and the in-flight count before the client can see the answer: a client may reuse
    // the id at once, and counters read after an answer must already include it.
    calls.remove(call.request.id(), call);
    replying.incrementAndGet();
    inFlight.decrementAndGet();
    try {
      if (!call.cancelled) {
        reply(call.request, response, call.isUpstreamAnswer(response));
      } else {
        cancelled.increment();
      }
    } finally {
      replying.decrementAndGet();
    }
  }

  /** Returns whether every client request taken so far has been answered and its answer handed over. */
  public boolean isIdle() {
    return inFlight.get() == 0 && replying.get() == 0;
  }

  /**
   * Sends the answer to a client request and counts it: an error counts as blocked or failed only
   * when the proxy produced it, not when it is an upstream's own error response passed on.
   */
  private void reply(JsonRpcRequest request, JsonRpcResponse response, boolean upstreamAnswer) {
    handled.increment();
    if (response.isError() && !upstreamAnswer) {
      if (response.error().code() == ErrorCodes.SECURITY_VIOLATION) {
        blocked.increment();
      } else {
        failed.increment();
      }
    }
    client.send(response.withId(request.id()));
  }

  private void cancelByClient(JsonRpcNotification notification) {
    notifications.increment();
    JsonNode params = notification.params();
    JsonNode id = params == null ? null : params.get("requestId");
    RequestId requestId = id == null ? null : RequestId.fromJson(id);
    ClientCall call = requestId == null ? null : calls.get(requestId);
    if (call == null) {
      log.debug("The client cancelled {}, which is not in flight; ignored", requestId);
      return;
    }
    call.cancel(); // each transport tells its upstream, with its own wire id
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  private CompletableFuture<JsonRpcResponse> initialize(ClientCall call) {
    JsonRpcRequest request = call.request;
    if (!initializeSeen.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(error(request.id(), ErrorCodes.INVALID_REQUEST,
          "Invalid request: the session is already initialized"));
    }
    JsonNode params = request.params();
    Map<String, Object> attrs = new LinkedHashMap<>();
    if (params != null && params.path("protocolVersion").isTextual()) {
      attrs.put(PluginContext.PROTOCOL_VERSION, params.get("protocolVersion").textValue());
    }
    if (params != null && params.path("clientInfo").path("name").isTextual()) {
      attrs.put(PluginContext.CLIENT_NAME, params.get("clientInfo").get("name").textValue());
    }
    attributes = Map.copyOf(attrs);
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    initializing = done;
    Map<String, CompletableFuture<JsonRpcResponse>> answers = new LinkedHashMap<>();
    for (String upstream : router.upstreams()) {
      answers.put(upstream, exchange(call, upstream, request));
    }
    return CompletableFuture.allOf(answers.values().toArray(CompletableFuture[]::new))
        .handle(
            (ignored, failure) -> {
              JsonRpcResponse answer =
                  answers.size() == 1 && !router.namespaced()
                      ? answers.values().iterator().next().join()
                      : InitializeResults.merge(request.id(), answers);
              if (!answer.isError()) {
                initialized = true;
              } else {
                initializing = null;
                initializeSeen.set(false); // let the client try again
              }
              done.complete(!answer.isError());
              return answer;
            });
  }

  // ---------------------------------------------------------------------------------------------
  // Notifications

  private void fromClient(JsonRpcNotification notification) {
    notifications.increment();
    CompletableFuture<Boolean> pending = initializing;
    if (pending != null && !initialized) {
      // Keep the lifecycle's order upstream: initialize first, then what the client sent after it.
      pending.join();
    }
    for (Map.Entry<String, Transport> upstream : upstreams.entrySet()) {
      PluginContext context = new PluginContext(Direction.CLIENT_TO_UPSTREAM, upstream.getKey(), null, notification.method(), attributes);
      Pipeline.Outcome out = pipeline.notification(notification, context, false);
      // A critical auditor that could not record it blocks the notification, as it blocks requests.
      boolean recorded = audit(Direction.CLIENT_TO_UPSTREAM, context, out, null) == null;
      if (out.passes() && recorded) {
        try {
          upstream.getValue().sendNotification((JsonRpcNotification) out.message());
        } catch (GatekitException e) {
          log.warn("Could not pass {} to upstream '{}': {}", notification.method(), upstream.getKey(), e.getMessage());
        }
      }
    }
  }

  /** Receives what one upstream sends unasked and passes it to the client. */
  private final class FromUpstream implements InboundHandler {
    private final String upstream;

    FromUpstream(String upstream) {
      this.upstream = upstream;
    }

    @Override
    public void onNotification(JsonRpcNotification notification) {
      notifications.increment();
      JsonRpcNotification toSend = notification;
      if (McpMethods.NOTIFICATIONS_CANCELLED.equals(notification.method())) {
        toSend = translateCancellation(notification);
        if (toSend == null) {
          return;
        }
      }
      PluginContext context = new PluginContext(Direction.UPSTREAM_TO_CLIENT, upstream, null, notification.method(), attributes);
      Pipeline.Outcome out = pipeline.notification(toSend, context, true);
      boolean recorded = audit(Direction.UPSTREAM_TO_CLIENT, context, out, null) == null;
      if (out.passes() && recorded) {
        client.send(out.message());
      }
    }

    @Override
    public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
      CompletableFuture<JsonRpcResponse> answer = new CompletableFuture<>();
      client.send(serverRequests.register(upstream, request, answer));
      return answer;
    }

    /** The upstream gave up a request it sent the client: tell the client under the proxy's id. */
    private @Nullable JsonRpcNotification translateCancellation(JsonRpcNotification notification) {
      JsonNode params = notification.params();
      JsonNode id = params == null ? null : params.get("requestId");
      RequestId upstreamId = id == null ? null : RequestId.fromJson(id);
      RequestId proxyId = upstreamId == null ? null : serverRequests.proxyIdOf(upstream, upstreamId);
      if (proxyId == null) {
        return null;
      }
      serverRequests.cancel(proxyId);
      ObjectNode translated = ((ObjectNode) params).deepCopy();
      translated.set("requestId", proxyId.toJson());
      return notification.withParams(translated);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private @Nullable RuntimeException audit(
      Direction direction, PluginContext context, Pipeline.Outcome outcome, @Nullable ClientCall call) {
    if (!pipeline.audits()) {
      return null;
    }
    Duration duration = call == null ? null : Duration.ofNanos(System.nanoTime() - call.startNanos);
    // A blocked message is never handed to auditors: what a filter stopped must not reach a log.
    JsonRpcMessage seen = outcome.outcome() == AuditEvent.Outcome.BLOCKED ? null : outcome.message();
    AuditEvent event = new AuditEvent(Instant.now(), direction, context.upstream(), context.method(),
        context.requestId(), outcome.outcome(), seen, outcome.reason(), duration, outcome.metadata());
    return pipeline.audit(event);
  }

  private static JsonRpcResponse refusal(RequestId id, Pipeline.Outcome outcome) {
    if (outcome.outcome() == AuditEvent.Outcome.COMPLETED) {
      return ((JsonRpcResponse) Objects.requireNonNull(outcome.message())).withId(id);
    }
    return error(id, outcome.errorCode(), String.valueOf(outcome.reason()));
  }

  private static JsonRpcResponse auditingFailure(RequestId id) {
    return error(id, ErrorCodes.AUDITING_FAILURE, "Blocked: the audit log could not record this message");
  }

  private static JsonRpcResponse error(@Nullable RequestId id, int code, String message) {
    return JsonRpcResponse.failure(id, code, message);
  }

  private static JsonRpcResponse errorFor(RequestId id, @Nullable Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof GatekitException e) {
      return JsonRpcResponse.failure(id, e.toJsonRpcError());
    }
    if (cause instanceof CancellationException) {
      return error(id, ErrorCodes.INTERNAL_ERROR, "Request cancelled");
    }
    log.error("Unexpected failure", cause);
    return error(id, ErrorCodes.INTERNAL_ERROR, "Internal error: " + cause);
  }

  private static boolean isTimeout(Throwable failure) {
    return unwrap(failure) instanceof dev.gatekit.api.RequestTimeoutException;
  }

  /** Returns the failure a dependent stage wrapped in a {@link CompletionException}. */
  private static @Nullable Throwable unwrap(@Nullable Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  private Map<String, @Nullable String> decodeCursor(@Nullable JsonNode params) {
    Map<String, @Nullable String> cursors = new LinkedHashMap<>();
    JsonNode cursor = params == null ? null : params.get("cursor");
    if (cursor == null || cursor.isNull()) {
      router.upstreams().forEach(u -> cursors.put(u, null));
      return cursors;
    }
    try {
      byte[] json = Base64.getUrlDecoder().decode(cursor.asText());
      JsonNode decoded = dev.gatekit.api.JsonRpcCodec.get().mapper().readTree(json);
      Iterator<Map.Entry<String, JsonNode>> fields = decoded.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> field = fields.next();
        if (!upstreams.containsKey(field.getKey()) || !field.getValue().isTextual()) {
          throw new IllegalArgumentException("bad entry");
        }
        cursors.put(field.getKey(), field.getValue().textValue());
      }
    } catch (Exception e) {
      throw new IllegalArgumentException("Invalid params: the cursor is not one this proxy gave out");
    }
    if (cursors.isEmpty()) {
      throw new IllegalArgumentException("Invalid params: the cursor is not one this proxy gave out");
    }
    return cursors;
  }

  private static String encodeCursor(Map<String, String> next) {
    ObjectNode node = JSON.objectNode();
    next.forEach(node::put);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(node.toString().getBytes(StandardCharsets.UTF_8));
  }
}
