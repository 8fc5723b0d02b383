package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import dev.gatekit.testkit.MockTransport;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a request may pass to an upstream untranslated: the hook of a pass-through path. */
class VersionedUpstreamTest {

  private static JsonNode json(String singleQuoted) throws Exception {
    return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
  }

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
}
