package dev.gatekit.proxy.e2e;

import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCMessage;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCNotification;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCRequest;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * An SDK client transport around another that records every message both ways, and lets a test
 * put its own requests and notifications on the same connection: what the SDK client has no method
 * for (a {@code notifications/cancelled}, a list the server's capabilities do not announce) or a
 * result a test wants as the JSON the server sent. Responses to the tap's own requests (ids
 * {@code "e2e-raw-N"}) are taken out before the SDK client sees them.
 */
final class WireTap implements McpClientTransport {

  private static final String RAW_PREFIX = "e2e-raw-";

  private final McpClientTransport delegate;
  private final List<JSONRPCMessage> sent = new CopyOnWriteArrayList<>();
  private final List<JSONRPCMessage> received = new CopyOnWriteArrayList<>();
  private final Map<Object, CompletableFuture<JSONRPCResponse>> rawPending = new ConcurrentHashMap<>();
  private final AtomicLong rawIds = new AtomicLong();

  WireTap(McpClientTransport delegate) {
    this.delegate = delegate;
  }

  @Override
  public Mono<Void> connect(Function<Mono<JSONRPCMessage>, Mono<JSONRPCMessage>> handler) {
    return delegate.connect(
        incoming -> handler.apply(incoming.doOnNext(received::add).filter(message -> !takeRawResponse(message))));
  }

  @Override
  public void setExceptionHandler(Consumer<Throwable> handler) {
    delegate.setExceptionHandler(handler);
  }

  @Override
  public Mono<Void> sendMessage(JSONRPCMessage message) {
    sent.add(message);
    return delegate.sendMessage(message);
  }

  @Override
  public Mono<Void> closeGracefully() {
    return delegate.closeGracefully();
  }

  @Override
  public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
    return delegate.unmarshalFrom(data, typeRef);
  }

  @Override
  public List<String> protocolVersions() {
    return delegate.protocolVersions();
  }

  /** Everything the client sent, in order. */
  List<JSONRPCMessage> sent() {
    return List.copyOf(sent);
  }

  /** Everything the client received, in order, including the answers to the tap's own requests. */
  List<JSONRPCMessage> received() {
    return List.copyOf(received);
  }

  /** The requests the client sent with this method, in order. */
  List<JSONRPCRequest> sentRequests(String method) {
    return sent.stream()
        .filter(m -> m instanceof JSONRPCRequest r && r.method().equals(method))
        .map(JSONRPCRequest.class::cast)
        .toList();
  }

  /** The responses the client received to the request with this id. */
  List<JSONRPCResponse> responsesTo(Object id) {
    return received.stream()
        .filter(m -> m instanceof JSONRPCResponse r && id.equals(r.id()))
        .map(JSONRPCResponse.class::cast)
        .toList();
  }

  /** The ids of requests sent and neither answered nor cancelled (by a notification sent here). */
  List<Object> unanswered() {
    Set<Object> done = new HashSet<>();
    received.forEach(m -> {
      if (m instanceof JSONRPCResponse r) {
        done.add(r.id());
      }
    });
    sent.forEach(m -> {
      if (m instanceof JSONRPCNotification n && n.method().equals("notifications/cancelled")
          && n.params() instanceof Map<?, ?> params) {
        done.add(params.get("requestId"));
      }
    });
    return sent.stream()
        .filter(m -> m instanceof JSONRPCRequest r && !done.contains(r.id()))
        .map(m -> ((JSONRPCRequest) m).id())
        .toList();
  }

  /**
   * Sends a request of the test's own on the client's connection and waits for its answer (result
   * or error) as the server sent it.
   */
  JSONRPCResponse request(String method, Object params, Duration timeout) {
    String id = RAW_PREFIX + rawIds.incrementAndGet();
    CompletableFuture<JSONRPCResponse> answer = new CompletableFuture<>();
    rawPending.put(id, answer);
    try {
      sendMessage(new JSONRPCRequest("2.0", method, id, params)).block(timeout);
      return Await.future(answer, timeout, method + " (id " + id + ")");
    } finally {
      rawPending.remove(id);
    }
  }

  /** Sends a notification of the test's own on the client's connection. */
  void notify(String method, Object params, Duration timeout) {
    sendMessage(new JSONRPCNotification("2.0", method, params)).block(timeout);
  }

  private boolean takeRawResponse(JSONRPCMessage message) {
    if (message instanceof JSONRPCResponse response && response.id() instanceof String id && id.startsWith(RAW_PREFIX)) {
      CompletableFuture<JSONRPCResponse> answer = rawPending.get(id);
      if (answer != null) {
        answer.complete(response);
      }
      return true;
    }
    return false;
  }
}
