package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.Transport;
import dev.gatekit.api.RequestId;
import dev.gatekit.testkit.ForwardingTransport;
import dev.gatekit.testkit.MockTransport;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** When a request may pass to an upstream untranslated: the hook of a pass-through path. */
class VersionedUpstreamTest {


  @Test
  void transparentOnlyOnceTheUpstreamsGenerationIsKnownAndIsTheClients() throws Exception {
    MockTransport server2025 = MockTransport.builder()
        .result("initialize", json("{'protocolVersion':'2025-11-25','capabilities':{},'serverInfo':{'name':'s','version':'1'}}"))
        .build();
    try (VersionedUpstream upstream = new VersionedUpstream("old", server2025)) {
      upstream.start();
      assertThat(upstream.isTransparentFor(Generation.Y2025)).isFalse();
      upstream.sendAndReceive(new JsonRpcRequest(RequestId.of(1), "initialize",
          json("{'protocolVersion':'2025-11-25','capabilities':{},'clientInfo':{'name':'c','version':'1'}}")),
          Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
      assertThat(upstream.isTransparentFor(Generation.Y2025)).isTrue();
      assertThat(upstream.isTransparentFor(Generation.Y2026)).isFalse();
    }
  }

  @Test
  void aNewServerIsTransparentForANewClientOnlyAfterTheProbe() throws Exception {
    MockTransport server2026 = MockTransport.builder()
        .result("server/discover", json("{'supportedVersions':['2026-07-28'],'capabilities':{},'resultType':'complete'}"))
        .result("tools/list", json("{'tools':[],'resultType':'complete','ttlMs':0,'cacheScope':'private'}"))
        .build();
    try (VersionedUpstream upstream = new VersionedUpstream("new", server2026)) {
      upstream.start();
      assertThat(upstream.isTransparentFor(Generation.Y2026)).isFalse();
      upstream.sendAndReceive(new JsonRpcRequest(RequestId.of(1), "tools/list",
          json("{'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28'}}")),
          Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
      assertThat(upstream.isTransparentFor(Generation.Y2026)).isTrue();
      assertThat(upstream.isTransparentFor(Generation.Y2025)).isFalse();
    }
  }

  /**
   * A 2025-era server that asks for a sampling while it handles a 2026-era client's call, so fast
   * that its request arrives before the call's sendAndReceive has returned: the request still finds
   * the call and becomes its input_required round, instead of being refused for want of an open one.
   */
  @Test
  void anInputRequestThatArrivesBeforeTheSendReturnsBecomesThatCallsRound() throws Exception {
    MockTransport server2025 = MockTransport.builder()
        .result("initialize", json("{'protocolVersion':'2025-11-25','capabilities':{},'serverInfo':{'name':'s','version':'1'}}"))
        .result("tools/call", json("{'content':[]}"))
        .build();
    AtomicReference<CompletionStage<JsonRpcResponse>> samplingAnswer = new AtomicReference<>();
    Transport eager = new ForwardingTransport(server2025) {
      private volatile InboundHandler inbound;

      @Override
      public void setInboundHandler(InboundHandler handler) {
        inbound = handler;
        super.setInboundHandler(handler);
      }

      @Override
      public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request, Duration timeout) {
        if (request.method().equals("tools/call")) {
          samplingAnswer.set(inbound.onRequest(new JsonRpcRequest(RequestId.of("s-1"), "sampling/createMessage",
              json("{'messages':[],'maxTokens':5}"))));
        }
        return super.sendAndReceive(request, timeout);
      }
    };
    try (VersionedUpstream upstream = new VersionedUpstream("old", eager)) {
      upstream.setInboundHandler(InboundHandler.REFUSE_ALL); // the bridge answers input requests itself
      upstream.start();
      JsonRpcResponse round = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of(1), "tools/call",
          json("{'name':'t','_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
              + "'io.modelcontextprotocol/clientCapabilities':{'sampling':{}}}}")),
          Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);

      assertThat(round.result().path("resultType").asText()).as(round.toString()).isEqualTo("input_required");
      assertThat(round.result().path("inputRequests").toString()).contains("sampling/createMessage");
      assertThat(samplingAnswer.get().toCompletableFuture()).as("waiting for the client's retry").isNotDone();
    }
  }

  private static JsonNode json(String singleQuoted) {
    try {
      return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
