package dev.gatekit.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.testkit.MockTransport;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A proxy in front of in-memory upstreams, one {@link MockTransport} per session, for the fast
 * tests of the front. Tools: {@code echo} answers at once; {@code progress} sends a progress
 * notification (for the call's token) and a log message, then answers when {@link #release()} is
 * called; {@code log} sends a log message, then answers. Called with {@code "leak": true}, a tool's
 * answer carries a secret ({@link #AWS_KEY}).
 */
final class MockUpstreams implements AutoCloseable {

  final List<MockTransport> upstreams = new CopyOnWriteArrayList<>();
  private volatile CountDownLatch gate = new CountDownLatch(1);

  /** What a tool answers after its text when called with {@code "leak": true}: a secret. */
  static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  /** The proxy: every session it opens gets a mock upstream of its own. */
  final GatekitProxy proxy;

  MockUpstreams() {
    this(builder -> { });
  }

  /** With more on the proxy's builder, such as plugins. */
  MockUpstreams(java.util.function.Consumer<GatekitProxy.Builder> more) {
    GatekitProxy.Builder builder = GatekitProxy.builder().upstreamPerSession("mock", this::newUpstream);
    more.accept(builder);
    this.proxy = builder.build();
  }

  private MockTransport newUpstream() {
    AtomicReference<MockTransport> self = new AtomicReference<>();
    MockTransport mock = MockTransport.builder()
        .result("initialize", Http.json("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{},"
            + "\"logging\":{}},\"serverInfo\":{\"name\":\"mock\",\"version\":\"1\"}}"))
        .handle("tools/call", request -> call(self.get(), request))
        .build();
    self.set(mock);
    upstreams.add(mock);
    return mock;
  }

  /** Lets every waiting {@code progress} call answer. */
  void release() {
    gate.countDown();
  }

  @Override
  public void close() {
    release();
    proxy.close();
  }

  long running() {
    return upstreams.stream().filter(mock -> mock.state() == dev.gatekit.api.TransportState.RUNNING).count();
  }

  private JsonRpcResponse call(MockTransport mock, JsonRpcRequest request) {
    String tool = request.params().path("name").asText();
    switch (tool) {
      case "progress" -> {
        JsonNode token = request.params().path("_meta").path("progressToken");
        if (!token.isMissingNode()) {
          ObjectNode params = JsonRpcCodec.get().mapper().createObjectNode();
          params.set("progressToken", token);
          params.put("progress", 1).put("total", 2);
          mock.emitNotification(new JsonRpcNotification("notifications/progress", params));
        }
        mock.emitNotification(log("working"));
        try {
          if (!gate.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("never released");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return text(request, "progress done");
      }
      case "log" -> {
        mock.emitNotification(log("logged"));
        return text(request, "log done");
      }
      default -> {
        return text(request, "echo " + request.params().path("arguments"));
      }
    }
  }

  private static JsonRpcNotification log(String data) {
    return new JsonRpcNotification("notifications/message",
        Http.json("{\"level\":\"info\",\"logger\":\"mock\",\"data\":\"" + data + "\"}"));
  }

  private static JsonRpcResponse text(JsonRpcRequest request, String answer) {
    String text = answer + (request.params().path("arguments").path("leak").asBoolean() ? " key " + AWS_KEY : "");
    ObjectNode result = JsonRpcCodec.get().mapper().createObjectNode();
    result.putArray("content").addObject().put("type", "text").put("text", text);
    return JsonRpcResponse.success(request.id(), result);
  }
}
