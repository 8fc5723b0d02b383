package dev.gatekit.server.http.internal;

import dev.gatekit.proxy.ProxySession;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.support.JsonRpcLineScanner;
import dev.gatekit.proxy.ClientConnection;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's session at the HTTP front, and the {@link ClientConnection} of its proxy session: it
 * decides which HTTP response carries each message the proxy sends to the client.
 *
 * <ul>
 *   <li>A response goes to the POST that carried its request: as {@code application/json} when nothing
 *       else was sent on that POST before it, else as the last event of the POST's SSE stream.
 *   <li>A progress notification goes to the POST of the request whose {@code _meta.progressToken} it
 *       carries, turning that POST into an SSE stream if the client accepts one.
 *   <li>Anything else (logging, list changes, server-to-client requests, progress whose request cannot
 *       carry it) goes to the standalone GET stream if one is open, else to an open POST stream of the
 *       session (one already streaming first, the newest first), else waits in the standalone stream's
 *       buffer for the next GET.
 * </ul>
 *
 * <p>One lock (this object) guards every stream and exchange of the session; nothing under it blocks.
 */
public final class HttpSession implements ClientConnection {

  private static final Logger log = LoggerFactory.getLogger(HttpSession.class);
  private static final String STANDALONE = "0";

  private final String id;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final int replayCapacity;
  private final int maxKeptStreams;
  private final Runnable onClosed;
  private final java.util.concurrent.Executor closer;
  private final Map<RequestId, PostExchange> inFlight = new LinkedHashMap<>();
  private final Map<String, PostExchange> byProgressToken = new LinkedHashMap<>();
  /** Streams a client may resume: the standalone one and the latest POST streams, oldest first. */
  private final LinkedHashMap<String, EventStream> streams = new LinkedHashMap<>();
  private final EventStream standalone;
  private int streamCount;
  private volatile @Nullable ProxySession upstream;
  private volatile long lastActiveNanos = System.nanoTime();
  private boolean closed;

  HttpSession(String id, int replayCapacity, int maxKeptStreams, Runnable onClosed,
      java.util.concurrent.Executor closer) {
    this.id = id;
    this.closer = closer;
    this.replayCapacity = replayCapacity;
    this.maxKeptStreams = maxKeptStreams;
    this.onClosed = onClosed;
    this.standalone = new EventStream(STANDALONE, replayCapacity);
    streams.put(STANDALONE, standalone);
  }

  public String id() {
    return id;
  }

  void bind(ProxySession session) {
    this.upstream = session;
  }

  ProxySession upstream() {
    ProxySession current = upstream;
    if (current == null) {
      throw new IllegalStateException("session " + id + " is not open yet");
    }
    return current;
  }

  /** Marks the session as used now (every HTTP request of it does). */
  void touch() {
    lastActiveNanos = System.nanoTime();
  }

  /**
   * Whether the session has been idle for {@code timeoutNanos}: no request in flight, no stream
   * held open by the client, and nothing received for that long.
   */
  synchronized boolean isExpired(long nowNanos, long timeoutNanos) {
    if (closed || !inFlight.isEmpty()) {
      return false;
    }
    for (EventStream stream : streams.values()) {
      if (stream.isAttached()) {
        return false;
      }
    }
    ProxySession current = upstream;
    if (current != null && !current.isIdle()) {
      return false;
    }
    return nowNanos - lastActiveNanos > timeoutNanos;
  }

  /** Whether no client request of the session is in flight. */
  boolean isIdle() {
    ProxySession current = upstream;
    synchronized (this) {
      if (!inFlight.isEmpty()) {
        return false;
      }
    }
    return current == null || current.isIdle();
  }

  /** Writes a keep-alive to every open stream that has been silent for {@code quietNanos}. */
  synchronized void keepAlive(long nowNanos, long quietNanos) {
    for (EventStream stream : streams.values()) {
      SseWriter writer = stream.writer();
      if (writer != null && writer.isOpen() && nowNanos - writer.lastWriteNanos() > quietNanos) {
        writer.write(SseWriter.KEEP_ALIVE);
      }
    }
  }

  // ---- client to proxy ----

  /**
   * Takes a client request whose answer goes back on {@code response}; the handler's {@code callback}
   * completes when it has been written. Returns false if the session is closed (nothing was taken).
   */
  boolean submit(JsonRpcRequest request, Accepts accepts, Response response, Callback callback) {
    PostExchange exchange = register(request, accepts, response, callback);
    if (exchange == null) {
      return false;
    }
    watch(exchange);
    upstream().receive(request);
    return true;
  }

  /** What {@link #submitLine} did. */
  enum LineSubmission { PASSED, NOT_PASSED, CLOSED }

  /**
   * Takes a client request as the bytes it came in, for the proxy to pass upstream as they are ({@link
   * ProxySession#receiveLine}); its answer then comes back as bytes on the upstream's reader and is
   * written from there. {@code members} is what the scanner found in {@code body}: a request whose
   * params carry no progress token (a POST that may turn into a progress stream needs its request
   * decoded). Returns {@code NOT_PASSED}, having taken nothing, when the proxy cannot pass it on so
   * (then decode it and {@link #submit} it), {@code CLOSED} when the session is closed.
   */
  LineSubmission submitLine(byte[] body, JsonRpcLineScanner.Members members, Accepts accepts, Response response,
      Callback callback) {
    RequestId requestId = members.id();
    String method = members.method();
    if (requestId == null || method == null || !members.isRequest()) {
      return LineSubmission.NOT_PASSED;
    }
    PostExchange exchange = register(new JsonRpcRequest(requestId, method, null), accepts, response, callback);
    if (exchange == null) {
      return LineSubmission.CLOSED;
    }
    // Watched before it goes upstream: the answer may be written before receiveLine returns.
    watch(exchange);
    if (upstream().receiveLine(body, 0, body.length)) {
      return LineSubmission.PASSED;
    }
    synchronized (this) {
      forget(exchange);
      exchange.gone = true; // its listeners stay on the request; the exchange submitted next is the live one
    }
    return LineSubmission.NOT_PASSED;
  }

  /** Puts a request in flight under its id; null if the session is closed. */
  private @Nullable PostExchange register(JsonRpcRequest request, Accepts accepts, Response response, Callback callback) {
    PostExchange exchange = new PostExchange(request, accepts, response, callback);
    synchronized (this) {
      if (closed) {
        return null;
      }
      if (inFlight.containsKey(request.id())) {
        PostExchange earlier = inFlight.get(request.id());
        log.warn("Session {}: the client reused request id {} while it is in flight; the earlier request's"
            + " answer goes to the later POST", id, request.id());
        if (earlier != null) {
          forget(earlier);
        }
      }
      inFlight.put(request.id(), exchange);
      if (exchange.progressToken != null) {
        byProgressToken.put(exchange.progressToken, exchange);
      }
    }
    touch();
    return exchange;
  }

  private void watch(PostExchange exchange) {
    exchange.response.getRequest().addFailureListener(cause -> exchangeFailed(exchange, cause));
    exchange.response.getRequest().addIdleTimeoutListener(timeout -> false); // bounded by the proxy's request timeouts
  }

  /**
   * Ends the POST of a request the client cancelled ({@code notifications/cancelled}): no answer will
   * come for it, so its stream ends, or a POST still waiting gets 204 without a body.
   */
  void cancelled(RequestId requestId) {
    synchronized (this) {
      PostExchange exchange = inFlight.get(requestId);
      if (exchange == null) {
        return;
      }
      forget(exchange);
      if (exchange.stream != null) {
        exchange.stream.end();
      } else if (!exchange.gone) {
        exchange.gone = true;
        exchange.response.setStatus(204);
        exchange.response.write(true, java.nio.ByteBuffer.allocate(0), exchange.callback);
      }
    }
  }

  // ---- proxy to client ----

  /**
   * An answer the proxy passed on as bytes (a request taken by {@link #submitLine}): written as it is,
   * from the calling thread (the upstream's reader), when it is a response the scanner is sure of;
   * anything else is decoded and {@linkplain #send(JsonRpcMessage) sent} as usual.
   */
  @Override
  public void sendEncoded(byte[] line) {
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(line, 0, line.length);
    if (members == null || members.id() == null || members.method() != null
        || members.hasResult() == members.hasError()) {
      send(codec.decode(line));
      return;
    }
    answer(members.id(), members.hasError(), line, members);
  }

  @Override
  public void send(JsonRpcMessage message) {
    byte[] json = codec.encode(message);
    if (message instanceof JsonRpcResponse response) {
      answer(response.id(), response.isError(), json, message);
      return;
    }
    synchronized (this) {
      if (closed) {
        log.debug("Session {} is closed; dropped {}", id, message);
        return;
      }
      PostExchange related = relatedExchange(message);
      if (related != null) {
        deliverEvent(related, json);
      } else {
        deliverUnrelated(json);
      }
    }
    touch();
  }

  /** Delivers the answer {@code json} to the POST of request {@code requestId}; {@code what} names it in logs. */
  private void answer(@Nullable RequestId requestId, boolean isError, byte[] json, Object what) {
    boolean closeAfter;
    PostExchange direct = null;
    synchronized (this) {
      if (closed) {
        log.debug("Session {} is closed; dropped {}", id, what);
        return;
      }
      PostExchange exchange = requestId == null ? null : inFlight.get(requestId);
      if (exchange == null) {
        log.debug("Session {}: no request in flight for the answer {}; dropped", id, requestId);
        return;
      }
      forget(exchange);
      if (exchange.stream == null && !exchange.gone && exchange.accepts.json()) {
        direct = exchange; // forgotten: nothing else writes to its response any more
      } else {
        deliverAnswer(exchange, json);
      }
      closeAfter = exchange.initialize && isError;
    }
    if (direct != null) {
      writeJson(direct, json);
    }
    touch();
    if (closeAfter) {
      log.debug("Session {}: initialize failed; the session ends", id);
      closer.execute(this::close); // not on the proxy's thread: closing waits for upstreams to stop
    }
  }

  private @Nullable PostExchange relatedExchange(JsonRpcMessage message) {
    if (message instanceof JsonRpcNotification notification
        && McpMethods.NOTIFICATIONS_PROGRESS.equals(notification.method())
        && notification.params() != null) {
      JsonNode token = notification.params().get("progressToken");
      if (token != null) {
        PostExchange exchange = byProgressToken.get(token.toString());
        if (exchange != null && exchange.canStream()) {
          return exchange;
        }
      }
    }
    return null;
  }

  private void deliverUnrelated(byte[] json) {
    if (standalone.isAttached()) {
      standalone.append(json, false);
      return;
    }
    PostExchange target = null;
    for (PostExchange exchange : inFlight.values()) {
      if (exchange.stream != null && exchange.stream.isAttached()) {
        target = exchange; // an open stream, the newest
      } else if (exchange.canStream() && (target == null || target.stream == null)) {
        target = exchange;
      }
    }
    if (target != null) {
      deliverEvent(target, json);
    } else {
      standalone.append(json, false);
    }
  }

  private void deliverEvent(PostExchange exchange, byte[] json) {
    EventStream stream = exchange.stream;
    if (stream == null) {
      stream = startStream(exchange);
    }
    stream.append(json, false);
  }

  private void deliverAnswer(PostExchange exchange, byte[] json) {
    EventStream stream = exchange.stream;
    if (stream != null) {
      stream.append(json, true);
      return;
    }
    if (exchange.gone) {
      log.warn("Session {}: the client's POST of request {} was gone before its answer; dropped",
          id, exchange.request.id());
      return;
    }
    if (exchange.accepts.json()) {
      writeJson(exchange, json);
    } else {
      startStream(exchange).append(json, true);
    }
  }

  /**
   * Answers a POST with {@code application/json}, from the calling thread. Outside the session's lock
   * the connection then goes on to the client's next request on this thread ({@link
   * FrontThreadPool#resumeHere}), which saves a thread hand-off per request.
   */
  private void writeJson(PostExchange exchange, byte[] json) {
    Response response = exchange.response;
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    if (Thread.holdsLock(this)) {
      response.write(true, java.nio.ByteBuffer.wrap(json), exchange.callback);
    } else {
      FrontThreadPool.resumeHere(() -> response.write(true, java.nio.ByteBuffer.wrap(json), exchange.callback));
    }
  }

  private EventStream startStream(PostExchange exchange) {
    EventStream stream = new EventStream(Integer.toString(++streamCount), replayCapacity);
    exchange.stream = stream;
    keep(stream);
    SseWriter writer = new SseWriter(exchange.response, exchange.callback, this::writerDone);
    stream.attach(writer, 0L);
    return stream;
  }

  private void keep(EventStream stream) {
    streams.put(stream.id(), stream);
    if (streams.size() > maxKeptStreams + 1) {
      Iterator<EventStream> oldest = streams.values().iterator();
      while (streams.size() > maxKeptStreams + 1 && oldest.hasNext()) {
        EventStream candidate = oldest.next();
        if (candidate != standalone && !candidate.isAttached()) {
          oldest.remove();
        }
      }
    }
  }

  /**
   * Forgets a response that ended. Its stream stays kept even when every write succeeded: a write
   * that succeeded reached the socket, not necessarily the client, which may still resume the stream
   * (the oldest finished streams beyond the bound are dropped in {@link #keep}).
   */
  private void writerDone(SseWriter writer, boolean clean) {
    synchronized (this) {
      for (EventStream stream : streams.values()) {
        stream.detach(writer);
      }
    }
    touch();
  }

  private void exchangeFailed(PostExchange exchange, Throwable cause) {
    synchronized (this) {
      if (exchange.stream == null && !exchange.gone) {
        exchange.gone = true;
        log.debug("Session {}: the POST of request {} failed before its answer: {}", id, exchange.request.id(),
            cause.toString());
      }
    }
  }

  private void forget(PostExchange exchange) {
    inFlight.remove(exchange.request.id(), exchange);
    if (exchange.progressToken != null) {
      byProgressToken.remove(exchange.progressToken, exchange);
    }
  }

  // ---- GET ----

  /** What {@link #openStream} did. */
  enum StreamOpening { OPENED, CONFLICT, CLOSED }

  /**
   * Lets a GET carry a stream: the one {@code lastEventId} names (resumed after that event, taking it
   * over from an earlier connection), else the standalone stream, unless another GET holds it.
   */
  StreamOpening openStream(@Nullable String lastEventId, Response response, Callback callback) {
    SseWriter previous;
    SseWriter writer;
    synchronized (this) {
      if (closed) {
        return StreamOpening.CLOSED;
      }
      EventStream stream = standalone;
      Long after = null;
      if (lastEventId != null) {
        int dash = lastEventId.lastIndexOf('-');
        EventStream named = dash > 0 ? streams.get(lastEventId.substring(0, dash)) : null;
        Long sequence = dash > 0 ? parseSequence(lastEventId.substring(dash + 1)) : null;
        if (named != null && sequence != null) {
          stream = named;
          after = sequence;
          if (!named.canReplayAfter(sequence)) {
            log.warn("Session {}: events after {} were dropped from the replay buffer ({} kept); the client"
                + " missed some", id, lastEventId, replayCapacity);
          }
        } else {
          log.debug("Session {}: Last-Event-ID {} names no stream kept; opening the standalone stream", id,
              lastEventId);
        }
      }
      if (after == null && stream.isAttached()) {
        return StreamOpening.CONFLICT;
      }
      writer = new SseWriter(response, callback, this::writerDone);
      previous = stream.attach(writer, after);
    }
    touch();
    response.getRequest().addIdleTimeoutListener(timeout -> false); // kept alive by keep-alives
    if (previous != null) {
      previous.end();
    }
    writer.commit();
    return StreamOpening.OPENED;
  }

  private static @Nullable Long parseSequence(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  // ---- end ----

  /** {@link #close()} on a thread that may wait (never a Jetty or proxy thread). */
  java.util.concurrent.CompletableFuture<Void> closeLater() {
    return java.util.concurrent.CompletableFuture.runAsync(this::close, closer);
  }

  /**
   * Ends the session, waiting for its upstreams to stop: the proxy session closes (its own upstreams stop; what is in flight gets its
   * errors), then every stream ends and a POST still waiting gets an error. Idempotent.
   */
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
    }
    ProxySession current = upstream;
    if (current != null) {
      try {
        current.close();
      } catch (RuntimeException e) {
        log.warn("Session {}: closing its proxy session failed", id, e);
      }
    }
    List<PostExchange> waiting;
    synchronized (this) {
      closed = true;
      waiting = new ArrayList<>(inFlight.values());
      inFlight.clear();
      byProgressToken.clear();
      for (EventStream stream : streams.values()) {
        stream.end();
      }
      streams.clear();
    }
    for (PostExchange exchange : waiting) {
      byte[] error = codec.encode(JsonRpcResponse.failure(exchange.request.id(), ErrorCodes.UPSTREAM_UNAVAILABLE,
          "The session ended before the request was answered"));
      if (exchange.stream != null) {
        continue; // ended above
      }
      if (!exchange.gone) {
        Response response = exchange.response;
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, java.nio.ByteBuffer.wrap(error), exchange.callback);
      }
    }
    onClosed.run();
  }

  synchronized boolean isClosed() {
    return closed;
  }

  /** One POSTed client request until its answer is sent. */
  private static final class PostExchange {
    final JsonRpcRequest request;
    final Accepts accepts;
    final Response response;
    final Callback callback;
    final @Nullable String progressToken;
    final boolean initialize;
    @Nullable EventStream stream;
    boolean gone;

    PostExchange(JsonRpcRequest request, Accepts accepts, Response response, Callback callback) {
      this.request = request;
      this.accepts = accepts;
      this.response = response;
      this.callback = callback;
      this.initialize = McpMethods.INITIALIZE.equals(request.method());
      JsonNode params = request.params();
      JsonNode meta = params == null ? null : params.get("_meta");
      JsonNode token = meta == null ? null : meta.get("progressToken");
      this.progressToken = token == null || token.isNull() ? null : token.toString();
    }

    /** Whether more than its answer may go on this POST: it streams already, or may start to. */
    boolean canStream() {
      return stream != null ? stream.isAttached() || !stream.isFinished() : accepts.sse() && !gone;
    }
  }
}
