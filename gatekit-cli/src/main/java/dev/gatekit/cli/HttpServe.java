package dev.gatekit.cli;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.config.HttpSettings;
import dev.gatekit.server.http.StreamableHttpServer;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * What {@code gatekit --http HOST:PORT} and {@code proxy.transport: http} run: a {@link GatekitProxy}
 * served to many clients by {@link StreamableHttpServer}, until the process is told to stop.
 *
 * <p>Beside the MCP endpoint it serves the metrics as Prometheus text at {@code /metrics} (under the
 * same bearer tokens), unless that is the endpoint's own path.
 *
 * <p>Once listening it prints {@value #LISTENING} and the endpoint on stderr. On SIGTERM (or
 * SIGINT) a shutdown hook drains: new sessions get 503, the requests in flight get up to {@link
 * #DRAIN_TIMEOUT} to be answered, then every session closes, the listener closes, and the
 * upstreams stop.
 */
final class HttpServe {

  /** What stderr says, followed by the endpoint, once the front is listening. */
  static final String LISTENING = "gatekit: serving MCP Streamable HTTP at ";

  /**
   * How long requests in flight may take to finish after SIGTERM: below the 30 s a service manager
   * such as Kubernetes or systemd commonly allows before it kills, so the upstreams still stop cleanly.
   */
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(20);

  private HttpServe() {}

  /**
   * Reads {@code HOST:PORT} of {@code --http} ({@code [::1]:8080} for an IPv6 address; port 0 for any
   * free one) into {@code settings}' host and port.
   *
   * @throws IllegalArgumentException with a message for the user when it is not HOST:PORT
   */
  static HttpSettings address(String text, HttpSettings settings) {
    int colon = text.lastIndexOf(':');
    String host = colon < 0 ? "" : text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      host = ""; // an IPv6 address needs brackets: [::1]:8080
    }
    int port = -1;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      // reported below
    }
    if (host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c == '/') || port < 0 || port > 65_535) {
      throw new IllegalArgumentException("--http needs HOST:PORT such as 127.0.0.1:8080 or [::1]:8080 (port 0: any free port), not '"
          + text + "'");
    }
    return settings.withAddress(host, port);
  }

  /**
   * Serves {@code proxy} as {@code settings} say until the JVM shuts down; returns 1 at once if the
   * address cannot be bound (the proxy is closed then).
   */
  static int serve(GatekitProxy proxy, HttpSettings settings, PrintStream err) {
    StreamableHttpServer server;
    try {
      StreamableHttpServer.Builder builder = StreamableHttpServer.builder(proxy);
      java.util.function.Supplier<String> metrics = Telemetry.frontScrape();
      if (metrics != null && !settings.path().equals(Telemetry.FRONT_PATH)) {
        builder.textRoute(Telemetry.FRONT_PATH, Telemetry.TEXT_TYPE, metrics);
      }
      server = builder
          .host(settings.host())
          .port(settings.port())
          .path(settings.path())
          .allowedOrigins(settings.allowedOrigins())
          .bearerTokens(settings.auth().bearerTokens())
          .maxSessions(settings.maxSessions())
          .sessionIdleTimeout(settings.sessionIdleTimeout())
          .protocolVersions(settings.protocolVersions())
          .build();
    } catch (RuntimeException e) {
      err.println("gatekit: cannot build the HTTP front: " + e.getMessage());
      proxy.close();
      return GatekitCommand.FAILURE;
    }
    try {
      server.start();
    } catch (UncheckedIOException e) {
      err.println("gatekit: " + e.getMessage());
      server.close();
      proxy.close();
      return GatekitCommand.FAILURE;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        stop(server, proxy, err);
      } finally {
        stopped.countDown();
      }
    }, "gatekit-shutdown"));
    if (!settings.auth().enabled() && !isLoopback(settings.host())) {
      err.println("gatekit: warning: anyone who can reach " + settings.host()
          + " can use this gateway: no bearer tokens are configured (proxy.http.auth)");
    }
    err.println(LISTENING + server.endpoint() + (settings.auth().enabled() ? " (bearer token required)" : ""));
    err.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return GatekitCommand.OK;
  }

  /** Drains within {@link #DRAIN_TIMEOUT}, then closes the front and the proxy (the upstreams stop). */
  private static void stop(StreamableHttpServer server, GatekitProxy proxy, PrintStream err) {
    int sessions = server.sessionCount();
    boolean drained = false;
    try {
      drained = server.drain(DRAIN_TIMEOUT);
    } finally {
      server.close();
      proxy.close();
    }
    err.println("gatekit: stopped; " + sessions + " session(s) closed"
        + (drained ? "" : ", some requests were still in flight after " + DRAIN_TIMEOUT.toSeconds() + " s"));
    err.flush();
  }

  /** Whether {@code host} is a loopback address, without asking DNS (a name other than localhost is not). */
  private static boolean isLoopback(String host) {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (!host.matches("[0-9.]+|[0-9A-Fa-f:.]+")) {
      return false;
    }
    try {
      return InetAddress.getByName(host).isLoopbackAddress(); // a literal: no lookup
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
