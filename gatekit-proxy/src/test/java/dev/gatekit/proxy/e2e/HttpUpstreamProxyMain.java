package dev.gatekit.proxy.e2e;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.StdioServer;
import dev.gatekit.transport.http.HttpTransport;
import java.net.URI;

/**
 * A test-only stdio gateway in front of one Streamable HTTP upstream, transparent as {@code gatekit
 * -- URL} is: builds a {@link GatekitProxy} with one {@link HttpTransport} and serves it on stdin
 * and stdout with {@link StdioServer}. Usage: {@code HttpUpstreamProxyMain URL}; exit code 2 for a
 * bad command line. Logs (warn and above) go to stderr.
 */
public final class HttpUpstreamProxyMain {

  private HttpUpstreamProxyMain() {}

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    if (args.length != 1) {
      System.err.println("Usage: HttpUpstreamProxyMain URL");
      System.exit(2);
    }
    GatekitProxy proxy = GatekitProxy.builder()
        .upstream("upstream", HttpTransport.builder(URI.create(args[0])).name("upstream").build())
        .build();
    Thread shutdown = new Thread(proxy::close, "e2e-proxy-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    new StdioServer(proxy).serve(System.in, System.out);
    try {
      Runtime.getRuntime().removeShutdownHook(shutdown);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running and closes the proxy
    }
  }

  /** The command that runs this gateway in front of {@code uri}, on this JVM's class path. */
  static java.util.List<String> command(URI uri) {
    return java.util.List.of(E2eCommands.java(), "-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), HttpUpstreamProxyMain.class.getName(), uri.toString());
  }
}
