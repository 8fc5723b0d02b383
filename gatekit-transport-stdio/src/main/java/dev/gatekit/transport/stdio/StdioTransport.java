package dev.gatekit.transport.stdio;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import dev.gatekit.api.support.TransportTelemetry;
import dev.gatekit.transport.stdio.internal.LineSalvage;
import dev.gatekit.api.support.InboundRequests;
import dev.gatekit.api.support.JsonRpcLineScanner;
import dev.gatekit.api.support.ListenIds;
import dev.gatekit.api.support.MessageWriter;
import dev.gatekit.transport.stdio.internal.PendingRequests;
import dev.gatekit.api.support.SerialExecutor;
import dev.gatekit.transport.stdio.internal.SharedExecutors;
import dev.gatekit.transport.stdio.internal.UpstreamProcess;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} to an MCP server started as a subprocess, speaking newline-delimited JSON-RPC
 * over its stdin and stdout as the MCP stdio transport specifies.
 *
 * <p>Any number of requests may be in flight at once, up to {@link TransportOptions#maxInFlight()}.
 * Each request goes out under a wire id of the transport's own, and its response comes back with the
 * caller's id, so callers may reuse ids freely. One thread reads stdout and one drains stderr; stdin
 * is written by the sender of a lone small message itself, or else by a pool shared by every stdio
 * transport of the JVM, which batches bursts into few system calls and holds no thread for an idle
 * transport (an upstream that stops reading its stdin holds one of its threads until it reads or
 * ends; see the README, "Threads and memory per stdio upstream"). Callers' futures are completed on
 * a callback executor, never on the reader (except those of {@link #relay}, whose callers ask for
 * that).
 *
 * <p>What the server writes that is not a valid message for us — non-JSON, invalid JSON-RPC, blank
 * lines, invalid UTF-8, lines over {@link Builder#maxLineLength(int)}, responses to unknown ids — is
 * logged and dropped; the connection goes on. But a response that names a pending request and is
 * otherwise invalid (both {@code result} and {@code error}, invalid UTF-8, a bad {@code error}
 * object) fails that request at once with a {@link ProtocolException} of code {@link
 * ErrorCodes#INTERNAL_ERROR}, "Upstream 'x' sent an invalid response: " and a reason that quotes
 * nothing of the upstream's; the line is logged. A JSON array (a batch, which MCP does not have) is
 * taken element by element, each as if it had come on a line of its own.
 *
 * <p>When the server exits or closes stdout, or a thread of the connection (reader, stdin writer,
 * stderr drain) dies of anything, an {@code OutOfMemoryError} included, every pending request fails at once
 * with a {@link TransportClosedException}: its message names the exit code and the server's last
 * stderr lines, its {@link TransportClosedException#clientMessage() client message} only what
 * happened. Upstream stderr is logged at info under {@code dev.gatekit.upstream.<name>} through a
 * bounded queue: a log that cannot keep up loses lines (with a warning that counts them), never
 * stalls the server. A {@link RestartPolicy} can start it again; the transport then replays the
 * {@code initialize} handshake its caller last made, before accepting requests again. A restarted
 * server that answers that {@code initialize} with a JSON-RPC error is running, but takes no such
 * handshake (a 2026-07-28 server has none): the transport accepts requests without it, forgets the
 * handshake, and leaves it to its caller to find out what the server speaks; a replay that gets no
 * answer ends the run like any other failure.
 *
 * <p>{@link #close()} closes the server's stdin, waits, terminates it and every other process of its
 * tree, waits, and kills what is left. The tree is everything the server started, grandchildren it
 * orphaned at once included: each run carries an environment variable of its own that its processes
 * inherit, and on Linux they are found by it (elsewhere, by snapshots of the server's descendants).
 * What is left of a run is ended the same way when the server exits by itself and when it is
 * restarted, so no process outlives the transport. Build with {@link #builder(List)}; instances are thread-safe.
 */
public final class StdioTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(StdioTransport.class);

  /** The default maximum length of a line from the server: 16 MiB. */
  public static final int DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

  private final String name;
  private final TransportTelemetry telemetry;
  private final List<String> command;
  private final Map<String, String> environment;
  private final boolean inheritEnvironment;
  private final @Nullable Path directory;
  private final TransportOptions options;
  private final int maxLineLength;
  private final Duration stdinGrace;
  private final Duration terminateGrace;
  private final RestartPolicy restartPolicy;
  private final int stderrLines;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private final SerialExecutor inbound;
  private final PendingRequests pending;

  private final Object lifecycle = new Object();
  private volatile TransportState state = TransportState.NEW;
  private volatile @Nullable UpstreamProcess process;
  private volatile @Nullable TransportClosedException lastFailure;
  private volatile InboundHandler handler = InboundHandler.REFUSE_ALL;
  private volatile @Nullable JsonRpcRequest lastInitialize;
  private volatile boolean initializedSent;
  private volatile int failedAttempts;
  /** Whether {@link #relay} was ever called: only then are the server's lines scanned for its answers. */
  private volatile boolean relaying;
  private @Nullable ScheduledFuture<?> restartTask;
  private final List<UpstreamProcess> retired = new CopyOnWriteArrayList<>();

  private StdioTransport(Builder builder) {
    this.name = builder.name;
    this.telemetry = TransportTelemetry.of(
        builder.openTelemetry != null ? builder.openTelemetry : GlobalOpenTelemetry.get(), "stdio", name);
    this.command = List.copyOf(builder.command);
    this.environment = Map.copyOf(builder.environment);
    this.inheritEnvironment = builder.inheritEnvironment;
    this.directory = builder.directory;
    this.options = builder.options;
    this.maxLineLength = builder.maxLineLength;
    this.stdinGrace = builder.stdinGrace;
    this.terminateGrace = builder.terminateGrace;
    this.restartPolicy = builder.restartPolicy;
    this.stderrLines = builder.stderrLines;
    Executor callbacks = builder.callbackExecutor;
    this.inbound = new SerialExecutor(callbacks);
    this.pending =
        new PendingRequests(
            name, options, new UpstreamWire(), this::unavailable, SharedExecutors.timeouts(), callbacks);
  }

  /** Returns a builder for a transport that runs {@code command} (program and arguments, no shell). */
  public static Builder builder(List<String> command) {
    return new Builder(command);
  }

  /** Returns a builder for a transport that runs {@code command} (program and arguments, no shell). */
  public static Builder builder(String... command) {
    return new Builder(List.of(command));
  }

  /** Returns the upstream's name, as used in logs and error messages. */
  public String name() {
    return name;
  }

  /** Returns the process id of the running upstream, or -1 when none runs. */
  public long pid() {
    UpstreamProcess current = process;
    return current == null ? -1 : current.pid();
  }

  @Override
  public void start() {
    synchronized (lifecycle) {
      switch (state) {
        case RUNNING, STARTING, RESTARTING -> {
          return;
        }
        case CLOSED -> throw new TransportClosedException("Transport to upstream '" + name + "' is closed");
        case NEW, FAILED -> {
          state = TransportState.STARTING;
          try {
            process = spawn();
          } catch (TransportClosedException e) {
            state = TransportState.FAILED;
            lastFailure = e;
            throw e;
          }
          state = TransportState.RUNNING;
        }
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
    CompletableFuture<JsonRpcResponse> future = telemetry.time(pending.send(request, timeout, this::unavailable));
    if (McpMethods.INITIALIZE.equals(request.method())) {
      future.thenAccept(
          response -> {
            if (!response.isError()) {
              lastInitialize = request;
            }
          });
    }
    return future;
  }

  /**
   * Sends a request given as its encoded line, as a client wrote it, and answers with the response's
   * encoded line: the pass-through of a relay that has no use for the content of what it passes on
   * (a gateway without plugins). The request goes out as {@code line} with only its id's bytes
   * replaced by the transport's wire id; a successful response comes back as the server's line with
   * only its id's bytes replaced by those the request had, byte for byte, so an id keeps its JSON
   * type. A response the transport cannot pass on that way (an error, or anything {@link
   * JsonRpcLineScanner} is not sure of) is decoded and encoded again, under the same id. Failures
   * complete the future exceptionally as for {@link #sendAndReceive(JsonRpcRequest, Duration)}, and
   * cancelling it cancels the request the same way.
   *
   * <p>Threading, unlike {@link #sendAndReceive}: the future is completed on the thread that learns
   * the outcome — the reader for a response, the timeout thread for a timeout, the thread that ends
   * the connection for a failure — with no hand-off to the callback executor, which saves a thread
   * wake-up per request. The caller promises that its stages are quick and never block: one that
   * blocks stalls the whole connection.
   *
   * @param buffer holds the line in {@code [offset, offset + length)}; read during this call only
   * @param members what {@link JsonRpcLineScanner#scan} found in that line; it must be a request
   *     ({@link JsonRpcLineScanner.Members#isRequest()}) and not {@code initialize}, which the
   *     transport must see decoded to replay it after a restart
   * @throws IllegalArgumentException if {@code members} is not such a request, or the timeout is not
   *     positive
   */
  public CompletableFuture<byte[]> relay(
      byte[] buffer, int offset, int length, JsonRpcLineScanner.Members members, Duration timeout) {
    Objects.requireNonNull(members, "members");
    Objects.requireNonNull(timeout, "timeout");
    String method = members.method();
    RequestId id = members.id();
    if (!members.isRequest() || method == null || id == null || McpMethods.INITIALIZE.equals(method)) {
      throw new IllegalArgumentException("only a request other than initialize can be relayed, not " + members);
    }
    if (members.idStart() < offset || members.idEnd() > offset + length) {
      throw new IllegalArgumentException("the id's bytes are outside the line: " + members);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, was " + timeout);
    }
    relaying = true;
    return pending.sendLine(new JsonRpcRequest(id, method, null), buffer, offset, length,
        members.idStart(), members.idEnd(), timeout, this::unavailable);
  }

  @Override
  public void sendNotification(JsonRpcNotification notification) {
    GatekitException unavailable = unavailable();
    if (unavailable != null) {
      throw unavailable;
    }
    if (!write(codec.encode(notification))) {
      throw new TransportClosedException("Upstream '" + name + "' is not connected");
    }
    if (McpMethods.NOTIFICATIONS_INITIALIZED.equals(notification.method())) {
      initializedSent = true;
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

  /** Returns the number of requests pending (sent or queued); zero when the transport is idle. */
  public int pendingCount() {
    return pending.size();
  }

  /**
   * Returns how many times the upstream was restarted, as {@link #stats()} does, without the cost of
   * a whole snapshot: for a caller that looks at it on every request.
   */
  public long restarts() {
    return pending.counters().restarts.sum();
  }

  @Override
  public void close() {
    UpstreamProcess toStop;
    synchronized (lifecycle) {
      if (state == TransportState.CLOSED) {
        return;
      }
      state = TransportState.CLOSED;
      if (restartTask != null) {
        restartTask.cancel(false);
      }
      toStop = process;
      process = null;
    }
    pending.failAll(new TransportClosedException("Transport to upstream '" + name + "' was closed"));
    if (toStop != null) {
      toStop.shutDown(stdinGrace, terminateGrace);
    }
    for (UpstreamProcess old : retired) {
      old.shutDown(Duration.ZERO, terminateGrace); // whatever is left of runs that died earlier
    }
    retired.clear();
  }

  @Override
  public String toString() {
    return "StdioTransport{" + name + ", " + state + ", pid " + pid() + '}';
  }

  // ---------------------------------------------------------------------------------------------

  /** Returns why requests cannot be sent now, or null when they can. */
  private @Nullable GatekitException unavailable() {
    TransportState current = state;
    if (current == TransportState.RUNNING) {
      return null;
    }
    return switch (current) {
      case NEW, STARTING -> new TransportClosedException(
          "Transport to upstream '" + name + "' is not started");
      case CLOSED -> new TransportClosedException("Transport to upstream '" + name + "' is closed");
      default -> {
        TransportClosedException failure = lastFailure;
        if (failure == null) {
          failure = new TransportClosedException("Upstream '" + name + "' is unavailable");
        }
        yield failure.withSuffix(current == TransportState.RESTARTING ? " (restarting)" : "");
      }
    };
  }

  private boolean write(byte[] message) {
    UpstreamProcess current = process;
    return current != null && current.write(message);
  }

  /** Writes to the current run's stdin. */
  private final class UpstreamWire implements PendingRequests.Wire {
    @Override
    public boolean write(byte[] message) {
      return StdioTransport.this.write(message);
    }

    @Override
    public boolean write(MessageWriter.Outgoing request) {
      UpstreamProcess current = process;
      return current != null && current.write(request);
    }
  }

  private UpstreamProcess spawn() {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (!inheritEnvironment) {
      builder.environment().clear();
    }
    builder.environment().putAll(environment);
    if (directory != null) {
      builder.directory(directory.toFile());
    }
    try {
      UpstreamProcess started =
          UpstreamProcess.start(name, builder, maxLineLength, stderrLines, new Listener());
      log.debug("Started upstream '{}' (pid {}): {}", name, started.pid(), command);
      return started;
    } catch (IOException e) {
      // The command's arguments may hold secrets, and the reason is the system's: embedders only.
      throw new TransportClosedException(
          "Cannot start upstream '" + name + "'",
          "Cannot start upstream '" + name + "' with command " + command + ": " + e.getMessage(),
          null,
          List.of(),
          e);
    }
  }

  private void onEnd(UpstreamProcess source, TransportClosedException failure) {
    boolean restart;
    synchronized (lifecycle) {
      if (source != process || state == TransportState.CLOSED) {
        return; // an older run, or closed on purpose
      }
      lastFailure = failure;
      process = null;
      pending.counters().deaths.increment();
      restart = restartPolicy.enabled() && failedAttempts < restartPolicy.maxAttempts();
      state = restart ? TransportState.RESTARTING : TransportState.FAILED;
    }
    log.warn("{}", failure.getMessage());
    // Fail everything of this run before a new run can start, so nothing of it leaks into the next.
    pending.failAll(failure);
    retire(source);
    if (restart) {
      synchronized (lifecycle) {
        if (state == TransportState.RESTARTING) {
          scheduleRestart();
        }
      }
    }
  }

  /**
   * Ends what is left of a run that died on its own — a process that closed stdout but lives on, a
   * launcher's children — on a thread of its own, since that can take the terminate grace period.
   */
  private void retire(UpstreamProcess source) {
    retired.add(source);
    Thread reaper =
        new Thread(
            () -> {
              source.shutDown(Duration.ZERO, terminateGrace);
              retired.remove(source);
            },
            "gatekit-" + name + "-" + source.pid() + "-reaper");
    reaper.setDaemon(true);
    reaper.start();
  }

  private void scheduleRestart() {
    int attempt = ++failedAttempts;
    Duration wait = restartPolicy.backoff(attempt);
    log.info(
        "Restarting upstream '{}' in {} ms (attempt {} of {})",
        name,
        wait.toMillis(),
        attempt,
        restartPolicy.maxAttempts());
    restartTask =
        SharedExecutors.timeouts()
            .schedule(
                () -> SharedExecutors.callbacks().execute(this::restart),
                wait.toNanos(),
                TimeUnit.NANOSECONDS);
  }

  private void restart() {
    UpstreamProcess started;
    synchronized (lifecycle) {
      if (state != TransportState.RESTARTING) {
        return;
      }
      try {
        started = spawn();
      } catch (TransportClosedException e) {
        lastFailure = e;
        log.warn("{}", e.getMessage());
        if (failedAttempts < restartPolicy.maxAttempts()) {
          scheduleRestart();
        } else {
          state = TransportState.FAILED;
        }
        return;
      }
      process = started;
      pending.counters().restarts.increment();
    }
    replayHandshake(started);
  }

  /** Repeats the caller's last initialize handshake on a restarted server, then opens for requests. */
  private void replayHandshake(UpstreamProcess started) {
    JsonRpcRequest initialize = lastInitialize;
    if (initialize == null) {
      markRunning(started);
      return;
    }
    pending
        .send(initialize, options.requestTimeout(), () -> null)
        .whenComplete(
            (response, error) -> {
              if (error == null && !response.isError()) {
                if (initializedSent) {
                  started.write(
                      codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null)));
                }
                markRunning(started);
              } else if (error == null) {
                // The server is up and answered, but takes no such handshake: a 2026-07-28 server,
                // which has none, back where a 2025-era one ran. It is not replayed again; the
                // caller finds out what the server speaks (it may initialize it itself).
                log.info(
                    "Restarted upstream '{}' refused the replayed initialize handshake ({}); running without it",
                    name,
                    response.error().message());
                lastInitialize = null;
                markRunning(started);
              } else {
                String why = error.getMessage();
                log.warn("Restarted upstream '{}' did not answer the initialize handshake: {}", name, why);
                boolean current;
                synchronized (lifecycle) {
                  current = process == started && state == TransportState.RESTARTING;
                }
                if (current) {
                  String failed = "Upstream '" + name + "' did not answer the initialize handshake after a restart";
                  onEnd(
                      started,
                      new TransportClosedException(failed, failed + ": " + why, null, List.of(), error));
                }
              }
            });
  }

  private void markRunning(UpstreamProcess started) {
    synchronized (lifecycle) {
      if (process == started && state == TransportState.RESTARTING) {
        state = TransportState.RUNNING;
        log.info("Upstream '{}' restarted (pid {})", name, started.pid());
      }
    }
  }

  private void onMessage(UpstreamProcess source, JsonRpcMessage message) {
    if (message instanceof JsonRpcResponse response) {
      // A caller's request answered by a run that is fully up ends a crash loop's count; the
      // replayed handshake (answered while still RESTARTING) does not.
      if (failedAttempts != 0 && !response.isError() && state == TransportState.RUNNING && source == process) {
        failedAttempts = 0;
      }
      afterInboundReadBefore(() -> pending.complete(response));
    } else if (source != process) {
      log.debug("Dropped a message from an earlier run of upstream '{}'", name);
    } else if (message instanceof JsonRpcNotification notification) {
      // A 2026-07-28 listen's notifications name it by the wire id it went under.
      JsonRpcNotification forCaller = ListenIds.toCallerIds(notification, pending::callerOfListen);
      inbound.execute(() -> handler.onNotification(forCaller));
    } else if (message instanceof JsonRpcRequest request) {
      inbound.execute(() -> answer(source, request));
    }
  }

  /**
   * Runs the ending of a request now, or, while unasked messages read before its response are still
   * being delivered (progress, logs), after them: a caller never sees its answer before its progress.
   */
  private void afterInboundReadBefore(Runnable ending) {
    if (inbound.isIdle()) {
      ending.run();
    } else {
      inbound.execute(ending);
    }
  }

  /**
   * Completes a relayed request with the line that answers it successfully, as it is; returns false
   * when the line is anything else, or when messages read before it are still being delivered (then
   * it waits its turn on the ordinary way).
   */
  private boolean relayed(UpstreamProcess source, byte[] buffer, int offset, int length) {
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(buffer, offset, length);
    if (members == null || !members.isResultForNumberId() || !inbound.isIdle()) {
      return false;
    }
    long wireId = ((RequestId.NumberId) Objects.requireNonNull(members.id())).value();
    if (!pending.completeLine(wireId, buffer, offset, length, members.idStart(), members.idEnd())) {
      return false;
    }
    if (failedAttempts != 0 && state == TransportState.RUNNING && source == process) {
      failedAttempts = 0; // as in onMessage
    }
    return true;
  }

  /** Uses what a line the codec refused still holds; see {@link LineSalvage}. */
  private void onRefusedLine(
      UpstreamProcess source, byte[] buffer, int offset, int length, ProtocolException refusal) {
    List<LineSalvage.Item> items = LineSalvage.salvage(codec, buffer, offset, length, refusal);
    if (refusal.isBatch() && !items.isEmpty() && !(items.get(0) instanceof LineSalvage.Unusable)) {
      log.warn(
          "Upstream '{}' wrote a JSON array (a batch, which MCP does not have); taking its {} elements"
              + " one by one",
          name,
          items.size());
    }
    for (LineSalvage.Item item : items) {
      if (item instanceof LineSalvage.Valid valid) {
        onMessage(source, valid.message());
      } else if (item instanceof LineSalvage.InvalidResponse invalid) {
        log.warn(
            "Upstream '{}' sent an invalid response to id {} ({}); its request fails. The line: {}",
            name,
            invalid.id(),
            invalid.reason(),
            abbreviate(buffer, offset, length));
        afterInboundReadBefore(() -> pending.failInvalidResponse(invalid.id(), invalid.reason()));
      } else if (item instanceof LineSalvage.Unusable unusable) {
        pending.counters().dropped.increment();
        log.warn(
            "Upstream '{}' wrote a line that is not a valid JSON-RPC message; dropped: {}",
            name,
            unusable.reason());
      }
    }
  }

  private static String abbreviate(byte[] buffer, int offset, int length) {
    int shown = Math.min(length, 1_000);
    String text = new String(buffer, offset, shown, StandardCharsets.UTF_8);
    return shown == length ? text : text + "... (" + length + " bytes)";
  }

  private void answer(UpstreamProcess source, JsonRpcRequest request) {
    InboundRequests.answer(handler, request, reply -> {
      if (!source.write(codec.encode(reply))) {
        log.debug("Upstream '{}' ended before its request {} was answered", name, request.id());
      }
    });
  }

  /** Receives lines and the end of a run from the current upstream process. */
  private final class Listener implements UpstreamProcess.Listener {
    @Override
    public void onLine(UpstreamProcess source, byte[] buffer, int offset, int length) {
      if (relaying && relayed(source, buffer, offset, length)) {
        return;
      }
      JsonRpcMessage message;
      try {
        message = codec.decode(buffer, offset, length);
      } catch (ProtocolException e) {
        onRefusedLine(source, buffer, offset, length, e);
        return;
      }
      onMessage(source, message);
    }

    @Override
    public void onOversizeLine(UpstreamProcess source, long length) {
      pending.counters().dropped.increment();
      log.warn(
          "Upstream '{}' wrote a line of {} bytes, over the limit of {}; dropped",
          name,
          length,
          maxLineLength);
    }

    @Override
    public void onEnd(UpstreamProcess source, UpstreamProcess.Ending ending) {
      StdioTransport.this.onEnd(
          source,
          TransportClosedException.upstreamEnded(
              "Upstream '" + name + "' " + ending.how(), ending.exitCode(), ending.stderrTail()));
    }
  }

  /** Builds a {@link StdioTransport}. Not thread-safe. */
  public static final class Builder {
    private final List<String> command;
    private String name;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private boolean inheritEnvironment = true;
    private @Nullable Path directory;
    private TransportOptions options = TransportOptions.defaults();
    private int maxLineLength = DEFAULT_MAX_LINE_LENGTH;
    private Duration stdinGrace = Duration.ofSeconds(2);
    private Duration terminateGrace = Duration.ofSeconds(2);
    private RestartPolicy restartPolicy = RestartPolicy.never();
    private int stderrLines = 20;
    private @Nullable OpenTelemetry openTelemetry;
    private Executor callbackExecutor = SharedExecutors.callbacks();

    private Builder(List<String> command) {
      if (command.isEmpty()) {
        throw new IllegalArgumentException("command must name a program");
      }
      this.command = List.copyOf(command);
      String program = Path.of(command.get(0)).getFileName().toString();
      this.name = program;
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

    /** Sets the name used in logs and error messages (default: the program's file name). */
    public Builder name(String value) {
      this.name = Objects.requireNonNull(value, "name");
      return this;
    }

    /** Adds variables to the server's environment (on top of the inherited one, if inherited). */
    public Builder environment(Map<String, String> variables) {
      this.environment.putAll(variables);
      return this;
    }

    /**
     * Sets whether the server starts with this process's environment (default true). With false it
     * gets only what {@link #environment(Map)} adds, so host secrets need not reach it.
     */
    public Builder inheritEnvironment(boolean value) {
      this.inheritEnvironment = value;
      return this;
    }

    /** Sets the server's working directory (default: this process's). */
    public Builder directory(Path value) {
      this.directory = Objects.requireNonNull(value, "directory");
      return this;
    }

    /** Sets the in-flight limit, overflow policy and request timeout. */
    public Builder options(TransportOptions value) {
      this.options = Objects.requireNonNull(value, "options");
      return this;
    }

    /** Sets the longest line accepted from the server, in bytes (default 16 MiB); longer ones are dropped. */
    public Builder maxLineLength(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxLineLength must be at least 1024 bytes, was " + bytes);
      }
      this.maxLineLength = bytes;
      return this;
    }

    /**
     * Sets how long {@link StdioTransport#close()} waits for the server to exit after its stdin
     * closed (default 2 s), and then after it was asked to terminate (default 2 s) before killing it.
     */
    public Builder shutdownGracePeriods(Duration afterStdinClosed, Duration afterTerminate) {
      this.stdinGrace = requireNotNegative(afterStdinClosed, "afterStdinClosed");
      this.terminateGrace = requireNotNegative(afterTerminate, "afterTerminate");
      return this;
    }

    /** Sets the restart policy (default: {@link RestartPolicy#never()}). */
    public Builder restartPolicy(RestartPolicy value) {
      this.restartPolicy = Objects.requireNonNull(value, "restartPolicy");
      return this;
    }

    /** Sets how many of the server's last stderr lines error messages quote (default 20). */
    public Builder stderrLines(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("stderrLines must be positive, was " + count);
      }
      this.stderrLines = count;
      return this;
    }

    /**
     * Sets the executor that completes callers' futures and runs the inbound handler (default: a
     * shared pool of daemon threads). It must not run tasks on the submitting thread, and its
     * {@code execute} must neither block nor throw: the reader and the timeout thread call it.
     */
    public Builder callbackExecutor(Executor value) {
      this.callbackExecutor = Objects.requireNonNull(value, "callbackExecutor");
      return this;
    }

    /** Returns a new, unstarted transport. */
    public StdioTransport build() {
      return new StdioTransport(this);
    }

    private static Duration requireNotNegative(Duration value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative, was " + value);
      }
      return value;
    }
  }
}
