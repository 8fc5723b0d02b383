package dev.gatekit.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Receives what an upstream sends without being asked: notifications (progress, logging, list
 * changes, ...) and server-to-client requests (sampling, elicitation, roots, ping).
 *
 * <p>A transport calls these methods in the order the messages arrived, one at a time, and never on
 * the thread that reads from the upstream. A response the server wrote after an unasked message is
 * completed only once the handler has taken that message, so a caller never sees its answer before
 * the progress notifications that preceded it; a handler should therefore return quickly (hand slow
 * work elsewhere), since while it runs, responses read after its message wait. A request is answered by completing the returned stage; the transport writes that
 * answer back to the upstream under the upstream's own request id (the id of the returned response
 * is ignored). A stage that completes exceptionally is answered with an internal error.
 */
public interface InboundHandler {

  /** A handler that ignores notifications and answers every request with "method not found". */
  InboundHandler REFUSE_ALL =
      new InboundHandler() {
        @Override
        public void onNotification(JsonRpcNotification notification) {}

        @Override
        public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
          return CompletableFuture.completedFuture(
              JsonRpcResponse.failure(
                  request.id(),
                  ErrorCodes.METHOD_NOT_FOUND,
                  "No handler for server-to-client request '" + request.method() + "'"));
        }
      };

  /** Called for each notification from the upstream. */
  void onNotification(JsonRpcNotification notification);

  /** Called for each request from the upstream; the returned stage supplies the answer. */
  CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request);
}
