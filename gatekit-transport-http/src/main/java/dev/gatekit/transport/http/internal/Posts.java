package dev.gatekit.transport.http.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpFields;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The POSTs of an HTTP transport: a request's, whose answer it reads (an {@code application/json}
 * body or an event stream, resumed with {@code Last-Event-ID} when it breaks and its events had
 * ids), and those of notifications and of answers to the server, which only need accepting.
 *
 * <p>A request whose POST fails before any byte of the answer arrived because the server had closed
 * the connection (a kept-alive connection it closed, as servers do when idle or loaded) is sent once
 * more, on a new connection; a second such failure is reported. This is what browsers and OkHttp do
 * for every method; Jetty's client does it for none, the JDK's for idempotent methods only. The
 * risk is a server that read the request and then closed the connection without answering: it sees
 * the request twice.
 * No resend happens once any byte of an answer arrived, nor for a request that is no longer pending.
 *
 * <p>A message of the stateless generation (MCP 2026-07-28, {@link Stateless}) is POSTed without the
 * session and with the 2026 headers; such a request is cancelled by aborting its POST, with no {@code
 * notifications/cancelled}. An HTTP error answer whose body is a JSON-RPC error for the request is
 * that request's answer (as 2026-era servers refuse a request: HTTP 400 with the error; for a
 * stateless request also an error with a null id, as 2025-era servers refuse one without a session).
 */
public final class Posts implements PendingRequests.Wire {

  private static final Logger log = LoggerFactory.getLogger(Posts.class);
  private static final int MAX_RESUMES = 5;

  private final Endpoint endpoint;
  private final Failures failures;
  private final Host host;
  private final int maxMessageBytes;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private @Nullable PendingRequests pending;
  /** Completes when the notifications sent so far were accepted: requests go out after them. */
  private CompletableFuture<?> notificationsSent = CompletableFuture.completedFuture(null);

  public Posts(Endpoint endpoint, Failures failures, Host host, int maxMessageBytes) {
    this.endpoint = endpoint;
    this.failures = failures;
    this.host = host;
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Sets the correlator whose requests this wire sends; once, before the first request. */
  public void pending(PendingRequests value) {
    this.pending = value;
  }

  private PendingRequests pending() {
    return Objects.requireNonNull(pending, "pending");
  }

  @Override
  public void post(PendingRequests.Pending request) {
    CompletableFuture<?> before;
    synchronized (this) {
      before = notificationsSent;
    }
    if (before.isDone()) {
      postRequest(request, false);
    } else {
      before.whenComplete((ignored, error) -> postRequest(request, false));
    }
  }

  /** A stateless (2026-era) request is cancelled by closing its stream: nothing is POSTed for it. */
  @Override
  public boolean cancelledByClosing(JsonRpcRequest request) {
    return Stateless.version(request.method(), request.params()) != null;
  }

  @Override
  public void sendCancelled(long wireId, String reason) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("requestId", wireId);
    params.put("reason", reason);
    message(codec.encode(new JsonRpcNotification(McpMethods.NOTIFICATIONS_CANCELLED, params)), McpMethods.NOTIFICATIONS_CANCELLED);
  }

  /**
   * POSTs a notification after those before it; requests sent later go out after it was accepted.
   * Returns the stage that completes then.
   */
  public CompletableFuture<?> notification(byte[] body, String method) {
    return notification(body, method, null);
  }

  /**
   * As {@link #notification(byte[], String)}; a notification of the stateless generation ({@code
   * params} whose {@code _meta} names a protocol version) goes without the session, with the 2026
   * headers.
   */
  public CompletableFuture<?> notification(byte[] body, String method, @Nullable JsonNode params) {
    String version = Stateless.version(method, params);
    synchronized (this) {
      notificationsSent =
          notificationsSent
              .handle((ignored, error) -> null)
              .thenCompose(
                  ignored ->
                      version == null
                          ? message(body, method)
                          : send(endpoint.postStateless(body, version, method, params), null, method));
      return notificationsSent;
    }
  }

  /** POSTs a notification or an answer; the stage completes when the server accepted it (or failed). */
  public CompletableFuture<Void> message(byte[] body, String what) {
    String session = endpoint.sessionId();
    Request post;
    try {
      post = endpoint.post(body, session, false, null);
    } catch (RuntimeException e) {
      log.warn("Upstream '{}': sending '{}' failed: {}", failures.name(), what, e.toString());
      return CompletableFuture.completedFuture(null);
    }
    return send(post, session, what);
  }

  private CompletableFuture<Void> send(Request post, @Nullable String session, String what) {
    CompletableFuture<Void> accepted = new CompletableFuture<>();
    try {
      endpoint
          .send(post)
          .done()
          .whenComplete(
              (status, error) -> {
                if (error != null) {
                  log.warn("Upstream '{}': sending '{}' failed: {}", failures.name(), what, Failures.describe(error));
                } else if (status == 404 && session != null) {
                  host.sessionExpired(session);
                } else if (status >= 300) {
                  log.warn("Upstream '{}' refused '{}' with HTTP {}", failures.name(), what, status);
                }
                accepted.complete(null);
              });
    } catch (RuntimeException e) {
      log.warn("Upstream '{}': sending '{}' failed: {}", failures.name(), what, e.toString());
      accepted.complete(null);
    }
    return accepted;
  }

  private void postRequest(PendingRequests.Pending request, boolean resent) {
    if (!request.isPending()) {
      return;
    }
    JsonRpcRequest sent = request.request();
    String stateless = Stateless.version(sent.method(), sent.params());
    boolean initialize = McpMethods.INITIALIZE.equals(sent.method());
    String session = initialize || stateless != null ? null : endpoint.sessionId();
    Exchange exchange = new Exchange(request, session, resent, stateless != null);
    Call call;
    try {
      Request http =
          stateless != null
              ? endpoint.postStateless(request.body(), stateless, sent.method(), sent.params())
              : endpoint.post(request.body(), session, initialize, sent.params());
      call = endpoint.send(http, exchange::onHeaders);
    } catch (RuntimeException e) {
      pending().fail(request.wireId(), failures.unreachable(e));
      return;
    }
    request.onAbort(call::abort);
    call.done().whenComplete((status, error) -> exchange.onEnd(error));
  }

  /** The HTTP exchange of one request: its POST, and the GETs that resume its stream. */
  private final class Exchange {
    final PendingRequests.Pending request;
    final @Nullable String session;
    final boolean resent;
    /** A request of the stateless generation: no session, and a listen stream's ids to put back. */
    final boolean stateless;
    volatile @Nullable StreamReader reader;
    volatile int status;
    volatile @Nullable GatekitException failure;
    int resumes;

    Exchange(PendingRequests.Pending request, @Nullable String session, boolean resent, boolean stateless) {
      this.request = request;
      this.session = session;
      this.resent = resent;
      this.stateless = stateless;
    }

    String method() {
      return request.request().method();
    }

    /** Chooses how to read the answer from its status and content type. */
    @Nullable StreamReader onHeaders(int code, HttpFields headers) {
      status = code;
      if (status == 401 || status == 403) {
        failure = failures.unauthorized(status, headers.get("WWW-Authenticate"));
        return null;
      }
      if (status == 404 && session != null) {
        failure = failures.expired();
        return null;
      }
      if (status < 200 || status >= 300) {
        return keep(StreamReader.text(maxMessageBytes));
      }
      if (McpMethods.INITIALIZE.equals(method())) {
        // The session id comes with the headers, before the answer: the caller's next request has it.
        endpoint.sessionId(headers.get(Endpoint.SESSION_HEADER));
      }
      if (status == 202) {
        failure = failures.failed("accepted '" + method() + "' (HTTP 202) without answering it");
        return null;
      }
      String type = Objects.requireNonNullElse(headers.get("Content-Type"), "").toLowerCase(Locale.ROOT);
      if (type.startsWith("application/json")) {
        return keep(StreamReader.json(maxMessageBytes, this::onMessage));
      }
      if (type.startsWith(Endpoint.EVENT_STREAM)) {
        return keep(StreamReader.sse(maxMessageBytes, false, this::onMessage));
      }
      failure =
          failures.failed(
              "answered '"
                  + method()
                  + "' with content type '"
                  + (type.isEmpty() ? "(none)" : type)
                  + "', neither application/json nor text/event-stream");
      return null;
    }

    private StreamReader keep(StreamReader value) {
      reader = value;
      return value;
    }

    void onMessage(JsonRpcMessage message) {
      host.dispatch(
          stateless && Stateless.SUBSCRIPTIONS_LISTEN.equals(method())
              ? Stateless.toCallerIds(message, request.wireId(), request.request().id())
              : message);
    }

    /** The POST (or a resuming GET) is over: fail the request if nothing answered it. */
    void onEnd(@Nullable Throwable error) {
      if (!request.isPending() || request.isAnswered()) {
        return;
      }
      GatekitException known = failure;
      if (known != null) {
        if (known instanceof Failures.SessionExpired) {
          host.sessionExpired(Objects.requireNonNull(session));
        }
        pending().fail(request.wireId(), known);
        return;
      }
      StreamReader current = reader;
      if (current == null) {
        if (error != null && !resent && status == 0 && Failures.closedBeforeAnswering(error)) {
          log.debug(
              "Upstream '{}' closed the connection before answering; sending request {} once more",
              failures.name(),
              request.wireId());
          postRequest(request, true);
          return;
        }
        pending().fail(
            request.wireId(),
            error != null ? failures.unreachable(error) : failures.failed("sent no answer to '" + method() + "'"));
        return;
      }
      if (current.problem() != null) {
        pending().fail(request.wireId(), failures.failed("answered '" + method() + "' badly: " + current.problem()));
        return;
      }
      if (!current.isEventStream()) {
        if (status < 200 || status >= 300) {
          JsonRpcResponse refusal = refusalOf(current.text());
          if (refusal != null) {
            host.dispatch(refusal); // the server's JSON-RPC error for this request, under an HTTP error status
          } else {
            pending().fail(request.wireId(), failures.httpError(status, current.text()));
          }
        } else if (error != null) {
          pending().fail(request.wireId(), failures.unreachable(error));
        } else {
          pending().fail(request.wireId(), failures.failed("answered '" + method() + "' with a body that is not its answer"));
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
              ? "broke the event stream of '" + method() + "' before the answer: " + Failures.describe(error)
              : stateless && Stateless.SUBSCRIPTIONS_LISTEN.equals(method())
                  ? "ended the subscription stream of 'subscriptions/listen'"
                  : "ended the event stream of '" + method() + "' before the answer";
      pending().fail(request.wireId(), failures.failed(why));
    }

    /**
     * Returns the body of an HTTP error answer when it is a JSON-RPC error answering this request: by
     * its wire id, as a 2026-era server refuses a request (HTTP 400 with the error); for a stateless
     * request also with a null id, as a 2025-era server refuses one without a session (so that a
     * {@code server/discover} probe of a 2025-era server gets an error answer, not a failure). Else
     * null.
     */
    private @Nullable JsonRpcResponse refusalOf(String body) {
      JsonRpcMessage message;
      try {
        message = codec.decode(body);
      } catch (RuntimeException notJsonRpc) {
        return null;
      }
      if (!(message instanceof JsonRpcResponse response) || !response.isError()) {
        return null;
      }
      if (response.id() instanceof RequestId.NumberId id && id.value() == request.wireId()) {
        return response;
      }
      return stateless && response.id() == null ? response.withId(RequestId.of(request.wireId())) : null;
    }

    /** Resumes the broken stream with a GET that carries the last event id. */
    private void resume(String lastEventId) {
      if (!request.isPending()) {
        return;
      }
      log.debug("Resuming the stream of request {} to upstream '{}' after event {}", request.wireId(), failures.name(), lastEventId);
      reader = null;
      failure = null;
      Call call;
      try {
        call = endpoint.send(endpoint.get(session, lastEventId), this::onResumeHeaders);
      } catch (RuntimeException e) {
        pending().fail(request.wireId(), failures.unreachable(e));
        return;
      }
      request.onAbort(call::abort);
      call.done().whenComplete((code, error) -> onEnd(error));
    }

    private @Nullable StreamReader onResumeHeaders(int code, HttpFields headers) {
      status = code;
      String type = Objects.requireNonNullElse(headers.get("Content-Type"), "").toLowerCase(Locale.ROOT);
      if (status == 200 && type.startsWith(Endpoint.EVENT_STREAM)) {
        return keep(StreamReader.sse(maxMessageBytes, false, this::onMessage));
      }
      if (status == 404 && session != null) {
        failure = failures.expired();
      } else if (status == 401 || status == 403) {
        failure = failures.unauthorized(status, headers.get("WWW-Authenticate"));
      } else {
        failure =
            failures.failed("broke the event stream of '" + method() + "' and refused to resume it (HTTP " + status + ")");
      }
      return null;
    }
  }
}
