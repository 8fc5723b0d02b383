package dev.gatekit.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.support.InFlightLimiter;
import dev.gatekit.api.support.TransportCounters;
import dev.gatekit.testkit.Exchange.Phase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} to an upstream MCP server simulated in memory, which answers many requests
 * concurrently and records what it saw. Build one with {@link #builder()}, {@link #start()} it, and
 * {@link #close()} it when done.
 *
 * <p><b>Answers.</b> Each request is answered by the handler of its method ({@link Builder#handle},
 * {@link Builder#result}), or with a "method not found" error ({@code -32601}) when its method has
 * none, after the configured {@linkplain Builder#latency(Duration) latency}; the response carries the
 * caller's id, whatever id the handler put in it. A handler that throws is answered with an internal
 * error ({@code -32603}). Handlers run on the mock's worker threads, each on its own thread, so a
 * handler may block (for example on a latch) without holding up other requests. A
 * {@linkplain Builder#fault fault} replaces the answer of its method.
 *
 * <p><b>Limits and timeouts</b> behave exactly as in Gatekit's real transports, with the same
 * {@link TransportOptions}: past {@link TransportOptions#maxInFlight()} a request is rejected with
 * {@link OverloadedException} or waits in a bounded queue ({@link OverflowPolicy}). A request not
 * answered within its timeout (queue time included) fails with {@link RequestTimeoutException}; a
 * caller that cancels its future withdraws the request. In both cases the request no longer counts
 * as in flight, and if it had been sent upstream the mock records the {@code notifications/cancelled}
 * a real transport would send ({@link #cancellations()}). An answer that comes after its request
 * ended is dropped ({@link #droppedReplies()}).
 *
 * <p><b>Threads.</b> The future of an accepted request is completed on one of the mock's worker
 * threads, one outcome per task, never on the sending thread, the scheduler or under a lock, so
 * dependent stages may block or call the mock again (only a caller's own {@code cancel} completes it
 * on the caller's thread; a refused request gets a future that has already failed). Latencies and
 * timeouts share one scheduler thread: a thousand requests with the same latency are all in flight
 * together. The threads are daemon threads and stop at {@link #close()}.
 *
 * <p>Thread-safe: every method may be called from any thread, and {@link #close()} may race with
 * sends.
 */
public final class MockTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(MockTransport.class);

  /** How long {@link #awaitInFlight} parks between looks at the in-flight count. */
  private static final long POLL_NANOS = Duration.ofMillis(1).toNanos();

  private final TransportOptions options;
  private final Script script;
  private final InFlightLimiter limiter;
  private final TransportCounters counters = new TransportCounters();
  private final MockThreads threads = new MockThreads();
  private final Set<Exchange> pending = ConcurrentHashMap.newKeySet();

  /** Readers admit requests; the writer changes the state, so no request is admitted after close. */
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();

  private volatile TransportState state = TransportState.NEW;
  private volatile InboundHandler inboundHandler = InboundHandler.REFUSE_ALL;

  private final Queue<JsonRpcRequest> requests = new ConcurrentLinkedQueue<>();
  private final Queue<JsonRpcNotification> notifications = new ConcurrentLinkedQueue<>();
  private final Queue<RequestId> cancellations = new ConcurrentLinkedQueue<>();
  private final Queue<RequestId> droppedReplies = new ConcurrentLinkedQueue<>();

  private MockTransport(TransportOptions options, Script script) {
    this.options = options;
    this.script = script;
    this.limiter = new InFlightLimiter(options);
  }

  /**
   * Returns a builder of a mock with {@linkplain TransportOptions#defaults() default options}, no
   * latency, no faults and no handlers (every method answered with "method not found").
   */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------------------------------------
  // Transport

  /**
   * Moves the mock from {@link TransportState#NEW} to {@link TransportState#RUNNING}; does nothing
   * when it is running already.
   *
   * @throws TransportClosedException if the mock was closed or {@linkplain #disconnect()
   *     disconnected}
   */
  @Override
  public void start() {
    lifecycle.writeLock().lock();
    try {
      if (state.isTerminal()) {
        throw notRunning();
      }
      state = TransportState.RUNNING;
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /**
   * Sends {@code request} with the {@linkplain TransportOptions#requestTimeout() request timeout} of
   * the options; see {@link #sendAndReceive(JsonRpcRequest, Duration)}.
   */
  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request) {
    return sendAndReceive(request, options.requestTimeout());
  }

  /**
   * Sends {@code request} to the mock upstream and returns a future of its answer, carrying the id of
   * {@code request}.
   *
   * <p>The future fails with {@link TransportClosedException} when the mock is not running (then the
   * request counts nowhere) or is closed or disconnected while the request is pending, with
   * {@link OverloadedException} when the overflow policy refuses it, with
   * {@link RequestTimeoutException} after {@code timeout}, or with the exception of a
   * {@linkplain Fault#exception fault}. Cancelling it withdraws the request; {@code cancel} returns
   * false if the answer is already on its way. Completing it yourself (for example with {@link
   * CompletableFuture#orTimeout}) withdraws the request as a cancellation does.
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive or the latency function gives
   *     a negative latency
   */
  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(
      JsonRpcRequest request, Duration timeout) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    Exchange exchange =
        new Exchange(request, script.latencyOf(request), timeout, this::send, this::withdrawForCaller);
    InFlightLimiter.@Nullable Admission admission = admit(exchange);
    if (admission == null) {
      return CompletableFuture.failedFuture(notRunning());
    }
    if (admission == InFlightLimiter.Admission.REJECTED) {
      counters.rejected.increment();
      return CompletableFuture.failedFuture(new OverloadedException(options.overloadedMessage()));
    }
    exchange.whenComplete((response, failure) -> withdrawForCaller(exchange));
    return exchange;
  }

  /**
   * Records {@code notification} in {@link #notifications()}.
   *
   * @throws TransportClosedException if the mock is not running
   */
  @Override
  public void sendNotification(JsonRpcNotification notification) {
    Objects.requireNonNull(notification, "notification");
    if (state != TransportState.RUNNING) {
      throw notRunning();
    }
    notifications.add(notification);
  }

  /**
   * Sets the handler that receives what {@link #emitNotification} and {@link #emitRequest} emit. It
   * applies to messages delivered after this call; until it is called, {@link
   * InboundHandler#REFUSE_ALL} applies.
   */
  @Override
  public void setInboundHandler(InboundHandler handler) {
    this.inboundHandler = Objects.requireNonNull(handler, "handler");
  }

  /**
   * Returns the state: {@link TransportState#NEW}, {@link TransportState#RUNNING}, {@link
   * TransportState#FAILED} after {@link #disconnect()}, or {@link TransportState#CLOSED}.
   */
  @Override
  public TransportState state() {
    return state;
  }

  /** Returns a snapshot of the counters, kept exactly as a real transport keeps them. */
  @Override
  public TransportStats stats() {
    return counters.snapshot(limiter);
  }

  @Override
  public TransportOptions options() {
    return options;
  }

  /**
   * Closes the mock: fails every pending and queued request with {@link TransportClosedException}
   * (each counts as failed) and stops the mock's threads. Handlers still running are not interrupted;
   * their answers are dropped. Idempotent; never throws.
   */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (state == TransportState.CLOSED) {
        return;
      }
      state = TransportState.CLOSED;
    } finally {
      lifecycle.writeLock().unlock();
    }
    failEverythingPending("MockTransport closed");
    threads.shutdown();
  }

  // ---------------------------------------------------------------------------------------------
  // Simulating the upstream

  /**
   * Simulates the upstream dying: every pending and queued request fails at once with {@link
   * TransportClosedException} (each counts as failed, and no cancellation is recorded), the state
   * becomes {@link TransportState#FAILED}, and later sends fail at once. Does nothing once the mock
   * is closed or already disconnected.
   */
  public void disconnect() {
    lifecycle.writeLock().lock();
    try {
      if (state.isTerminal()) {
        return;
      }
      state = TransportState.FAILED;
    } finally {
      lifecycle.writeLock().unlock();
    }
    counters.deaths.increment();
    failEverythingPending("Mock upstream disconnected");
  }

  /**
   * Simulates a notification from the upstream: the inbound handler receives it on the mock's
   * inbound thread, after every message emitted before it.
   *
   * @throws IllegalStateException if the mock is not running
   */
  public void emitNotification(JsonRpcNotification notification) {
    Objects.requireNonNull(notification, "notification");
    deliverInbound(
        () -> {
          try {
            inboundHandler.onNotification(notification);
          } catch (RuntimeException e) {
            log.warn("Inbound handler failed on '{}'", notification.method(), e);
          }
        });
  }

  /**
   * Simulates a request from the upstream (such as {@code sampling/createMessage}): the inbound
   * handler receives it on the mock's inbound thread, after every message emitted before it, and the
   * returned future completes with its answer under the id of {@code request}. A handler that throws
   * or whose stage fails is answered with an internal error ({@code -32603}).
   *
   * @throws IllegalStateException if the mock is not running
   */
  public CompletableFuture<JsonRpcResponse> emitRequest(JsonRpcRequest request) {
    Objects.requireNonNull(request, "request");
    CompletableFuture<JsonRpcResponse> answer = new CompletableFuture<>();
    deliverInbound(
        () ->
            askInboundHandler(request)
                .whenComplete(
                    (response, failure) ->
                        threads.execute(
                            () -> answer.complete(inboundAnswer(request, response, failure)))));
    return answer;
  }

  // ---------------------------------------------------------------------------------------------
  // What the mock saw

  /**
   * Returns every request sent upstream so far, in the order the upstream received them, as the
   * callers sent them. Requests rejected by the overflow policy never reach the upstream and are not
   * listed; queued ones are listed once they leave the queue. An immutable snapshot.
   */
  public List<JsonRpcRequest> requests() {
    return List.copyOf(requests);
  }

  /** Returns every notification sent with {@link #sendNotification}, in order. An immutable snapshot. */
  public List<JsonRpcNotification> notifications() {
    return List.copyOf(notifications);
  }

  /**
   * Returns the ids (as the callers chose them) of the requests for which a real transport would
   * have sent {@code notifications/cancelled} upstream: sent requests that timed out or that their
   * caller cancelled, in that order. Requests that ended while still queued were never sent and are
   * not listed. An immutable snapshot.
   */
  public List<RequestId> cancellations() {
    return List.copyOf(cancellations);
  }

  /**
   * Returns the ids of the requests whose reply the upstream produced but no caller received: replies
   * lost by {@link Fault#droppedReply()}, and replies that came after their request had timed out,
   * been cancelled or failed. In the order they were dropped; an immutable snapshot.
   */
  public List<RequestId> droppedReplies() {
    return List.copyOf(droppedReplies);
  }

  /**
   * Returns the most requests the upstream held (sent, not yet answered) at the same moment; the
   * same as {@code stats().maxInFlight()}.
   */
  public int maxConcurrent() {
    return limiter.maxInFlight();
  }

  /**
   * Waits until at least {@code count} requests are in flight at once, or until {@code timeout} has
   * passed. Returns whether the count was reached; returns false at once if the waiting thread is
   * interrupted (and keeps its interrupt status).
   */
  public boolean awaitInFlight(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (limiter.inFlight() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || Thread.currentThread().isInterrupted()) {
        return false;
      }
      LockSupport.parkNanos(this, Math.min(left, POLL_NANOS));
    }
    return true;
  }

  @Override
  public String toString() {
    return "MockTransport{state=" + state + ", " + stats() + '}';
  }

  // ---------------------------------------------------------------------------------------------
  // The life of a request. Each path below that ends an exchange goes through end(exchange), and
  // only the one that ended it first counts it, records it and completes its future.

  /**
   * Admits {@code exchange} under the in-flight limit and starts its timeout, unless the policy
   * rejects it. Returns null, admitting nothing, when the mock is not running. Holding the read lock
   * keeps close and disconnect out, so they find every admitted exchange in {@link #pending}.
   */
  private InFlightLimiter.@Nullable Admission admit(Exchange exchange) {
    lifecycle.readLock().lock();
    try {
      if (state != TransportState.RUNNING) {
        return null;
      }
      pending.add(exchange);
      InFlightLimiter.Admission admission = limiter.admit(exchange.send());
      if (admission == InFlightLimiter.Admission.REJECTED) {
        pending.remove(exchange);
      } else {
        exchange.setTimer(threads.schedule(exchange.timeout(), () -> expire(exchange)));
      }
      return admission;
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Sends {@code exchange} upstream; the limiter calls this once the exchange holds a slot. Returns
   * false, declining the slot, if the exchange ended while it waited.
   */
  private boolean send(Exchange exchange) {
    if (!exchange.markSent()) {
      return false;
    }
    counters.sent.increment();
    requests.add(exchange.request());
    if (!(script.faultFor(exchange.request()) instanceof Fault.NoAnswer)) {
      threads.executeAfter(exchange.latency(), () -> answer(exchange));
    }
    return true;
  }

  /** The upstream's answer to a sent request, once its latency has passed; runs on a worker. */
  private void answer(Exchange exchange) {
    JsonRpcRequest request = exchange.request();
    Fault fault = script.faultFor(request);
    if (fault instanceof Fault.Failure failure) {
      if (end(exchange) != Phase.ENDED) {
        counters.failed.increment();
        exchange.completeExceptionally(failure.exception());
      }
      return;
    }
    JsonRpcResponse reply =
        fault instanceof Fault.ErrorResponse error
            ? error.responseTo(request)
            : script.respond(request);
    if (fault instanceof Fault.DroppedReply || end(exchange) == Phase.ENDED) {
      droppedReplies.add(request.id());
      return;
    }
    counters.completed.increment();
    exchange.complete(reply);
  }

  /** The request's timeout; runs on the scheduler, so completion goes to a worker. */
  private void expire(Exchange exchange) {
    Phase before = end(exchange);
    if (before == Phase.ENDED) {
      return;
    }
    counters.timedOut.increment();
    recordCancellationIfSent(exchange, before);
    RequestTimeoutException timedOut =
        new RequestTimeoutException(exchange.request().method(), exchange.timeout());
    threads.execute(() -> exchange.completeExceptionally(timedOut));
  }

  /**
   * Withdraws the request for its caller, who cancelled or completed the future. Returns false if the
   * request had already ended.
   */
  private boolean withdrawForCaller(Exchange exchange) {
    Phase before = end(exchange);
    if (before == Phase.ENDED) {
      return false;
    }
    counters.cancelled.increment();
    recordCancellationIfSent(exchange, before);
    return true;
  }

  private void failEverythingPending(String reason) {
    limiter.drainQueue(); // first, so that freed slots do not send queued requests
    for (Exchange exchange : pending) {
      if (end(exchange) != Phase.ENDED) {
        counters.failed.increment();
        TransportClosedException closed = new TransportClosedException(reason);
        threads.execute(() -> exchange.completeExceptionally(closed));
      }
    }
  }

  /**
   * Ends {@code exchange} unless it has ended already, giving back its slot or its place in the
   * queue. Returns the phase it ended in, or {@link Phase#ENDED} if someone else ended it first.
   */
  private Phase end(Exchange exchange) {
    Phase before = exchange.end();
    if (before != Phase.ENDED) {
      pending.remove(exchange);
      if (before == Phase.SENT) {
        limiter.release();
      } else {
        limiter.withdraw(exchange.send()); // if it already left the queue, send() frees its slot
      }
    }
    return before;
  }

  private void recordCancellationIfSent(Exchange exchange, Phase before) {
    if (before == Phase.SENT) {
      cancellations.add(exchange.request().id());
    }
  }

  private TransportClosedException notRunning() {
    return new TransportClosedException("MockTransport is not running (state " + state + ")");
  }

  // ---------------------------------------------------------------------------------------------
  // Unasked messages

  private void deliverInbound(Runnable delivery) {
    if (state != TransportState.RUNNING) {
      throw new IllegalStateException(
          "MockTransport is not running (state " + state + "); start it before emitting");
    }
    try {
      threads.deliverInbound(delivery);
    } catch (RejectedExecutionException closedMeanwhile) {
      throw new IllegalStateException("MockTransport is closed", closedMeanwhile);
    }
  }

  private CompletionStage<JsonRpcResponse> askInboundHandler(JsonRpcRequest request) {
    try {
      return Objects.requireNonNull(inboundHandler.onRequest(request), "onRequest returned null");
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  private static JsonRpcResponse inboundAnswer(
      JsonRpcRequest request, @Nullable JsonRpcResponse response, @Nullable Throwable failure) {
    if (failure == null && response != null) {
      return response.withId(request.id());
    }
    log.warn("Inbound handler failed on '{}'", request.method(), failure);
    return JsonRpcResponse.failure(
        request.id(),
        ErrorCodes.INTERNAL_ERROR,
        "Inbound handler failed on '" + request.method() + "': " + failure);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Builds a {@link MockTransport}. Later calls for the same method replace earlier ones. Not
   * thread-safe; the mock it builds holds its own copy of the configuration.
   */
  public static final class Builder {

    private TransportOptions options = TransportOptions.defaults();
    private final Map<String, Function<JsonRpcRequest, JsonRpcResponse>> handlers = new HashMap<>();
    private final Map<String, Fault> faults = new HashMap<>();
    private Function<JsonRpcRequest, Duration> latency = request -> Duration.ZERO;

    private Builder() {}

    /** Sets the in-flight limit, overflow policy, queue length and request timeout. */
    public Builder options(TransportOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Answers requests of {@code method} with {@code handler}, which runs on a worker thread of its
     * own and may block. The id of its response is replaced by the caller's id; if it throws, the
     * request is answered with an internal error ({@code -32603}).
     */
    public Builder handle(String method, Function<JsonRpcRequest, JsonRpcResponse> handler) {
      handlers.put(Objects.requireNonNull(method, "method"), Objects.requireNonNull(handler, "handler"));
      return this;
    }

    /**
     * Answers every request of {@code method} with {@code result}. The same tree is shared by every
     * response; as for any message, readers must not change it.
     */
    public Builder result(String method, JsonNode result) {
      Objects.requireNonNull(result, "result");
      return handle(method, request -> JsonRpcResponse.success(request.id(), result));
    }

    /** Answers every request after {@code latency} (zero, the default, answers at once). */
    public Builder latency(Duration latency) {
      Objects.requireNonNull(latency, "latency");
      if (latency.isNegative()) {
        throw new IllegalArgumentException("latency must not be negative, was " + latency);
      }
      return latency(request -> latency);
    }

    /**
     * Answers each request after the latency {@code latency} gives for it, which must not be negative.
     * The function runs on the sending thread, once per request.
     */
    public Builder latency(Function<JsonRpcRequest, Duration> latency) {
      this.latency = Objects.requireNonNull(latency, "latency");
      return this;
    }

    /** Injects {@code fault} for every request of {@code method}, in place of its answer. */
    public Builder fault(String method, Fault fault) {
      faults.put(Objects.requireNonNull(method, "method"), Objects.requireNonNull(fault, "fault"));
      return this;
    }

    /** Returns a new mock in state {@link TransportState#NEW}. */
    public MockTransport build() {
      return new MockTransport(options, new Script(handlers, faults, latency));
    }
  }
}
