package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
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
import dev.gatekit.transport.stdio.StdioTransport;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream connection of a session as the client's protocol generation needs it: finds out once
 * per connection which generation the upstream speaks, and translates where the two differ.
 *
 * <ul>
 *   <li>Same generation: everything passes untouched ({@link #isTransparentFor}).
 *   <li>2025-era client: its {@code initialize} goes upstream as sent; an upstream that answers it
 *       is 2025-era. One that refuses it is asked {@code server/discover}; when that shows a
 *       2026-era server, {@code initialize} is answered from the discovery, every later request
 *       gets the {@code _meta} fields (version, the capabilities and info from the client's
 *       {@code initialize}), {@code notifications/initialized} is dropped, and {@code
 *       logging/setLevel} is answered here (its level then travels in {@code _meta}). An {@code
 *       input_required} result is played to the client as server-to-client requests, and the
 *       request retried with the answers until it completes ({@link InputPlayback}).
 *   <li>2026-era client: the upstream is probed with {@code server/discover} (the specification's
 *       stdio backward-compatibility probe). A proper discovery result means 2026-era: pass-through.
 *       An error or no answer in time means 2025-era, the bridge: the upstream is initialized once
 *       (with the client's capabilities), {@code server/discover} is answered from that, the
 *       protocol members of {@code _meta} are stripped from requests, results get {@code
 *       resultType: "complete"} (and the cache hints and server info the new client expects), a
 *       change of the per-request log level becomes {@code logging/setLevel} ({@link
 *       LegacyLogLevel}), and a sampling, elicitation or roots request the upstream sends while a
 *       client request is open becomes that request's {@code input_required} result; the client's
 *       retry (with {@code inputResponses} and the gateway's {@code requestState}) answers the
 *       upstream's request and waits on for the original answer.
 * </ul>
 *
 * When the transport restarts the upstream, the generation found out is forgotten and found out
 * again by the next request that needs it (a restarted process may speak the other generation): a
 * 2025-era client's upstream back as a 2026-era server is bridged from then on (the transport's
 * replay of the client's {@code initialize} was refused), one back as a 2025-era server after
 * having been bridged gets the client's {@code initialize}; a 2026-era client's upstream is probed
 * again. Open bridged listens do not wait for a request: {@link RestartWatch} finds the restart,
 * and their URIs are subscribed again (or, back as a 2026-era server, each listen ends gracefully).
 *
 * <p>A 2026-era client's {@code subscriptions/listen} to a 2025-era upstream becomes what the old
 * server offers ({@link ListenBridge}): {@code resources/subscribe} for its URIs, and the server's
 * change notifications delivered as the listen's; they reach only the listens that asked for them.
 *
 * <p>Not covered by the bridge: a server request while no client request is open (refused).
 * Thread-safe.
 */
final class VersionedUpstream implements Transport {

  private static final Logger log = LoggerFactory.getLogger(VersionedUpstream.class);
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  /** How long the probe waits before deciding the upstream is 2025-era (it never answered). */
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
  private static final String STATE_PREFIX = "gatekit-bridge-";
  private static final Set<String> CACHEABLE = Set.of(McpMethods.TOOLS_LIST, McpMethods.PROMPTS_LIST,
      McpMethods.RESOURCES_LIST, McpMethods.RESOURCES_TEMPLATES_LIST, McpMethods.RESOURCES_READ);
  private static final Set<String> INPUT_METHODS =
      Set.of(McpMethods.SAMPLING_CREATE_MESSAGE, McpMethods.ELICITATION_CREATE, McpMethods.ROOTS_LIST);

  private final String name;
  private final Transport upstream;
  private final AtomicReference<@Nullable CompletableFuture<Generation>> generation = new AtomicReference<>();
  /** The 2025-era upstream's {@code initialize} result, for a 2026-era client (the bridge). */
  private final AtomicReference<@Nullable CompletableFuture<JsonNode>> bridgeInitialize = new AtomicReference<>();
  /** The {@code _meta} fields added to a 2025-era client's requests to a 2026-era upstream. */
  private volatile @Nullable ObjectNode addedMeta;
  private volatile @Nullable InboundHandler handler;
  private volatile boolean clientIs2026;
  /** The transport's restart count when the upstream's generation was last found out. */
  private volatile long foundAtRestarts;
  /** A 2025-era client's {@code initialize}, for an upstream found to be 2025-era after a restart. */
  private volatile @Nullable JsonRpcRequest clientInitialize;
  /**
   * Whether the transport holds the client's {@code initialize} as answered, and so replays it to a
   * restarted upstream (a {@code StdioTransport} does; it forgets one a restarted server refused).
   */
  private volatile boolean transportHoldsInitialize;
  private final ConcurrentLinkedDeque<BridgedCall> open = new ConcurrentLinkedDeque<>();
  private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
  private final AtomicLong nextId = new AtomicLong();
  /** Plays a 2026-era upstream's {@code input_required} rounds to a 2025-era client. */
  private final InputPlayback playback;
  /** Keeps a 2025-era upstream's log level where its 2026-era clients' requests ask for it. */
  private final LegacyLogLevel logLevel;
  /** A 2026-era client's {@code subscriptions/listen} towards a 2025-era upstream. */
  private final ListenBridge listens;
  /** Notices a restart of the upstream while listens are open, which no request may follow for long. */
  private final RestartWatch restartWatch;
  /** The {@code _meta} of the last bridged listen's client, for the probe after a restart. */
  private volatile @Nullable JsonNode bridgeProbe;

  VersionedUpstream(String name, Transport upstream) {
    this.name = name;
    this.upstream = upstream;
    this.playback = new InputPlayback(name, upstream, () -> handler);
    this.logLevel = new LegacyLogLevel(name, upstream);
    this.listens = new ListenBridge(name, upstream, () -> handler);
    this.restartWatch = new RestartWatch(upstream, listens::hasOpen, this::afterRestartWithListens);
  }

  /**
   * Returns whether a request of this generation may pass to the upstream as bytes, untranslated:
   * only once the upstream's generation is known and it is the same. The hook for a pass-through
   * path that skips this class.
   */
  boolean isTransparentFor(Generation client) {
    CompletableFuture<Generation> known = generation.get();
    return known != null && known.isDone() && !known.isCompletedExceptionally() && known.join() == client
        && restarts() == foundAtRestarts; // a restarted upstream may speak the other generation
  }

  /** Returns the upstream's generation, or null while it is not known. */
  @Nullable Generation generation() {
    CompletableFuture<Generation> known = generation.get();
    return known != null && known.isDone() && !known.isCompletedExceptionally() ? known.join() : null;
  }

  @Override
  public void start() {
    upstream.start();
  }

  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request) {
    return sendAndReceive(request, upstream.options().requestTimeout());
  }

  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request, Duration timeout) {
    if (McpMethods.INITIALIZE.equals(request.method())) {
      return initializeFor2025Client(request, timeout);
    }
    if (Generation.of(request) == Generation.Y2026) {
      clientIs2026 = true;
      Generation known = generationSinceRestart();
      if (known != null) { // the usual case: the upstream's own future, which the caller may cancel
        return known == Generation.Y2026 ? upstream.sendAndReceive(request, timeout) : bridge(request, timeout);
      }
      return then(generationFor(request, timeout), found -> found.generation() == Generation.Y2026
          ? (found.answer() != null ? CompletableFuture.completedFuture(found.answer())
              : upstream.sendAndReceive(request, timeout))
          : bridge(request, timeout));
    }
    if (addedMeta == null) { // a 2025-era client with a 2025-era upstream: nothing to translate
      if (clientInitialize == null || generation() == null || restarts() == foundAtRestarts) {
        return upstream.sendAndReceive(request, timeout);
      }
      generationSinceRestart(); // restarted: it may be back as a 2026-era server, found out again below
    }
    Generation known = generationSinceRestart();
    if (known == null) {
      return then(rediscoverFor2025Client(timeout), found -> to2025ClientsUpstream(request, timeout));
    }
    return to2025ClientsUpstream(request, timeout);
  }

  /** A 2025-era client's request (not {@code initialize}), translated when its upstream is 2026-era. */
  private CompletableFuture<JsonRpcResponse> to2025ClientsUpstream(JsonRpcRequest request, Duration timeout) {
    ObjectNode meta = addedMeta;
    if (meta == null || generation() != Generation.Y2026) {
      return upstream.sendAndReceive(request, timeout);
    }
    if (McpMethods.LOGGING_SET_LEVEL.equals(request.method())) {
      JsonNode level = request.params() == null ? null : request.params().get("level");
      if (level != null && level.isTextual()) {
        ObjectNode withLevel = meta.deepCopy();
        withLevel.put(Generation.LOG_LEVEL, level.textValue());
        addedMeta = withLevel;
      }
      return CompletableFuture.completedFuture(JsonRpcResponse.success(request.id(), JSON.objectNode()));
    }
    return playback.play(request.withParams(withMeta(request.params(), meta)), timeout);
  }

  @Override
  public void sendNotification(JsonRpcNotification notification) {
    if (McpMethods.NOTIFICATIONS_INITIALIZED.equals(notification.method())
        && (generation() == Generation.Y2026 || bridgeInitialize.get() != null)) {
      return; // a 2026-era server has no handshake; the bridge sent its own
    }
    upstream.sendNotification(notification);
  }

  @Override
  public void setInboundHandler(InboundHandler value) {
    this.handler = value;
    upstream.setInboundHandler(new Inbound());
  }

  @Override
  public TransportState state() {
    return upstream.state();
  }

  @Override
  public TransportStats stats() {
    return upstream.stats();
  }

  @Override
  public TransportOptions options() {
    return upstream.options();
  }

  @Override
  public void close() {
    restartWatch.stop();
    listens.closeAll(); // each ends with its result, and gives its URIs up before the connection goes
    waiting.values().forEach(w -> w.answer().cancel(false));
    waiting.clear();
    upstream.close();
  }

  /**
   * {@code next} applied to {@code first}'s value, as one future: at once when {@code first} is
   * done; cancelling the result cancels the future of {@code next} (so the transport tells the
   * upstream), and failures arrive unwrapped.
   */
  private static <T> CompletableFuture<JsonRpcResponse> then(
      CompletableFuture<T> first, java.util.function.Function<T, CompletableFuture<JsonRpcResponse>> next) {
    if (first.isDone() && !first.isCompletedExceptionally()) {
      return next.apply(first.join());
    }
    CompletableFuture<JsonRpcResponse> result = new CompletableFuture<>();
    first.whenComplete((value, failure) -> {
      if (failure != null) {
        result.completeExceptionally(unwrap(failure));
        return;
      }
      if (result.isDone()) {
        return; // cancelled meanwhile: nothing is sent
      }
      CompletableFuture<JsonRpcResponse> inner;
      try {
        inner = next.apply(value);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      inner.whenComplete((answer, innerFailure) -> {
        if (innerFailure != null) {
          result.completeExceptionally(unwrap(innerFailure));
        } else {
          result.complete(answer);
        }
      });
      result.whenComplete((answer, ignored) -> {
        if (result.isCancelled()) {
          inner.cancel(false);
        }
      });
    });
    return result;
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException wrapped && wrapped.getCause() != null ? wrapped.getCause() : failure;
  }

  // ---- a 2025-era client ----

  private CompletableFuture<JsonRpcResponse> initializeFor2025Client(JsonRpcRequest request, Duration timeout) {
    clientInitialize = request;
    CompletableFuture<JsonRpcResponse> sent = upstream.sendAndReceive(request, timeout);
    CompletableFuture<JsonRpcResponse> result = then(sent, answer -> {
      if (!answer.isError()) {
        markFound();
        transportHoldsInitialize = true;
        generation.compareAndSet(null, CompletableFuture.completedFuture(Generation.Y2025));
        return CompletableFuture.completedFuture(answer);
      }
      ObjectNode params = request.params() instanceof ObjectNode p ? p : JSON.objectNode();
      ObjectNode meta = metaOf(request);
      JsonRpcRequest discover = new JsonRpcRequest(RequestId.of("gatekit-discover-" + nextId.incrementAndGet()),
          Generation.SERVER_DISCOVER, JSON.objectNode().set(Generation.META, meta));
      return probe(discover, timeout).thenApply(found -> {
        if (found.generation() != Generation.Y2026) {
          return answer; // the upstream's own refusal of initialize
        }
        markFound();
        generation.compareAndSet(null, CompletableFuture.completedFuture(Generation.Y2026));
        addedMeta = meta;
        log.info("Upstream '{}' speaks MCP 2026-07-28; its 2025-era client is bridged", name);
        return JsonRpcResponse.success(request.id(), initializeResultOf(params, found.answer().result()));
      });
    });
    result.whenComplete((answer, failure) -> {
      if (result.isCancelled()) {
        sent.cancel(false); // the client gave up its initialize: the transport tells the upstream
      }
    });
    return result;
  }

  /** The {@code _meta} fields a 2026-era server needs in each request of the client of {@code initialize}. */
  private static ObjectNode metaOf(JsonRpcRequest initialize) {
    ObjectNode params = initialize.params() instanceof ObjectNode p ? p : JSON.objectNode();
    ObjectNode meta = JSON.objectNode();
    meta.put(Generation.PROTOCOL_VERSION, Generation.SUPPORTED_2026.get(0));
    meta.set(Generation.CLIENT_CAPABILITIES, params.path("capabilities").isObject()
        ? params.get("capabilities").deepCopy() : JSON.objectNode());
    if (params.path("clientInfo").isObject()) {
      meta.set(Generation.CLIENT_INFO, params.get("clientInfo").deepCopy());
    }
    return meta;
  }

  private static JsonNode initializeResultOf(JsonNode initializeParams, JsonNode discovery) {
    ObjectNode result = JSON.objectNode();
    JsonNode asked = initializeParams.path("protocolVersion");
    result.put("protocolVersion", asked.isTextual() ? asked.textValue() : McpMethods.LATEST_PROTOCOL_VERSION);
    result.set("capabilities", discovery.path("capabilities").isObject()
        ? discovery.get("capabilities").deepCopy() : JSON.objectNode());
    JsonNode serverInfo = Generation.meta(discovery).path(Generation.SERVER_INFO);
    if (serverInfo.isObject()) {
      result.set("serverInfo", serverInfo.deepCopy());
    } else {
      result.putObject("serverInfo").put("name", "upstream").put("version", "unknown");
    }
    if (discovery.path("instructions").isTextual()) {
      result.set("instructions", discovery.get("instructions"));
    }
    return result;
  }

  private static JsonNode withMeta(@Nullable JsonNode params, ObjectNode added) {
    ObjectNode copy = params instanceof ObjectNode p ? p.deepCopy() : JSON.objectNode();
    ObjectNode meta = copy.path(Generation.META) instanceof ObjectNode m ? m : copy.putObject(Generation.META);
    added.fields().forEachRemaining(field -> {
      if (!meta.has(field.getKey())) {
        meta.set(field.getKey(), field.getValue());
      }
    });
    return copy;
  }

  // ---- after a restart ----

  /** The transport's restart count; cheap for a {@link StdioTransport}, which is looked at on every request. */
  private long restarts() {
    return upstream instanceof StdioTransport stdio ? stdio.restarts() : upstream.stats().restarts();
  }

  /** Notes the transport's restart count at which the upstream's generation was found out. */
  private void markFound() {
    foundAtRestarts = restarts();
  }

  /**
   * Returns the upstream's generation, or null when it is not known, or no longer: when the
   * transport restarted the upstream since it was found out (a restarted process may speak the
   * other generation), it is forgotten, to be found out again by the next request.
   */
  private @Nullable Generation generationSinceRestart() {
    Generation known = generation();
    if (known == null) {
      return null;
    }
    long restarts = restarts();
    if (restarts == foundAtRestarts) {
      return known;
    }
    CompletableFuture<Generation> current = generation.get();
    foundAtRestarts = restarts;
    if (current != null && current.isDone() && generation.compareAndSet(current, null)) {
      log.info("Upstream '{}' was restarted; its protocol generation is found out again", name);
    }
    return generation();
  }

  /**
   * Finds out again, after a restart, the generation of an upstream a 2025-era client was bridged
   * to: {@code server/discover} with the client's fields; a 2026-era answer keeps the bridge, else
   * the upstream gets the client's own {@code initialize} (and {@code notifications/initialized})
   * and is spoken to in 2025 form from then on.
   */
  private CompletableFuture<Generation> rediscoverFor2025Client(Duration timeout) {
    CompletableFuture<Generation> mine = new CompletableFuture<>();
    if (!generation.compareAndSet(null, mine)) {
      CompletableFuture<Generation> other = generation.get();
      return other != null ? other : rediscoverFor2025Client(timeout);
    }
    JsonRpcRequest initialize = clientInitialize;
    ObjectNode bridged = addedMeta;
    ObjectNode meta = bridged != null ? bridged : initialize != null ? metaOf(initialize) : JSON.objectNode();
    JsonRpcRequest discover = new JsonRpcRequest(RequestId.of("gatekit-discover-" + nextId.incrementAndGet()),
        Generation.SERVER_DISCOVER, JSON.objectNode().set(Generation.META, meta));
    probe(discover, timeout).thenCompose(found -> {
      if (found.generation() == Generation.Y2026) {
        if (addedMeta == null) {
          addedMeta = meta;
          log.info("Restarted upstream '{}' speaks MCP 2026-07-28; its 2025-era client is bridged from now on", name);
        }
        transportHoldsInitialize = false; // a StdioTransport forgets the initialize the server refused
        return CompletableFuture.completedFuture(found.generation());
      }
      if (initialize == null || (bridged == null && transportHoldsInitialize)) {
        return CompletableFuture.completedFuture(found.generation()); // the transport replayed the client's initialize
      }
      return upstream.sendAndReceive(initialize.withId(RequestId.of("gatekit-initialize-" + nextId.incrementAndGet())),
          timeout).thenApply(answer -> {
            if (answer.isError()) {
              throw new CompletionException(new IllegalStateException(
                  "restarted upstream '" + name + "' refused initialize: " + answer.error().message()));
            }
            addedMeta = null;
            transportHoldsInitialize = true;
            upstream.sendNotification(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));
            log.info("Restarted upstream '{}' speaks MCP of the 2025 generation; its 2025-era client is no longer bridged",
                name);
            return Generation.Y2025;
          });
    }).whenComplete((found, failure) -> {
      if (failure != null) {
        generation.compareAndSet(mine, null); // find out next time
        mine.completeExceptionally(unwrap(failure));
      } else {
        markFound();
        mine.complete(found);
      }
    });
    return mine;
  }

  /**
   * The upstream was restarted while bridged listens were open (a 2025-era server does not keep a
   * subscription across a restart, and no request may come to find that out): its generation is
   * found out again at once, with the listening client's {@code _meta}. Back as a 2025-era server,
   * each URI the listens hold is subscribed again; back as a 2026-era one, each listen ends with its
   * graceful-close result, the specification's way of telling the client to listen again.
   */
  private void afterRestartWithListens() {
    JsonNode probe = bridgeProbe;
    JsonRpcRequest discover = new JsonRpcRequest(RequestId.of("gatekit-discover-" + nextId.incrementAndGet()),
        Generation.SERVER_DISCOVER, probe != null ? probe.deepCopy() : probeMetaOf2026());
    Duration timeout = upstream.options().requestTimeout();
    CompletableFuture<JsonRpcResponse> found;
    try {
      found = sendAndReceive(discover, timeout);
    } catch (RuntimeException e) {
      found = CompletableFuture.failedFuture(e);
    }
    found.whenComplete((answer, failure) -> {
      Generation now = generation();
      if (failure != null || now == null) {
        log.warn("Restarted upstream '{}': its generation could not be found out again for its listens: {}", name,
            failure != null ? unwrap(failure).toString() : "unknown");
        return; // the next restart, or the client's next request, tries again
      }
      if (now == Generation.Y2025) {
        log.info("Restarted upstream '{}' speaks MCP of the 2025 generation again; the URIs of its listens are "
            + "subscribed again", name);
        listens.resubscribe(timeout);
      } else {
        log.info("Restarted upstream '{}' speaks MCP 2026-07-28; its bridged listens end so that their clients "
            + "listen again", name);
        listens.endAllForNewServer();
      }
    });
  }

  private static JsonNode probeMetaOf2026() {
    ObjectNode params = JSON.objectNode();
    params.putObject(Generation.META).put(Generation.PROTOCOL_VERSION, Generation.SUPPORTED_2026.get(0));
    return params;
  }

  // ---- a 2026-era client: the probe ----

  private record Found(Generation generation, @Nullable JsonRpcResponse answer) {}

  /**
   * Finds out the upstream's generation once; {@code request}'s {@code _meta} goes with the probe.
   * When {@code request} is itself {@code server/discover}, it is the probe, and its answer comes
   * back with the finding.
   */
  private CompletableFuture<Found> generationFor(JsonRpcRequest request, Duration timeout) {
    CompletableFuture<Generation> known = generation.get();
    if (known == null) {
      CompletableFuture<Generation> mine = new CompletableFuture<>();
      if (generation.compareAndSet(null, mine)) {
        JsonRpcRequest discover = Generation.SERVER_DISCOVER.equals(request.method()) ? request
            : new JsonRpcRequest(RequestId.of("gatekit-discover-" + nextId.incrementAndGet()),
                Generation.SERVER_DISCOVER, probeParams(request));
        return probe(discover, timeout).whenComplete((found, failure) -> {
          if (failure != null) {
            generation.compareAndSet(mine, null); // the connection failed: find out next time
            mine.completeExceptionally(failure);
          } else {
            log.info("Upstream '{}' speaks MCP {}", name, found.generation() == Generation.Y2026
                ? "2026-07-28" : "of the 2025 generation; its 2026-era client is bridged");
            if (found.generation() == Generation.Y2026) {
              bridgeInitialize.set(null); // a 2025-era server back after a later restart is initialized anew
            }
            markFound();
            mine.complete(found.generation());
          }
        }).thenApply(found -> discover == request ? found : new Found(found.generation(), null));
      }
      known = generation.get();
      if (known == null) {
        return generationFor(request, timeout);
      }
    }
    return known.thenApply(g -> new Found(g, null));
  }

  private static JsonNode probeParams(JsonRpcRequest request) {
    ObjectNode meta = JSON.objectNode();
    JsonNode clientMeta = Generation.meta(request.params());
    for (String key : new String[] {Generation.PROTOCOL_VERSION, Generation.CLIENT_CAPABILITIES, Generation.CLIENT_INFO}) {
      if (clientMeta.has(key)) {
        meta.set(key, clientMeta.get(key));
      }
    }
    return JSON.objectNode().set(Generation.META, meta);
  }

  /** Sends {@code server/discover}: a proper discovery result means 2026-era, an error or silence 2025-era. */
  private CompletableFuture<Found> probe(JsonRpcRequest discover, Duration timeout) {
    Duration wait = timeout.compareTo(PROBE_TIMEOUT) < 0 ? timeout : PROBE_TIMEOUT;
    return upstream.sendAndReceive(discover, wait).handle((answer, failure) -> {
      if (failure != null) {
        Throwable cause = unwrap(failure);
        if (cause instanceof TransportClosedException closed) {
          throw new CompletionException(closed);
        }
        return new Found(Generation.Y2025, null); // no answer in time: a 2025-era server
      }
      boolean is2026 = !answer.isError() && answer.result().path("supportedVersions").isArray()
          && Generation.SUPPORTED_2026.stream().anyMatch(v -> contains(answer.result().get("supportedVersions"), v));
      return new Found(is2026 ? Generation.Y2026 : Generation.Y2025, answer);
    });
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode item : array) {
      if (value.equals(item.asText())) {
        return true;
      }
    }
    return false;
  }

  // ---- a 2026-era client, a 2025-era upstream: the bridge ----

  private CompletableFuture<JsonRpcResponse> bridge(JsonRpcRequest request, Duration timeout) {
    JsonNode state = request.params() == null ? null : request.params().get(Generation.REQUEST_STATE);
    if (state != null && state.isTextual() && waiting.containsKey(state.textValue())) {
      return resume(request, state.textValue());
    }
    return then(legacyInitialized(request, timeout), initialized -> {
      if (Generation.SUBSCRIPTIONS_LISTEN.equals(request.method())) {
        bridgeProbe = probeParams(request);
        CompletableFuture<JsonRpcResponse> listen = listens.listen(request, initialized, timeout);
        restartWatch.start();
        return listen;
      }
      if (Generation.SERVER_DISCOVER.equals(request.method())) {
        return CompletableFuture.completedFuture(JsonRpcResponse.success(request.id(), discoveryOf(initialized)));
      }
      return then(logLevel.before(request, initialized, timeout), ignored -> {
        // The call is open before the request leaves: the upstream may ask for input (sampling) before
        // sendAndReceive has even returned, and its request must find the call it belongs to.
        CompletableFuture<JsonRpcResponse> sent = new CompletableFuture<>();
        BridgedCall call = new BridgedCall(request, sent, initialized);
        open.add(call);
        sent.whenComplete((answer, failure) -> {
          open.remove(call);
          call.finish(answer, failure);
        });
        CompletableFuture<JsonRpcResponse> exchange;
        try {
          exchange = upstream.sendAndReceive(request.withParams(stripped(request.params())), timeout);
        } catch (RuntimeException e) {
          sent.completeExceptionally(e); // the round fails with it
          return call.round();
        }
        exchange.whenComplete((answer, failure) -> {
          if (failure != null) {
            sent.completeExceptionally(failure);
          } else {
            sent.complete(answer);
          }
        });
        sent.whenComplete((answer, failure) -> {
          if (sent.isCancelled()) {
            exchange.cancel(false); // the client gave the call up: so does the upstream exchange
          }
        });
        return call.round();
      });
    });
  }

  private CompletableFuture<JsonNode> legacyInitialized(JsonRpcRequest request, Duration timeout) {
    CompletableFuture<JsonNode> existing = bridgeInitialize.get();
    if (existing != null && !existing.isCompletedExceptionally()) {
      return existing;
    }
    CompletableFuture<JsonNode> mine = new CompletableFuture<>();
    if (!bridgeInitialize.compareAndSet(existing, mine)) {
      return legacyInitialized(request, timeout);
    }
    JsonNode clientMeta = Generation.meta(request.params());
    ObjectNode params = JSON.objectNode();
    params.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    params.set("capabilities", clientMeta.path(Generation.CLIENT_CAPABILITIES).isObject()
        ? clientMeta.get(Generation.CLIENT_CAPABILITIES).deepCopy() : JSON.objectNode());
    params.set("clientInfo", clientMeta.path(Generation.CLIENT_INFO).isObject()
        ? clientMeta.get(Generation.CLIENT_INFO).deepCopy()
        : JSON.objectNode().put("name", "gatekit").put("version", Versions.GATEKIT));
    JsonRpcRequest initialize = new JsonRpcRequest(
        RequestId.of("gatekit-initialize-" + nextId.incrementAndGet()), McpMethods.INITIALIZE, params);
    upstream.sendAndReceive(initialize, timeout).whenComplete((answer, failure) -> {
      if (failure != null) {
        mine.completeExceptionally(failure);
      } else if (answer.isError()) {
        mine.completeExceptionally(new CompletionException(new IllegalStateException(
            "upstream '" + name + "' refused initialize: " + answer.error().message())));
      } else {
        upstream.sendNotification(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));
        mine.complete(answer.result());
      }
    });
    return mine;
  }

  private static JsonNode discoveryOf(JsonNode initialized) {
    ObjectNode result = JSON.objectNode();
    result.put(Generation.RESULT_TYPE, "complete");
    result.putArray("supportedVersions").add(Generation.SUPPORTED_2026.get(0));
    result.set("capabilities", initialized.path("capabilities").isObject()
        ? initialized.get("capabilities").deepCopy() : JSON.objectNode());
    if (initialized.path("instructions").isTextual()) {
      result.set("instructions", initialized.get("instructions"));
    }
    result.put("ttlMs", 0);
    result.put("cacheScope", "private");
    if (initialized.path("serverInfo").isObject()) {
      result.putObject(Generation.META).set(Generation.SERVER_INFO, initialized.get("serverInfo").deepCopy());
    }
    return result;
  }

  /** The params without what a 2025-era server does not know: the protocol members of {@code _meta}, the retry's. */
  private static @Nullable JsonNode stripped(@Nullable JsonNode params) {
    if (!(params instanceof ObjectNode object)) {
      return params;
    }
    ObjectNode copy = object.deepCopy();
    copy.remove(Generation.INPUT_RESPONSES);
    copy.remove(Generation.REQUEST_STATE);
    if (copy.get(Generation.META) instanceof ObjectNode meta) {
      for (Iterator<String> keys = meta.fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (key.equals(Generation.PROTOCOL_VERSION) || key.equals(Generation.CLIENT_CAPABILITIES)
            || key.equals(Generation.CLIENT_INFO) || key.equals(Generation.LOG_LEVEL)) {
          keys.remove();
        }
      }
      if (meta.isEmpty()) {
        copy.remove(Generation.META);
      }
    }
    return copy;
  }

  /** A 2025-era server's answer as a 2026-era client expects it. */
  private static JsonRpcResponse completed(String method, JsonRpcResponse answer, JsonNode initialized) {
    if (answer.isError() || !(answer.result() instanceof ObjectNode result)) {
      return answer;
    }
    ObjectNode copy = result.deepCopy();
    if (!copy.has(Generation.RESULT_TYPE)) {
      copy.put(Generation.RESULT_TYPE, "complete");
    }
    if (CACHEABLE.contains(method)) {
      if (!copy.has("ttlMs")) {
        copy.put("ttlMs", 0);
      }
      if (!copy.has("cacheScope")) {
        copy.put("cacheScope", "private");
      }
    }
    if (initialized.path("serverInfo").isObject()) {
      ObjectNode meta = copy.path(Generation.META) instanceof ObjectNode m ? m : copy.putObject(Generation.META);
      if (!meta.has(Generation.SERVER_INFO)) {
        meta.set(Generation.SERVER_INFO, initialized.get("serverInfo").deepCopy());
      }
    }
    return JsonRpcResponse.success(answer.id(), copy);
  }

  /** The retry of a request that got {@code input_required}: answers the upstream's request, then waits on. */
  private CompletableFuture<JsonRpcResponse> resume(JsonRpcRequest retry, String state) {
    Waiting w = waiting.remove(state);
    if (w == null) {
      return CompletableFuture.completedFuture(JsonRpcResponse.failure(retry.id(), ErrorCodes.INVALID_PARAMS,
          "Invalid params: requestState is no longer pending"));
    }
    CompletableFuture<JsonRpcResponse> round = w.call().nextRound(retry.id());
    JsonNode response = retry.params() == null ? null : retry.params().path(Generation.INPUT_RESPONSES).get(w.key());
    if (response == null || response.isNull()) {
      w.answer().complete(JsonRpcResponse.failure(w.upstreamId(), ErrorCodes.INTERNAL_ERROR,
          "The client gave no answer to this request"));
    } else {
      w.answer().complete(JsonRpcResponse.success(w.upstreamId(), response));
    }
    return round;
  }

  private record Waiting(BridgedCall call, String key, RequestId upstreamId, CompletableFuture<JsonRpcResponse> answer) {}

  /** A bridged client request whose upstream answer is awaited, over one or more rounds with the client. */
  private final class BridgedCall {
    private final String method;
    private final CompletableFuture<JsonRpcResponse> sent;
    private final JsonNode initialized;
    private CompletableFuture<JsonRpcResponse> round = new CompletableFuture<>();
    private RequestId roundId;

    BridgedCall(JsonRpcRequest request, CompletableFuture<JsonRpcResponse> sent, JsonNode initialized) {
      this.method = request.method();
      this.sent = sent;
      this.initialized = initialized;
      this.roundId = request.id();
      watch(round);
    }

    synchronized CompletableFuture<JsonRpcResponse> round() {
      return round;
    }

    /** Starts the round of a retry; it ends with the upstream's answer or the next input request. */
    synchronized CompletableFuture<JsonRpcResponse> nextRound(RequestId retryId) {
      round = new CompletableFuture<>();
      roundId = retryId;
      watch(round);
      if (sent.isDone()) {
        sent.whenComplete(this::finish);
      }
      return round;
    }

    synchronized void finish(@Nullable JsonRpcResponse answer, @Nullable Throwable failure) {
      if (failure != null) {
        round.completeExceptionally(unwrap(failure));
      } else {
        round.complete(completed(method, answer, initialized).withId(roundId));
      }
    }

    /** Ends the current round with an {@code input_required} result; false when it has ended already. */
    synchronized boolean inputRequired(String key, String state, JsonRpcRequest serverRequest) {
      if (round.isDone()) {
        return false;
      }
      ObjectNode result = JSON.objectNode();
      result.put(Generation.RESULT_TYPE, "input_required");
      ObjectNode inputRequest = result.putObject("inputRequests").putObject(key);
      inputRequest.put("method", serverRequest.method());
      inputRequest.set("params", serverRequest.params() == null ? JSON.objectNode() : serverRequest.params());
      result.put(Generation.REQUEST_STATE, state);
      return round.complete(JsonRpcResponse.success(roundId, result));
    }

    synchronized boolean awaitingUpstream() {
      return !round.isDone();
    }

    /** A round the caller cancelled (the client cancelled it) gives the upstream call up too. */
    private void watch(CompletableFuture<JsonRpcResponse> r) {
      r.whenComplete((answer, failure) -> {
        if (r.isCancelled() && !sent.isDone()) {
          sent.cancel(false);
        }
      });
    }
  }

  /** What the upstream sends unasked: its input requests become {@code input_required} results for a 2026-era client. */
  private final class Inbound implements InboundHandler {
    @Override
    public void onNotification(JsonRpcNotification notification) {
      if (clientIs2026 && generation() == Generation.Y2025 && listens.deliver(notification)) {
        return; // a change notification: to the listens that asked for it, and to no one else
      }
      InboundHandler target = handler;
      if (target != null) {
        target.onNotification(notification);
      }
    }

    @Override
    public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
      InboundHandler target = handler;
      if (!clientIs2026 || generation() != Generation.Y2025) {
        return target != null ? target.onRequest(request) : InboundHandler.REFUSE_ALL.onRequest(request);
      }
      if (McpMethods.PING.equals(request.method())) {
        return CompletableFuture.completedFuture(JsonRpcResponse.success(request.id(), JSON.objectNode()));
      }
      if (INPUT_METHODS.contains(request.method())) {
        for (BridgedCall call : open) {
          if (!call.awaitingUpstream()) {
            continue;
          }
          String state = STATE_PREFIX + UUID.randomUUID();
          String key = "gatekit-" + nextId.incrementAndGet();
          CompletableFuture<JsonRpcResponse> answer = new CompletableFuture<>();
          waiting.put(state, new Waiting(call, key, request.id(), answer));
          if (call.inputRequired(key, state, request)) {
            answer.orTimeout(upstream.options().requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> waiting.remove(state));
            return answer;
          }
          waiting.remove(state);
        }
      }
      return CompletableFuture.completedFuture(JsonRpcResponse.failure(request.id(), ErrorCodes.METHOD_NOT_FOUND,
          "The gateway's client speaks MCP 2026-07-28 and has no request open that '" + request.method()
              + "' could be part of"));
    }
  }
}
