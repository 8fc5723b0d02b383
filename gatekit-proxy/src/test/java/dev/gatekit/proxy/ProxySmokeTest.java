package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.testkit.MockTransport;
import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProxySmokeTest {

  @Test
  void initializeThenAToolCallThroughOneUpstream() {
    ObjectNode init = JsonNodeFactory.instance.objectNode();
    init.put("protocolVersion", "2025-11-25");
    init.putObject("capabilities");
    init.putObject("serverInfo").put("name", "mock").put("version", "1");
    ObjectNode echo = JsonNodeFactory.instance.objectNode();
    echo.putArray("content").addObject().put("type", "text").put("text", "hi");
    // Each call waits at the upstream until all 100 have arrived: "100 at once" is then a fact,
    // not a matter of how fast a loaded machine sends them within the latency.
    CountDownLatch allArrived = new CountDownLatch(100);
    MockTransport upstream =
        MockTransport.builder()
            .result("initialize", init)
            .handle("tools/call", request -> {
              allArrived.countDown();
              try {
                allArrived.await(30, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return JsonRpcResponse.success(request.id(), echo);
            })
            .latency(Duration.ofMillis(20))
            .build();
    ConcurrentLinkedQueue<JsonRpcMessage> out = new ConcurrentLinkedQueue<>();
    try (GatekitProxy proxy = GatekitProxy.builder().upstream("mock", upstream).build()) {
      proxy.connect(out::add);
      JsonRpcCodec codec = JsonRpcCodec.get();
      proxy.receive(codec.decode("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"));
      assertThat(proxy.awaitIdle(Duration.ofSeconds(10))).isTrue();
      for (int i = 0; i < 100; i++) {
        proxy.receive(new JsonRpcRequest(RequestId.of("c" + i), "tools/call", JsonNodeFactory.instance.objectNode().put("name", "echo")));
      }
      assertThat(proxy.awaitIdle(Duration.ofSeconds(10))).isTrue();
      assertThat(out).hasSize(101);
      assertThat(((JsonRpcResponse) out.peek()).result()).isEqualTo(init);
      assertThat(upstream.maxConcurrent()).isEqualTo(100);
      assertThat(proxy.stats().maxInFlight()).isEqualTo(100);
      assertThat(proxy.stats().inFlight()).isZero();
    }
  }
}
