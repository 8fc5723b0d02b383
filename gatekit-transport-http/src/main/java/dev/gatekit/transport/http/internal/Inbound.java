package dev.gatekit.transport.http.internal;

import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.support.InboundRequests;
import dev.gatekit.api.support.SerialExecutor;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Where the messages read from any stream go: an answer to its pending request, a notification or
 * server-to-client request to the {@link InboundHandler}, in stream order on one lane of the
 * callback executor; the handler's answers are POSTed back. An answer read after unasked messages
 * of the same stream waits for them to be delivered, so a caller never sees its answer before its
 * progress.
 */
public final class Inbound {

  private final PendingRequests pending;
  private final Sessions sessions;
  private final Posts posts;
  private final SerialExecutor lane;
  private final JsonRpcCodec codec = JsonRpcCodec.get();
  private volatile InboundHandler handler = InboundHandler.REFUSE_ALL;

  public Inbound(PendingRequests pending, Sessions sessions, Posts posts, Executor callbacks) {
    this.pending = pending;
    this.sessions = sessions;
    this.posts = posts;
    this.lane = new SerialExecutor(callbacks);
  }

  public void handler(InboundHandler value) {
    this.handler = Objects.requireNonNull(value, "handler");
  }

  /** Routes one message; runs on the HTTP client's thread. */
  public void dispatch(JsonRpcMessage message) {
    if (message instanceof JsonRpcResponse response) {
      PendingRequests.Pending request =
          response.id() instanceof RequestId.NumberId id ? pending.get(id.value()) : null;
      if (request != null) {
        request.markAnswered();
        if (McpMethods.INITIALIZE.equals(request.request().method()) && !response.isError()) {
          sessions.onInitialized(request.request(), response);
        }
      }
      if (lane.isIdle()) {
        pending.complete(response);
      } else {
        lane.execute(() -> pending.complete(response));
      }
    } else if (message instanceof JsonRpcNotification notification) {
      lane.execute(() -> handler.onNotification(notification));
    } else if (message instanceof JsonRpcRequest request) {
      lane.execute(() -> answer(request));
    }
  }

  private void answer(JsonRpcRequest request) {
    InboundRequests.answer(handler, request, reply -> {
      if (sessions.state() != TransportState.CLOSED) {
        posts.message(codec.encode(reply), "the answer to '" + request.method() + "'");
      }
    });
  }
}
