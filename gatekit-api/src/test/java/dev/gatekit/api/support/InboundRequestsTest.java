package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class InboundRequestsTest {

  private static final JsonRpcRequest SAMPLING = new JsonRpcRequest(RequestId.of(7), "sampling/createMessage", null);

  private static InboundHandler answering(Function<JsonRpcRequest, CompletionStage<JsonRpcResponse>> answer) {
    return new InboundHandler() {
      @Override
      public void onNotification(JsonRpcNotification notification) {}

      @Override
      public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
        return answer.apply(request);
      }
    };
  }

  private static List<JsonRpcResponse> replies(InboundHandler handler) {
    List<JsonRpcResponse> replies = new ArrayList<>();
    InboundRequests.answer(handler, SAMPLING, replies::add);
    return replies;
  }

  @Test
  void theAnswerGoesBackUnderTheUpstreamsIdWhateverIdTheHandlerGaveIt() {
    List<JsonRpcResponse> replies = replies(answering(request -> CompletableFuture.completedFuture(
        JsonRpcResponse.success(RequestId.of("other"), JsonNodeFactory.instance.objectNode()))));
    assertThat(replies).singleElement().satisfies(reply -> {
      assertThat(reply.id()).isEqualTo(RequestId.of(7));
      assertThat(reply.isError()).isFalse();
    });
  }

  @Test
  void aHandlerThatThrowsReturnsNothingOrFailsIsAnsweredWithAnInternalErrorNamingTheMethod() {
    List<InboundHandler> broken = List.of(
        answering(request -> {
          throw new IllegalStateException("boom");
        }),
        answering(request -> null),
        answering(request -> CompletableFuture.failedFuture(new IllegalStateException("no"))));
    for (InboundHandler handler : broken) {
      assertThat(replies(handler)).singleElement().satisfies(reply -> {
        assertThat(reply.id()).isEqualTo(RequestId.of(7));
        assertThat(reply.error().code()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
        assertThat(reply.error().message()).contains("sampling/createMessage");
      });
    }
  }

  @Test
  void aLaterAnswerIsGivenOnceItIsThere() {
    CompletableFuture<JsonRpcResponse> later = new CompletableFuture<>();
    List<JsonRpcResponse> replies = new ArrayList<>();
    InboundRequests.answer(answering(request -> later), SAMPLING, replies::add);
    assertThat(replies).isEmpty();
    later.complete(JsonRpcResponse.success(RequestId.of(1), JsonNodeFactory.instance.objectNode()));
    assertThat(replies).singleElement().extracting(JsonRpcResponse::id).isEqualTo(RequestId.of(7));
  }
}
