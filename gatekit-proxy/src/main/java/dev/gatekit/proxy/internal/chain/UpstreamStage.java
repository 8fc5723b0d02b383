package dev.gatekit.proxy.internal.chain;

import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.Transport;
import dev.gatekit.proxy.internal.telemetry.RequestTelemetry;
import dev.gatekit.proxy.internal.telemetry.UpstreamCall;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last stage towards an upstream: {@link Transport#sendAndReceive} for a request (the answer
 * comes back under the client's id), {@link Transport#sendNotification} for a notification.
 *
 * <p>Threading: the way back starts on the thread that completes the transport's future. When the
 * chain has plugins, which may block, it is handed to {@code pluginExecutor} first; with none, it goes
 * on from the completing thread, with no hand-off at all.
 */
public final class UpstreamStage implements Stage {

  private static final Logger log = LoggerFactory.getLogger(UpstreamStage.class);

  private final String upstream;
  private final Transport transport;
  private final @Nullable Duration initializeTimeout;
  private final @Nullable Executor pluginExecutor;

  /**
   * @param initializeTimeout how long {@code initialize} may take, or {@code null} for the
   *     transport's request timeout
   * @param pluginExecutor where the way back runs when the chain has plugins; {@code null} when it
   *     has none
   */
  public UpstreamStage(String upstream, Transport transport, @Nullable Duration initializeTimeout,
      @Nullable Executor pluginExecutor) {
    this.upstream = upstream;
    this.transport = transport;
    this.initializeTimeout = initializeTimeout;
    this.pluginExecutor = pluginExecutor;
  }

  @Override
  public CompletableFuture<Outcome> intercept(Chain chain) {
    Passage passage = chain.passage();
    if (!passage.depart(chain.message())) {
      return CompletableFuture.completedFuture(AuditStage.refused());
    }
    if (chain.message() instanceof JsonRpcNotification notification) {
      try {
        transport.sendNotification(notification);
        return CompletableFuture.completedFuture(Outcome.answered(notification));
      } catch (GatekitException e) {
        log.warn("Could not pass {} to upstream '{}': {}", notification.method(), upstream, e.getMessage());
        return CompletableFuture.completedFuture(Failures.outcomeOf(e));
      }
    }
    JsonRpcRequest request = (JsonRpcRequest) chain.message();
    RequestTelemetry telemetry = passage.telemetry();
    UpstreamCall observed = null;
    if (telemetry != null) {
      observed = telemetry.upstreamCall(upstream, request);
      request = observed.request(); // carries the trace context of this call in its _meta
    }
    CompletableFuture<JsonRpcResponse> call =
        initializeTimeout != null && McpMethods.INITIALIZE.equals(request.method())
            ? transport.sendAndReceive(request, initializeTimeout)
            : transport.sendAndReceive(request);
    passage.track(call);
    RequestId clientId = passage.context().requestId();
    BiFunction<@Nullable JsonRpcResponse, @Nullable Throwable, Outcome> back = (response, failure) ->
        response != null ? Outcome.answered(response.withId(clientId)) : Failures.outcomeOf(failure);
    if (observed != null) {
      UpstreamCall ending = observed;
      BiFunction<@Nullable JsonRpcResponse, @Nullable Throwable, Outcome> plain = back;
      back = (response, failure) -> {
        Outcome outcome = plain.apply(response, failure);
        ending.end(outcome.callResult(), outcome.receivedErrorCode());
        return outcome;
      };
    }
    return pluginExecutor == null ? call.handle(back) : call.handleAsync(back, pluginExecutor);
  }

  @Override
  public String toString() {
    return "upstream " + upstream;
  }
}
