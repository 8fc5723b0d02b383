package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.get;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.hold;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.ok;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.testkit.ForwardingTransport;
import dev.gatekit.testkit.MockTransport;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What flows besides client requests: notifications both ways, cancellations both ways, and requests
 * from upstreams to the client (sampling, elicitation, roots) with their answers.
 */
class ProxyDirectionsTest {

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final List<MockTransport> mocks = new ArrayList<>();
  private final CompletableFuture<Void> release = new CompletableFuture<>();
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    release.complete(null);
    if (proxy != null) {
      proxy.close();
    }
    mocks.forEach(MockTransport::close);
  }

  // ---------------------------------------------------------------------------------------------
  // Notifications

  @Test
  void upstreamNotificationsReachTheClientUnchangedAndInOrder() {
    MockTransport only = mock();
    start(only);
    List<JsonRpcNotification> emitted = List.of(
        notification("notifications/progress", "{'progressToken':'t1','progress':1,'total':3,'message':'one'}"),
        notification("notifications/message", "{'level':'warning','logger':'db','data':{'rows':3}}"),
        notification("notifications/tools/list_changed", null),
        notification("notifications/resources/updated", "{'uri':'file:///a.txt'}"),
        notification("notifications/progress", "{'progressToken':'t1','progress':2,'total':3}"));

    emitted.forEach(only::emitNotification);

    List<JsonRpcNotification> received =
        client.awaitCount(JsonRpcNotification.class, n -> true, emitted.size(), "the notifications");
    assertThat(received).containsExactlyElementsOf(emitted);
    assertThat(proxy.stats().notifications()).isGreaterThanOrEqualTo(emitted.size());
  }

  @Test
  void notificationsOfSeveralUpstreamsAllReachTheClient() {
    MockTransport a = mock();
    MockTransport b = mock();
    start(a, b);

    a.emitNotification(notification("notifications/resources/updated", "{'uri':'file:///a'}"));
    b.emitNotification(notification("notifications/resources/updated", "{'uri':'mem://b'}"));
    b.emitNotification(notification("notifications/prompts/list_changed", null));

    List<JsonRpcNotification> received = client.awaitCount(JsonRpcNotification.class, n -> true, 3, "three");
    assertThat(received).extracting(n -> n.params() == null ? null : n.params().get("uri").textValue())
        .containsExactlyInAnyOrder("file:///a", "mem://b", null);
  }

  @Test
  void clientNotificationsReachEveryUpstream() {
    MockTransport a = mock();
    MockTransport b = mock();
    start(a, b);

    JsonRpcNotification rootsChanged = notification("notifications/roots/list_changed", null);
    proxy.receive(rootsChanged);

    for (MockTransport upstream : List.of(a, b)) {
      await("roots/list_changed upstream", () -> upstream.notifications().contains(rootsChanged));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cancellation by the client

  @Test
  void aClientCancellationCancelsTheRequestUpstreamAndTheClientGetsNoResponse() {
    MockTransport a = mock(MockTransport.builder().handle("tools/call", r -> ok(r, "{'from':'a'}")));
    MockTransport b = mock(MockTransport.builder().handle("tools/call", r -> {
      hold(release);
      return ok(r, "{'late':true}");
    }));
    start(a, b);

    proxy.receive(request(5, "tools/call", "{'name':'b__slow'}"));
    assertThat(b.awaitInFlight(1, PATIENCE)).isTrue();
    proxy.receive(notification("notifications/cancelled", "{'requestId':5,'reason':'user pressed stop'}"));
    await("the cancellation upstream", () -> b.cancellations().contains(RequestId.of(5)));
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
    proxy.receive(request(6, "tools/call", "{'name':'a__fast'}"));
    client.awaitResponse(6);
    release.complete(null);
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();

    assertThat(client.responsesTo(RequestId.of(5))).isEmpty();
    assertThat(proxy.stats().cancelled()).isEqualTo(1);
    assertThat(proxy.stats().inFlight()).isZero();
    assertThat(b.stats().cancelled()).isEqualTo(1);
    assertThat(b.notifications()).extracting(JsonRpcNotification::method)
        .as("the transport tells its upstream itself, under its own id")
        .doesNotContain("notifications/cancelled");
  }

  @Test
  void aCancellationOfAnUnknownOrFinishedRequestIsIgnored() {
    MockTransport only = mock(MockTransport.builder().handle("tools/call", r -> ok(r, "{}")));
    start(only);
    proxy.receive(request(1, "tools/call", "{'name':'x'}"));
    client.awaitResponse(1);

    proxy.receive(notification("notifications/cancelled", "{'requestId':1}"));
    proxy.receive(notification("notifications/cancelled", "{'requestId':'never-sent'}"));
    proxy.receive(notification("notifications/cancelled", null));
    proxy.receive(request(2, "tools/call", "{'name':'x'}"));

    assertThat(client.awaitResponse(2).isError()).isFalse();
    assertThat(proxy.stats().cancelled()).isZero();
    assertThat(only.cancellations()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Requests from an upstream to the client

  @Test
  void aServerRequestReachesTheClientUnderAProxyIdAndTheAnswerReturnsUnderTheUpstreamsId() {
    MockTransport mock = mock();
    Tap tap = new Tap(mock);
    proxy = GatekitProxy.builder().upstream("only", tap).build();
    proxy.connect(client);
    handshake(proxy, client);
    JsonRpcRequest sampling = request(7, "sampling/createMessage",
        "{'messages':[{'role':'user','content':{'type':'text','text':'Hi'}}],'maxTokens':50}");

    CompletableFuture<JsonRpcResponse> upstreamGets = mock.emitRequest(sampling);
    JsonRpcRequest atClient = client.awaitRequest("sampling/createMessage");

    assertThat(atClient.id()).isInstanceOf(RequestId.StringId.class);
    assertThat(((RequestId.StringId) atClient.id()).value()).matches("gatekit-\\d+");
    assertThat(atClient.params()).isEqualTo(sampling.params());

    proxy.receive(JsonRpcResponse.success(atClient.id(),
        json("{'role':'assistant','content':{'type':'text','text':'Hello'},'model':'m'}")));

    JsonRpcResponse answer = get(upstreamGets);
    assertThat(answer.id()).isEqualTo(RequestId.of(7));
    assertThat(answer.result().get("content").get("text").textValue()).isEqualTo("Hello");
    assertThat(tap.answers).singleElement()
        .satisfies(raw -> assertThat(raw.id()).as("the proxy itself restores the upstream's id").isEqualTo(RequestId.of(7)));
  }

  @Test
  void aClientErrorAnswerToAServerRequestReturnsToTheUpstream() {
    MockTransport only = mock();
    start(only);

    CompletableFuture<JsonRpcResponse> upstreamGets =
        only.emitRequest(request("e-1", "elicitation/create", "{'message':'Name?','requestedSchema':{'type':'object'}}"));
    JsonRpcRequest atClient = client.awaitRequest("elicitation/create");
    proxy.receive(JsonRpcResponse.failure(atClient.id(), -1, "User rejected"));

    JsonRpcResponse answer = get(upstreamGets);
    assertThat(answer.id()).isEqualTo(RequestId.of("e-1"));
    assertThat(answer.error().code()).isEqualTo(-1);
    assertThat(answer.error().message()).isEqualTo("User rejected");
  }

  @Test
  void twoUpstreamsUsingTheSameServerRequestIdDoNotCollide() {
    MockTransport a = mock();
    MockTransport b = mock();
    start(a, b);

    CompletableFuture<JsonRpcResponse> toA = a.emitRequest(request(1, "roots/list", "{}"));
    CompletableFuture<JsonRpcResponse> toB = b.emitRequest(request(1, "roots/list", "{}"));
    List<JsonRpcRequest> atClient =
        client.awaitCount(JsonRpcRequest.class, r -> r.method().equals("roots/list"), 2, "two roots/list");

    assertThat(atClient.get(0).id()).isNotEqualTo(atClient.get(1).id());
    // Answer each with the id it arrived under; who asked is unknown to the client, so tell them apart by the answer.
    proxy.receive(JsonRpcResponse.success(atClient.get(0).id(), json("{'roots':[{'uri':'file:///first'}]}")));
    proxy.receive(JsonRpcResponse.success(atClient.get(1).id(), json("{'roots':[{'uri':'file:///second'}]}")));

    JsonRpcResponse answerA = get(toA);
    JsonRpcResponse answerB = get(toB);
    assertThat(answerA.id()).isEqualTo(RequestId.of(1));
    assertThat(answerB.id()).isEqualTo(RequestId.of(1));
    assertThat(List.of(rootOf(answerA), rootOf(answerB))).containsExactlyInAnyOrder("file:///first", "file:///second");
    assertThat(rootOf(answerA)).isNotEqualTo(rootOf(answerB));
  }

  @Test
  void anUpstreamCancellingItsServerRequestReachesTheClientUnderTheProxysId() {
    MockTransport only = mock();
    start(only);
    CompletableFuture<JsonRpcResponse> upstreamGets =
        only.emitRequest(request(7, "sampling/createMessage", "{'messages':[],'maxTokens':1}"));
    JsonRpcRequest atClient = client.awaitRequest("sampling/createMessage");

    only.emitNotification(notification("notifications/cancelled", "{'requestId':7,'reason':'took too long'}"));

    JsonRpcNotification cancelled = client.awaitNotification("notifications/cancelled");
    assertThat(cancelled.params()).isEqualTo(json("{'requestId':'" + ((RequestId.StringId) atClient.id()).value()
        + "','reason':'took too long'}"));
    get(upstreamGets); // the upstream's request is over; its answer no longer matters
    int before = client.all().size();
    proxy.receive(JsonRpcResponse.success(atClient.id(), json("{'too':'late'}"))); // dropped
    proxy.receive(request("after", "ping"));
    client.awaitResponse("after");
    assertThat(client.all()).hasSize(before + 1);
  }

  @Test
  void aClientResponseWithAnUnknownIdIsDroppedAndTheProxyKeepsServing() {
    MockTransport only = mock(MockTransport.builder().handle("tools/call", r -> ok(r, "{}")));
    start(only);
    ProxyStats before = proxy.stats();
    int sentBefore = client.all().size();

    proxy.receive(JsonRpcResponse.success(RequestId.of("gatekit-999"), json("{}")));
    proxy.receive(JsonRpcResponse.success(RequestId.of(3), json("{}")));
    proxy.receive(JsonRpcResponse.failure(null, ErrorCodes.PARSE_ERROR, "client could not parse something"));
    proxy.receive(request(4, "tools/call", "{'name':'x'}"));

    assertThat(client.awaitResponse(4).isError()).isFalse();
    assertThat(client.all()).hasSize(sentBefore + 1);
    assertThat(proxy.stats().failed()).isEqualTo(before.failed());
    assertThat(only.requests()).extracting(JsonRpcRequest::method).containsExactly("initialize", "tools/call");
  }

  // ---------------------------------------------------------------------------------------------

  private MockTransport mock() {
    return mock(MockTransport.builder());
  }

  private MockTransport mock(MockTransport.Builder builder) {
    MockTransport mock = builder.result("initialize", initializeResult("m" + mocks.size())).build();
    mocks.add(mock);
    return mock;
  }

  private void start(MockTransport... upstreams) {
    GatekitProxy.Builder builder = GatekitProxy.builder();
    for (int i = 0; i < upstreams.length; i++) {
      builder.upstream(upstreams.length == 1 ? "only" : String.valueOf((char) ('a' + i)), upstreams[i]);
    }
    proxy = builder.build();
    proxy.connect(client);
    handshake(proxy, client);
  }

  private static String rootOf(JsonRpcResponse response) {
    return response.result().get("roots").get(0).get("uri").textValue();
  }

  /**
   * A transport that passes everything to a mock and records the answers the proxy's inbound handler
   * gives to server-to-client requests, before the mock puts the upstream's id on them.
   */
  private static final class Tap extends ForwardingTransport {
    final List<JsonRpcResponse> answers = Collections.synchronizedList(new ArrayList<>());

    Tap(MockTransport mock) {
      super(mock);
    }

    @Override
    public void setInboundHandler(InboundHandler handler) {
      delegate.setInboundHandler(new InboundHandler() {
        @Override
        public void onNotification(JsonRpcNotification notification) {
          handler.onNotification(notification);
        }

        @Override
        public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
          return handler.onRequest(request).thenApply(answer -> {
            answers.add(answer);
            return answer;
          });
        }
      });
    }
  }
}
