package dev.gatekit.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.proxy.internal.chain.Chain;
import dev.gatekit.proxy.internal.chain.Outcome;
import dev.gatekit.proxy.internal.chain.Passage;
import dev.gatekit.proxy.internal.telemetry.CallResult;
import dev.gatekit.proxy.internal.telemetry.RequestTelemetry;
import dev.gatekit.proxy.internal.telemetry.Telemetry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What crosses a session unasked, both ways, each message through its chain: the client's
 * notifications to every upstream (in the client's order, and after an {@code initialize} on its
 * way), and what an upstream sends to the client — notifications (a cancellation with the request id
 * translated to the gateway's) and server-to-client requests (sampling, elicitation, roots, ping),
 * whose answer from the client goes back to the upstream that asked. Thread-safe.
 */
final class NotificationRelay {

  private static final Logger log = LoggerFactory.getLogger(NotificationRelay.class);

  private final List<UpstreamLink> links;
  private final Handshake handshake;
  private final ClientCalls calls;
  private final ServerRequests serverRequests;
  private final Executor lane;
  private final Telemetry telemetry;
  /** Completes when the last notification taken from the client has been passed upstream. */
  private volatile CompletableFuture<?> clientNotificationsPassed = CompletableFuture.completedFuture(null);

  /**
   * @param lane a serial executor: the client's notifications go upstream one at a time, in order
   * @param telemetry what records the spans and metrics of the upstreams' requests to the client
   */
  NotificationRelay(List<UpstreamLink> links, Handshake handshake, ClientCalls calls,
      ServerRequests serverRequests, Executor lane, Telemetry telemetry) {
    this.telemetry = telemetry;
    this.links = List.copyOf(links);
    this.handshake = handshake;
    this.calls = calls;
    this.serverRequests = serverRequests;
    this.lane = lane;
  }

  /** Returns what completes once every notification the client sent so far went upstream. */
  CompletableFuture<?> clientNotificationsPassed() {
    return clientNotificationsPassed;
  }

  /** Takes a notification from the client. Never blocks. */
  void fromClient(JsonRpcNotification notification) {
    CompletableFuture<Void> passed = new CompletableFuture<>();
    clientNotificationsPassed = passed;
    try {
      lane.execute(() -> {
        try {
          toUpstreams(notification);
        } finally {
          passed.complete(null);
          calls.countNotification(); // counted once it has gone: a client reading the count may rely on it
        }
      });
    } catch (RejectedExecutionException closed) {
      passed.complete(null);
      log.debug("The gateway is closed; the client's {} is dropped", notification.method());
    }
  }

  private void toUpstreams(JsonRpcNotification notification) {
    // Keep the lifecycle's order upstream: initialize first, then what the client sent after it.
    handshake.awaitInitializeOnItsWay();
    for (UpstreamLink link : links) {
      PluginContext context = new PluginContext(Direction.CLIENT_TO_UPSTREAM, link.name(), null,
          notification.method(), handshake.attributes());
      Chain.run(link.towardsUpstream(), new Passage(context, System.nanoTime(), null), notification).join();
    }
  }

  /** Returns the handler that takes what {@code link}'s upstream sends unasked. */
  InboundHandler fromUpstream(UpstreamLink link) {
    return new InboundHandler() {
      @Override
      public void onNotification(JsonRpcNotification notification) {
        calls.countNotification();
        JsonRpcNotification toSend = notification;
        if (McpMethods.NOTIFICATIONS_CANCELLED.equals(notification.method())) {
          toSend = translateCancellation(link.name(), notification);
          if (toSend == null) {
            return;
          }
        }
        PluginContext context = new PluginContext(Direction.UPSTREAM_TO_CLIENT, link.name(), null,
            notification.method(), handshake.attributes());
        Chain.run(link.towardsClient(), new Passage(context, System.nanoTime(), null), toSend);
      }

      @Override
      public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
        PluginContext context = new PluginContext(Direction.UPSTREAM_TO_CLIENT, link.name(), request.id(),
            request.method(), handshake.attributes());
        long startNanos = System.nanoTime();
        RequestTelemetry observed = telemetry.beginFromUpstream(link.name(), request, startNanos);
        CompletableFuture<Outcome> outcome =
            Chain.run(link.towardsClient(), new Passage(context, startNanos, null, observed), request);
        if (observed != null) {
          outcome.whenComplete((answer, failure) -> observed.end(
              answer != null ? answer.callResult() : CallResult.FAILED,
              answer != null ? answer.receivedErrorCode() : ErrorCodes.INTERNAL_ERROR));
        }
        return outcome.thenApply(answer -> answer.toResponse(request.id()));
      }
    };
  }

  /** The upstream gave up a request it sent the client: tell the client under the gateway's id. */
  private @Nullable JsonRpcNotification translateCancellation(String upstream, JsonRpcNotification notification) {
    RequestId upstreamId = cancelledId(notification);
    RequestId proxyId = upstreamId == null ? null : serverRequests.proxyIdOf(upstream, upstreamId);
    if (proxyId == null) {
      return null;
    }
    serverRequests.cancel(proxyId);
    ObjectNode translated = ((ObjectNode) notification.params()).deepCopy();
    translated.set("requestId", proxyId.toJson());
    return notification.withParams(translated);
  }

  /** Returns the id a {@code notifications/cancelled} names, or {@code null} when it names none. */
  static @Nullable RequestId cancelledId(JsonRpcNotification cancellation) {
    JsonNode params = cancellation.params();
    JsonNode id = params == null ? null : params.get("requestId");
    return id == null ? null : RequestId.fromJson(id);
  }
}
