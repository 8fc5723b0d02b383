package dev.gatekit.benchmarks;

import dev.gatekit.api.Transport;
import dev.gatekit.proxy.GatekitProxy;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;

/**
 * A {@link GatekitProxy} in front of one upstream, with a {@link ProxyClient} connected, the MCP
 * handshake made through the proxy and {@value Priming#PRIME_REQUESTS} echo calls sent through it,
 * so that the proxy, the upstream and the client are compiled before JMH's warmup. The proxy owns
 * the upstream: {@link #close()} ends both.
 *
 * <p>The proxy's executor is its own default (a cached pool, {@code default}) unless the benchmark
 * asks for {@code fork-join}: a {@link ForkJoinPool} in FIFO mode with one thread per core (at least two), handed
 * to {@link GatekitProxy.Builder#executor}. The second is an experiment, to show what the default
 * pool costs under a burst.
 */
final class Gateway implements AutoCloseable {

  /** The name the proxy knows its upstream by. */
  static final String UPSTREAM = "upstream";

  final GatekitProxy proxy;
  final ProxyClient client;
  private final @Nullable ExecutorService executor;

  private Gateway(GatekitProxy proxy, ProxyClient client, @Nullable ExecutorService executor) {
    this.proxy = proxy;
    this.client = client;
    this.executor = executor;
  }

  /**
   * Starts a proxy in front of {@code upstream} (unstarted; the proxy starts it), with the built-in
   * plugins of {@code plugins} or none, on the executor {@code executorKind} names: {@code default}
   * or {@code fork-join}.
   *
   * @throws IllegalArgumentException for another executor kind
   */
  static Gateway start(Transport upstream, @Nullable BuiltinPlugins plugins, String executorKind) {
    return start(upstream, plugins, executorKind, null);
  }

  /**
   * Starts a proxy as {@link #start(Transport, BuiltinPlugins, String)} does, reporting its metrics
   * and traces to {@code openTelemetry} (the global one, a no-op here, when {@code null}).
   */
  static Gateway start(Transport upstream, @Nullable BuiltinPlugins plugins, String executorKind,
      io.opentelemetry.api.@Nullable OpenTelemetry openTelemetry) {
    ExecutorService executor = executor(executorKind);
    GatekitProxy.Builder builder = GatekitProxy.builder().upstream(UPSTREAM, upstream);
    if (openTelemetry != null) {
      builder.openTelemetry(openTelemetry);
    }
    if (executor != null) {
      builder.executor(executor);
    }
    if (plugins != null) {
      plugins.addTo(builder, UPSTREAM);
    }
    GatekitProxy proxy = builder.build();
    ProxyClient client = ProxyClient.connect(proxy);
    McpCalls.handshake(client);
    Priming.prime(client);
    return new Gateway(proxy, client, executor);
  }

  private static @Nullable ExecutorService executor(String kind) {
    return switch (kind) {
      case "default" -> null;
      case "fork-join" ->
          new ForkJoinPool(
              Math.max(2, Runtime.getRuntime().availableProcessors()),
              ForkJoinPool.defaultForkJoinWorkerThreadFactory,
              null,
              true);
      default ->
          throw new IllegalArgumentException("proxyExecutor must be default or fork-join, was " + kind);
    };
  }

  /** Closes the proxy, which closes the upstream and the plugins, then the executor given to it. */
  @Override
  public void close() {
    proxy.close();
    if (executor != null) {
      executor.shutdown();
    }
  }
}
