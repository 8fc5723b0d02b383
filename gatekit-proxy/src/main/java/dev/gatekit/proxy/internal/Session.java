package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.support.JsonRpcLineScanner;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.ProxyStats;
import dev.gatekit.proxy.internal.chain.Chain;
import dev.gatekit.proxy.internal.chain.ClientStage;
import dev.gatekit.proxy.internal.chain.Failures;
import dev.gatekit.proxy.internal.chain.Outcome;
import dev.gatekit.proxy.internal.chain.Passage;
import dev.gatekit.proxy.internal.chain.Stages;
import dev.gatekit.proxy.internal.chain.UpstreamStage;
import dev.gatekit.proxy.internal.telemetry.RelayedRequest;
import dev.gatekit.proxy.internal.telemetry.Telemetry;
import dev.gatekit.transport.stdio.StdioTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client session: takes the client's messages and sends each where it goes — a request through
 * the handshake or the router to the chain of its upstream (or to every upstream), a notification to
 * the relay, an answer to a server-to-client request back to the upstream that asked. The client may
 * speak either generation of MCP (2025-era with {@code initialize}, or 2026-07-28, stateless), and so
 * may each upstream: {@link Handshake} tells the client's apart, each upstream's connection is a
 * {@link VersionedUpstream} that finds out its own and translates.
 *
 * <p>Threading: {@link #receive} is called by the client's reader and never blocks. Every request is
 * handled concurrently: with plugins, its chain runs on the executor (plugins may block); with none
 * there is nothing that could block, so it goes upstream from the receiving thread and its answer to
 * the client from the thread that completed it, with no hand-off. A request is handled only once the
 * notifications the client sent before it have gone upstream, and without plugins also the requests
 * it sent before it, so the upstream sees the client's order (with plugins, requests run
 * concurrently and may pass each other). With no plugins and one stdio upstream, requests can also
 * go upstream and back as bytes ({@link #receiveLine}). Thread-safe.
 */
public final class Session implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Session.class);

  private final Map<String, UpstreamLink> links = new LinkedHashMap<>();
  private final Router router;
  private final boolean handOff;
  private final Executor executor;
  private final ServerRequests serverRequests;
  private final ClientCalls calls;
  private final Handshake handshake;
  private final ListFanOut fanOut;
  /** A 2026-era client's listen behind several namespaced upstreams; null when not namespaced. */
  private final @Nullable ListenFanOut listens;
  private final NotificationRelay relay;
  /** The one upstream requests go to as bytes, when the session can pass them on so; else null. */
  private final @Nullable StdioTransport passThrough;
  private final Telemetry telemetry;
  /** The requests taken and not yet handed to their upstream; the client's reader waits on it. */
  private final Backlog backlog = new Backlog();
  /** Without plugins: hands requests over in the client's order. */
  private final OrderedHandOff inOrder = new OrderedHandOff(this::handle, backlog);

  /**
   * @param upstreams the upstreams by name, in order; the session starts and closes them
   * @param stages the plugins, in chain order
   * @param executor where requests with plugins run
   * @param notificationLane a serial executor for the client's notifications
   * @param serverRequestTimeout how long a server-to-client request waits for the client
   * @param initializeTimeout how long {@code initialize} may take, or {@code null} for the
   *     transports' request timeout
   * @param protocolVersions the protocol versions accepted from the client
   * @param sessionAttributes what plugins are told about the session from its start (such as its id)
   * @param telemetry what records the metrics and spans of client requests
   */
  public Session(Map<String, Transport> upstreams, boolean namespaced, Stages stages, Executor executor,
      Executor notificationLane, ClientConnection client, Duration serverRequestTimeout,
      @Nullable Duration initializeTimeout, List<String> protocolVersions, Map<String, Object> sessionAttributes,
      Telemetry telemetry) {
    this.router = new Router(List.copyOf(upstreams.keySet()), namespaced);
    this.handOff = !stages.isEmpty();
    this.executor = executor;
    this.serverRequests = new ServerRequests(serverRequestTimeout);
    Executor pluginExecutor = handOff ? executor : null;
    this.listens = namespaced ? new ListenFanOut(router, this::toUpstream, client) : null;
    upstreams.forEach((name, connection) -> {
      Transport transport = new VersionedUpstream(name, connection);
      ClientConnection towardsClient = listens != null ? listens.towardsClientFrom(name) : client;
      links.put(name, new UpstreamLink(name, transport,
        stages.towardsUpstream(name, new UpstreamStage(name, transport, initializeTimeout, pluginExecutor)),
        stages.towardsClient(name, new ClientStage(name, towardsClient, serverRequests, pluginExecutor))));
    });
    this.calls = new ClientCalls(client, telemetry);
    this.handshake = new Handshake(router.upstreams(), namespaced, protocolVersions, sessionAttributes);
    this.fanOut = new ListFanOut(router, this::toUpstream);
    this.relay = new NotificationRelay(new ArrayList<>(links.values()), handshake, calls, serverRequests,
        notificationLane, telemetry);
    Transport only = upstreams.size() == 1 ? upstreams.values().iterator().next() : null;
    // Bytes pass through only where nothing would look at the message: no plugin, no namespacing.
    // Metrics are recorded from the bytes, spans read and write the trace context in them.
    this.telemetry = telemetry;
    this.passThrough = !handOff && !namespaced && only instanceof StdioTransport stdio ? stdio : null;
  }

  /** Starts every upstream; one that cannot start is logged and reported to requests routed to it. */
  public void start() {
    for (UpstreamLink link : links.values()) {
      link.transport().setInboundHandler(relay.fromUpstream(link));
      try {
        link.transport().start();
      } catch (GatekitException e) {
        log.error("Upstream '{}' could not be started: {}", link.name(), e.getMessage());
      }
    }
  }

  /**
   * Returns whether a request of a client of this generation may pass to the upstream {@code name}
   * untranslated: the upstream's generation is known and is the same. A pass-through path (bytes
   * straight to the upstream's transport) must take only such requests; a 2025-era client's after
   * its {@code initialize}: {@code isTransparent(name, Generation.Y2025)}.
   */
  boolean isTransparent(String name, Generation client) {
    UpstreamLink link = links.get(name);
    return link != null && link.transport() instanceof VersionedUpstream versioned
        && versioned.isTransparentFor(client);
  }

  /** Takes one message from the client. Never blocks. */
  public void receive(JsonRpcMessage message) {
    if (message instanceof JsonRpcRequest request) {
      receiveRequest(request);
    } else if (message instanceof JsonRpcNotification notification) {
      if (McpMethods.NOTIFICATIONS_CANCELLED.equals(notification.method())) {
        cancelByClient(notification);
      } else {
        relay.fromClient(notification);
      }
    } else if (message instanceof JsonRpcResponse response && !serverRequests.complete(response)) {
      log.warn("The client answered id {}, which no upstream is waiting for; dropped", response.id());
    }
  }

  /**
   * Takes one line from the client as bytes, when the session can pass it on so: no plugins, one
   * upstream behind a {@link StdioTransport}, no namespacing, the session initialized, every
   * notification the client sent before it gone upstream, and the line a request other than {@code
   * initialize} and {@code ping} that {@link JsonRpcLineScanner} is sure of. The request then goes
   * upstream as the client's line with only its id replaced ({@link StdioTransport#relay}) and, when
   * spans are made, the upstream call's trace context spliced into its {@code params._meta} ({@link
   * RelayedRequest}; a line the splice is not sure of is not taken), and its
   * answer comes back to the client as the upstream's line with only the client's id put back, on the
   * transport's reader, with no hand-off. It is the same request as on the ordinary way in every
   * other respect: an id already in flight is refused, the client can cancel it, and a timeout or a
   * failed upstream ends it with the same error. Returns false, having done nothing, otherwise: the
   * line is then to be decoded and given to {@link #receive}. Never blocks; reads the buffer only
   * during the call.
   */
  public boolean receiveLine(byte[] buffer, int offset, int length) {
    StdioTransport upstream = passThrough;
    if (upstream == null || !handshake.isInitialized() || !relay.clientNotificationsPassed().isDone()
        || !inOrder.isIdle() || !isTransparent(router.upstreams().get(0), Generation.Y2025)) {
      return false; // a 2025-era client behind a 2026-era server needs its requests translated
    }
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(buffer, offset, length);
    if (members == null || !members.isRequest() || McpMethods.INITIALIZE.equals(members.method())
        || McpMethods.PING.equals(members.method())) {
      return false;
    }
    // With spans, the trace context is read from the line and the upstream call's spliced into it.
    RelayedRequest relayed = telemetry.tracing() ? RelayedRequest.read(telemetry, buffer, offset, length, members) : null;
    if (relayed == null && telemetry.tracing()) {
      return false; // trace context the splice is not sure of
    }
    ClientCall call = calls.begin(relayed != null ? relayed.request() : new JsonRpcRequest(
        Objects.requireNonNull(members.id()), Objects.requireNonNull(members.method()), null));
    if (call == null) {
      return true; // refused: the id is in flight already
    }
    CompletableFuture<byte[]> answer;
    try {
      Duration timeout = upstream.options().requestTimeout();
      if (relayed != null && call.telemetry != null) {
        RelayedRequest.Line line = call.telemetry.relay(router.upstreams().get(0), relayed);
        answer = upstream.relay(line.buffer(), line.offset(), line.length(), line.members(), timeout);
      } else {
        answer = upstream.relay(buffer, offset, length, members, timeout);
      }
    } catch (RuntimeException e) {
      log.error("Handling {} failed", call.request.method(), e);
      calls.finish(call, Outcome.failed(ErrorCodes.INTERNAL_ERROR, "Internal error in the gateway"));
      return true;
    }
    call.track(answer);
    answer.whenComplete((line, failure) -> {
      if (call.telemetry != null) {
        call.telemetry.passedThrough(router.upstreams().get(0), line);
      }
      if (line != null) {
        calls.finishEncoded(call, line);
      } else {
        calls.finish(call, Failures.outcomeOf(failure));
      }
    });
    return true;
  }

  /** Answers input from the client that was not a valid message. */
  public void replyMalformed(ProtocolException problem) {
    calls.replyMalformed(problem);
  }

  /** Returns a snapshot of the counters. */
  public ProxyStats stats() {
    return calls.stats();
  }

  /** Returns whether every client request taken so far has been answered and its answer handed over. */
  public boolean isIdle() {
    return calls.isIdle();
  }

  /**
   * Closes every upstream, which fails what is in flight, and gives up the upstreams' requests still
   * waiting for the client.
   */
  @Override
  public void close() {
    serverRequests.cancelAll();
    links.values().forEach(link -> link.transport().close());
  }

  private void receiveRequest(JsonRpcRequest request) {
    ClientCall call = calls.begin(request);
    if (call == null) {
      return;
    }
    if (!handOff) {
      // Nothing can block (routing, then a transport's non-blocking send), so the request goes
      // upstream from this thread, unless something the client sent before it still waits.
      inOrder.submit(call, relay.clientNotificationsPassed());
      return;
    }
    // With plugins, requests run concurrently on the executor (a plugin may block), but a request
    // never overtakes a notification sent before it (notifications/initialized must reach the server
    // before the first request).
    CompletableFuture<?> notificationsBefore = relay.clientNotificationsPassed();
    backlog.add();
    if (notificationsBefore.isDone()) {
      handleOnExecutor(call);
    } else {
      notificationsBefore.whenComplete((ignored, failure) -> handleOnExecutor(call));
    }
  }

  /**
   * Waits while more than {@code limit} requests taken from the client have not yet been handed to
   * their upstream (see {@link Backlog}); for the client's reader, before it takes the next message.
   * Returns whether it waited.
   */
  public boolean awaitBacklogAtMost(int limit) throws InterruptedException {
    return backlog.awaitAtMost(limit);
  }

  /** Runs the request's chain on the executor; it was counted in the backlog, and leaves it here. */
  private void handleOnExecutor(ClientCall call) {
    try {
      executor.execute(() -> {
        try {
          handle(call);
        } finally {
          backlog.remove();
        }
      });
    } catch (RuntimeException e) {
      backlog.remove();
      calls.finish(call, Outcome.failed(
          ErrorCodes.UPSTREAM_UNAVAILABLE, "The gateway is shutting down"));
    }
  }

  private void handle(ClientCall call) {
    CompletableFuture<Outcome> answer;
    try {
      answer = dispatch(call);
    } catch (RuntimeException e) {
      log.error("Handling {} failed", call.request.method(), e);
      answer = CompletableFuture.completedFuture(
          Outcome.failed(ErrorCodes.INTERNAL_ERROR, "Internal error in the gateway"));
    }
    answer.whenComplete((outcome, failure) -> calls.finish(call,
        outcome != null ? outcome : Failures.outcomeOf(failure)));
  }

  private CompletableFuture<Outcome> dispatch(ClientCall call) {
    JsonRpcRequest request = call.request;
    return switch (request.method()) {
      case McpMethods.INITIALIZE -> handshake.initialize(call, this::toUpstream);
      case McpMethods.PING -> CompletableFuture.completedFuture(
          Outcome.answered(JsonRpcResponse.success(request.id(), JsonNodeFactory.instance.objectNode())));
      default -> Generation.of(request) == Generation.Y2026
          ? handshake.stateless(request, () -> route(call))
          : handshake.whenInitialized(request, () -> route(call), executor);
    };
  }

  private CompletableFuture<Outcome> route(ClientCall call) {
    if (router.namespaced() && Generation.SERVER_DISCOVER.equals(call.request.method())) {
      return fanOut.discover(call);
    }
    if (listens != null && Generation.SUBSCRIPTIONS_LISTEN.equals(call.request.method())
        && Generation.of(call.request) == Generation.Y2026) {
      return listens.listen(call);
    }
    Router.Route route = router.route(call.request);
    if (route instanceof Router.To to) {
      return toUpstream(call, to.upstream(), to.request());
    }
    if (route instanceof Router.ToAll all) {
      return all.member() == null ? fanOut.broadcast(call) : fanOut.list(call, all.member());
    }
    Router.Refuse refuse = (Router.Refuse) route;
    return CompletableFuture.completedFuture(Outcome.failed(refuse.code(), refuse.message()));
  }

  /** Runs one request of {@code call} through the chain of {@code upstream}. */
  private CompletableFuture<Outcome> toUpstream(ClientCall call, String upstream, JsonRpcRequest request) {
    PluginContext context = new PluginContext(Direction.CLIENT_TO_UPSTREAM, upstream, call.request.id(),
        request.method(), handshake.attributes());
    return Chain.run(links.get(upstream).towardsUpstream(), new Passage(context, call.startNanos, call, call.telemetry),
        request);
  }

  private void cancelByClient(JsonRpcNotification notification) {
    calls.countNotification();
    RequestId requestId = NotificationRelay.cancelledId(notification);
    if (requestId == null || !calls.cancel(requestId)) {
      log.debug("The client cancelled {}, which is not in flight; ignored", requestId);
    }
  }
}
