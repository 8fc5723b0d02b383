package dev.gatekit.benchmarks;

import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.proxy.ClientConnection;
import dev.gatekit.proxy.GatekitProxy;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client of a {@link GatekitProxy} in the same JVM: hands requests to {@link
 * GatekitProxy#receive}, each under a fresh numeric id (the proxy refuses an id already in flight),
 * and completes the future of each request when the proxy sends its response. No pipe and no JSON
 * on the client side, so what it measures is the proxy itself. Completion runs on the proxy's thread
 * that sends the response; dependent stages must not block.
 */
final class ProxyClient implements ClientConnection, Caller {

  private final GatekitProxy proxy;
  private final AtomicLong ids = new AtomicLong();
  private final Map<RequestId, CompletableFuture<JsonRpcResponse>> pending =
      new ConcurrentHashMap<>();

  private ProxyClient(GatekitProxy proxy) {
    this.proxy = proxy;
  }

  /** Connects a new client to {@code proxy}, which starts its upstreams. */
  static ProxyClient connect(GatekitProxy proxy) {
    ProxyClient client = new ProxyClient(proxy);
    proxy.connect(client);
    return client;
  }

  @Override
  public CompletableFuture<JsonRpcResponse> call(JsonRpcRequest request) {
    RequestId id = RequestId.of(ids.incrementAndGet());
    CompletableFuture<JsonRpcResponse> answer = new CompletableFuture<>();
    pending.put(id, answer);
    proxy.receive(request.withId(id));
    return answer;
  }

  @Override
  public void notify(JsonRpcNotification notification) {
    proxy.receive(notification);
  }

  /** Completes the request a response answers; notifications from upstream are not awaited. */
  @Override
  public void send(JsonRpcMessage message) {
    if (message instanceof JsonRpcResponse response) {
      CompletableFuture<JsonRpcResponse> answer =
          response.id() == null ? null : pending.remove(response.id());
      if (answer == null) {
        throw new IllegalStateException("a response to no request of this client: " + response);
      }
      answer.complete(response);
    } else if (message instanceof JsonRpcRequest request) {
      throw new IllegalStateException("the benchmarks' upstreams send no requests: " + request);
    }
  }
}
