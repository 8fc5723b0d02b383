package dev.gatekit.transport.http.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The Jetty HTTP clients that the HTTP transports of a JVM share, one per kind: clear text (HTTP/1.1)
 * or TLS (HTTP/2 or HTTP/1.1, as ALPN agrees), a connect timeout, and a TLS context. Transports of
 * the same kind share a client, so its connection pool and threads; the clients live as long as the
 * JVM, on daemon threads.
 *
 * <p>Each client: its work on a pool of daemon threads; no limit on connections per server that a
 * transport's in-flight limit would not set first; no idle timeout of its own (a server closes
 * kept-alive connections when it likes, and an event stream may be quiet for long); a 401 or 407 is
 * passed to the transport as it came (no authentication of Jetty's); redirects are followed.
 *
 * <p>The clients declare their response listeners non-blocking, so Jetty runs them on the selector
 * thread that read the bytes instead of handing each read to a pool thread: on two cores that
 * hand-off cost more than the rest of the client (see BENCHMARKS.md, "Non-blocking listeners"). So
 * nothing that runs in a listener may block — a transport's listeners parse, complete state and hand
 * callers' work to {@link HttpExecutors#callbacks()} (or the transport's own callback executor,
 * which must not run tasks on the submitting thread); a follow-up request is sent asynchronously.
 */
public final class HttpClients {

  /** The name of the clients' threads (their selectors among them): no caller's code runs on them. */
  public static final String THREAD_NAME = "gatekit-http-client";

  private record Kind(boolean secure, long connectMillis, SSLContext tls) {}

  private static final Map<Kind, HttpClient> CLIENTS = new ConcurrentHashMap<>();

  private HttpClients() {}

  /** Returns the shared client for that kind, started. */
  public static HttpClient of(boolean secure, Duration connectTimeout, SSLContext tls) {
    return CLIENTS.computeIfAbsent(new Kind(secure, connectTimeout.toMillis(), tls), HttpClients::start);
  }

  private static HttpClient start(Kind kind) {
    QueuedThreadPool threads = new QueuedThreadPool(200, 2);
    threads.setName(THREAD_NAME);
    threads.setDaemon(true);
    ClientConnector connector = new ClientConnector();
    connector.setExecutor(threads);
    ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("gatekit-http-client-scheduler", true);
    connector.setScheduler(scheduler);
    connector.setIdleTimeout(Duration.ZERO);
    connector.setConnectTimeout(Duration.ofMillis(kind.connectMillis()));
    SslContextFactory.Client tls = new SslContextFactory.Client();
    tls.setSslContext(kind.tls());
    connector.setSslContextFactory(tls);
    HTTP2Client http2 = new HTTP2Client(connector);
    http2.setIdleTimeout(0);
    // Over TLS, ALPN offers h2 first; in clear text the first one, HTTP/1.1, is spoken.
    HttpClientTransportDynamic transport =
        kind.secure()
            ? new HttpClientTransportDynamic(
                connector, new ClientConnectionFactoryOverHTTP2.HTTP2(http2), HttpClientConnectionFactory.HTTP11)
            : new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11);
    // Every listener of ours only parses and hands off (see HttpExecutors): the selector thread may
    // run them itself, rather than waking a pool thread for each read.
    transport.setInvocationType(Invocable.InvocationType.NON_BLOCKING);
    HttpClient client = new HttpClient(transport);
    client.setExecutor(threads);
    client.setScheduler(scheduler);
    client.setIdleTimeout(0);
    client.setFollowRedirects(true);
    client.setMaxConnectionsPerDestination(4096);
    client.setMaxRequestsQueuedPerDestination(65536);
    try {
      client.start();
    } catch (Exception e) {
      throw new IllegalStateException("The HTTP client did not start: " + e, e);
    }
    // Removed once started: starting puts the default handlers in.
    client.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME);
    client.getProtocolHandlers().remove(ProxyAuthenticationProtocolHandler.NAME);
    return client;
  }
}
