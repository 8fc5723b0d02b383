package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.internal.ServerRequests;
import dev.gatekit.proxy.internal.telemetry.RequestTelemetry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * The last stage towards the client: sends an upstream's notification, or an upstream's request
 * (sampling, elicitation, roots, ping) under an id of the gateway's, and waits for the client's
 * answer, which comes back under the upstream's id.
 *
 * <p>Threading: the client's answer arrives on the thread that reads the client. When the chain has
 * plugins, the way back is handed to {@code pluginExecutor}, so that no plugin runs on that reader.
 */
public final class ClientStage implements Stage {

  private final String upstream;
  private final ClientConnection client;
  private final ServerRequests serverRequests;
  private final @Nullable Executor pluginExecutor;

  public ClientStage(String upstream, ClientConnection client, ServerRequests serverRequests,
      @Nullable Executor pluginExecutor) {
    this.upstream = upstream;
    this.client = client;
    this.serverRequests = serverRequests;
    this.pluginExecutor = pluginExecutor;
  }

  @Override
  public CompletableFuture<Outcome> intercept(Chain chain) {
    JsonRpcMessage message = chain.message();
    Passage passage = chain.passage();
    if (!passage.depart(message)) {
      return CompletableFuture.completedFuture(AuditStage.refused());
    }
    if (message instanceof JsonRpcNotification notification) {
      client.send(notification);
      return CompletableFuture.completedFuture(Outcome.answered(notification));
    }
    RequestTelemetry telemetry = passage.telemetry();
    // The gateway's context goes to the client in _meta, so the client's work joins the trace.
    JsonRpcRequest request = telemetry == null ? (JsonRpcRequest) message : telemetry.towardsClient((JsonRpcRequest) message);
    RequestId upstreamId = request.id();
    CompletableFuture<JsonRpcResponse> answer = new CompletableFuture<>();
    passage.track(answer);
    client.send(serverRequests.register(upstream, request, answer));
    BiFunction<@Nullable JsonRpcResponse, @Nullable Throwable, Outcome> back = (response, failure) -> {
      if (response != null) {
        return Outcome.answered(response.withId(upstreamId));
      }
      if (Failures.unwrap(failure) instanceof java.util.concurrent.TimeoutException) {
        return Outcome.timedOut("The client did not answer " + request.method() + " in time");
      }
      return Outcome.failed(ErrorCodes.INTERNAL_ERROR, "The request was cancelled before the client answered");
    };
    return pluginExecutor == null ? answer.handle(back) : answer.handleAsync(back, pluginExecutor);
  }

  @Override
  public String toString() {
    return "client (requests of upstream " + upstream + ")";
  }
}
