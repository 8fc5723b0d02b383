package dev.gatekit.testkit;

import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.Transport;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.api.TransportStats;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link Transport} that passes every call to another one, for a test to override just what it
 * watches or holds back — a notification held on its way upstream, the answers given to an
 * upstream's requests recorded — and keep the rest of the contract from the transport it wraps.
 * Thread-safe as far as the wrapped transport and the overrides are.
 */
public class ForwardingTransport implements Transport {

  /** The transport every call goes to unless overridden. */
  protected final Transport delegate;

  public ForwardingTransport(Transport delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public void start() {
    delegate.start();
  }

  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request) {
    return delegate.sendAndReceive(request);
  }

  @Override
  public CompletableFuture<JsonRpcResponse> sendAndReceive(JsonRpcRequest request, Duration timeout) {
    return delegate.sendAndReceive(request, timeout);
  }

  @Override
  public void sendNotification(JsonRpcNotification notification) {
    delegate.sendNotification(notification);
  }

  @Override
  public void setInboundHandler(InboundHandler handler) {
    delegate.setInboundHandler(handler);
  }

  @Override
  public TransportState state() {
    return delegate.state();
  }

  @Override
  public TransportStats stats() {
    return delegate.stats();
  }

  @Override
  public TransportOptions options() {
    return delegate.options();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + delegate + "}";
  }
}
