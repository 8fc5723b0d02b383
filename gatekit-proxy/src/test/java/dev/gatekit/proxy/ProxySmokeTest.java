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
    // Every call waits until all 100 are in the upstream at once: concurrency shown by a rendezvous,
    // not by a latency window that a loaded machine may miss.
    CountDownLatch allInFlight = new CountDownLatch(100);
    MockTransport upstream =
        MockTransport.builder()
            .result("initialize", init)
            .handle("tools/call", request -> {
              allInFlight.countDown();
              try {
                if (!allInFlight.await(30, TimeUnit.SECONDS)) {
                  throw new IllegalStateException("the 100 calls were never in flight together");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
              }
              return JsonRpcResponse.success(request.id(), echo);
            })
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
      assertThat(proxy.awaitIdle(Duration.ofSeconds(30))).isTrue();
      assertThat(out).hasSize(101);
      assertThat(out).allSatisfy(m -> assertThat(((JsonRpcResponse) m).isError()).as("%s", m).isFalse());
      assertThat(((JsonRpcResponse) out.peek()).result()).isEqualTo(init);
      assertThat(upstream.maxConcurrent()).as("requests overlap at the upstream").isGreaterThan(1);
      assertThat(proxy.stats().inFlight()).isZero();
    }
  }

  @Test
  void closeClosesEveryPluginOnce() {
    java.util.concurrent.atomic.AtomicInteger closes = new java.util.concurrent.atomic.AtomicInteger();
    dev.gatekit.api.plugin.SecurityPlugin plugin =
        new dev.gatekit.api.plugin.SecurityPlugin() {
          @Override
          public void close() {
            closes.incrementAndGet();
          }
        };
    GatekitProxy proxy = GatekitProxy.builder().upstream("mock", MockTransport.builder().build()).plugin(plugin).build();
    proxy.connect(message -> {});
    proxy.close();
    proxy.close();
    assertThat(closes).hasValue(1);
  }

  @Test
  void anUpstreamThatDoesNotAnswerInitializeInTimeIsReportedWithTheTimeoutCode() {
    MockTransport slow =
        MockTransport.builder()
            .result("initialize", JsonNodeFactory.instance.objectNode().put("protocolVersion", "2025-11-25"))
            .latency(Duration.ofSeconds(30))
            .build();
    ConcurrentLinkedQueue<JsonRpcMessage> out = new ConcurrentLinkedQueue<>();
    try (GatekitProxy proxy =
        GatekitProxy.builder().upstream("slow", slow).initializeTimeout(Duration.ofMillis(200)).build()) {
      proxy.connect(out::add);
      proxy.receive(JsonRpcCodec.get().decode(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"));
      assertThat(proxy.awaitIdle(Duration.ofSeconds(10))).isTrue();
      JsonRpcResponse answer = (JsonRpcResponse) out.peek();
      assertThat(answer.isError()).isTrue();
      assertThat(answer.error().code()).isEqualTo(dev.gatekit.api.ErrorCodes.REQUEST_TIMEOUT);
    }
  }
}
