package dev.gatekit.cli;

import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.StdioServer;
import dev.gatekit.proxy.config.ConfigException;
import dev.gatekit.proxy.config.ConfigLoader;
import dev.gatekit.proxy.config.GatekitConfig;
import dev.gatekit.proxy.config.HttpSettings;
import dev.gatekit.proxy.config.PluginWiring;
import dev.gatekit.proxy.config.ServiceLoaderWiring;
import dev.gatekit.transport.http.HttpTransport;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Consumer;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code gatekit} command.
 *
 * <ul>
 *   <li>{@code gatekit [options] --config FILE} runs the stdio gateway as the configuration says.
 *   <li>{@code gatekit [options] -- COMMAND [ARGS...]} runs it in front of one MCP server started
 *       with that command (no shell), so it can replace the server's command in an MCP host's
 *       configuration.
 *   <li>{@code gatekit [options] -- URL [--header 'Name: value']...} runs it in front of the remote
 *       MCP server at that http or https URL (Streamable HTTP): exactly one word after {@code --},
 *       and only options may follow it. {@code --header} may repeat, before or after {@code --}.
 *   <li>{@code gatekit --http HOST:PORT ...} serves any of the above to many clients over MCP Streamable
 *       HTTP instead ({@link HttpServe}), as does a configuration with {@code proxy.transport: http};
 *       each client session gets its own upstream connections, except a configured upstream marked
 *       {@code shared}.
 *   <li>{@code gatekit check --config FILE} validates a configuration and prints it resolved.
 *   <li>{@code gatekit demo [--requests 10,50,100] [--latency-ms 50] [--json]} runs the concurrency
 *       demonstration against the test kit's server.
 *   <li>{@code gatekit audit verify FILE... [--public-key KEY.pem] [--live] [--json]} checks an
 *       {@code audit_jsonl} log's hash chain and signed checkpoints ({@link AuditVerify}): exit 0
 *       when it is good, 1 when it has problems.
 * </ul>
 *
 * <p>When serving on stdio, stdout is the protocol; logs go to stderr or the log file. Exit codes: 0
 * when the client closed the connection (or the check passed), 2 for bad usage or an invalid
 * configuration (then no upstream was started), 1 for a failure at run time; after SIGTERM, 143
 * (128 + 15), as for any JVM, once the shutdown hook has drained and stopped everything.
 */
public final class GatekitCommand {

  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

  /**
   * Builds the plugins of a configuration. {@link PluginWiring#NONE} until the plugin loader is
   * wired in; {@code gatekit check} and {@code gatekit --config} both go through it.
   */
  static PluginWiring pluginWiring = ServiceLoaderWiring.fromClassPath();

  /**
   * What the command does when its stdio front can no longer serve (the client's output failed, or
   * a thread of the front died): a gateway that cannot serve exits with code 1, so that the host
   * that started it can start it again. The reader may be blocked on stdin, which no other thread
   * can wake, so this ends the process itself. Tests replace it.
   */
  static Consumer<Throwable> onServeFailure = failure -> {
    System.err.println("gatekit: the gateway can no longer serve its client: " + failure);
    System.exit(FAILURE);
  };

  /**
   * Serves in front of a remote server: {@code gatekit -- URL}. The arguments are checked, the
   * headers valid for {@link HttpTransport}. Tests replace it to see what the command line gave.
   */
  static RemoteServer remoteServer = GatekitCommand::serveRemote;

  /** What {@code gatekit -- URL} runs. */
  @FunctionalInterface
  interface RemoteServer {
    /**
     * Serves until the client closes (or, over HTTP, until stopped); returns the exit code. {@code
     * name} may be null; {@code http} is null for the stdio front.
     */
    int serve(URI url, Map<String, String> headers, String name, HttpSettings http, PrintStream err);
  }

  /** Serves a built proxy over HTTP: {@link HttpServe#serve}. Tests replace it to see what the command gave. */
  static HttpFront httpFront = HttpServe::serve;

  /** What {@code --http} and {@code proxy.transport: http} run. */
  @FunctionalInterface
  interface HttpFront {
    /** Serves {@code proxy} as {@code settings} say until stopped; returns the exit code. */
    int serve(GatekitProxy proxy, HttpSettings settings, PrintStream err);
  }

  private GatekitCommand() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != OK) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("check")) {
      return check(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("demo")) {
      return Demo.command(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    if (args.length > 0 && args[0].equals("audit")) {
      return AuditVerify.run(Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    List<String> upstreamCommand = null;
    URI upstreamUrl = null;
    Map<String, String> headers = new LinkedHashMap<>();
    String logLevel = null;
    String logFile = null;
    String name = null;
    String httpAddress = null;
    Path config = null;
    java.net.InetSocketAddress metrics = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--" -> {
          if (upstreamUrl != null) {
            return usageError(err, "give one upstream after --");
          }
          if (i + 1 < args.length && CommandLineUpstream.isHttpUrl(args[i + 1])) {
            // A remote server: one word, then only options (such as --header) may follow.
            try {
              upstreamUrl = CommandLineUpstream.remoteUrl(args[++i]);
            } catch (IllegalArgumentException e) {
              return usageError(err, e.getMessage());
            }
          } else {
            upstreamCommand = List.of(Arrays.copyOfRange(args, i + 1, args.length));
            i = args.length;
          }
        }
        case "--header", "-H" -> {
          if (i + 1 >= args.length) {
            return usageError(err, "--header needs 'Name: value'");
          }
          String problem = CommandLineUpstream.addHeader(args[++i], headers);
          if (problem != null) {
            return usageError(err, problem);
          }
        }
        case "-h", "--help" -> {
          err.println(usage());
          return OK;
        }
        case "--version" -> {
          err.println("gatekit " + version());
          return OK;
        }
        case "--log-level" -> {
          if (i + 1 >= args.length || !LEVELS.contains(args[i + 1].toLowerCase(Locale.ROOT))) {
            return usageError(err, "--log-level needs one of " + LEVELS);
          }
          logLevel = args[++i].toLowerCase(Locale.ROOT);
        }
        case "--log-file" -> {
          if (i + 1 >= args.length) {
            return usageError(err, "--log-file needs a file");
          }
          logFile = args[++i];
        }
        case "--name" -> {
          if (i + 1 >= args.length) {
            return usageError(err, "--name needs a value");
          }
          name = args[++i];
        }
        case "--http" -> {
          if (i + 1 >= args.length) {
            return usageError(err, "--http needs HOST:PORT");
          }
          httpAddress = args[++i];
        }
        case "--metrics" -> {
          if (i + 1 >= args.length || (metrics = Telemetry.address(args[++i])) == null) {
            return usageError(err, "--metrics needs HOST:PORT, such as 127.0.0.1:9464");
          }
        }
        case "--config", "-c" -> {
          if (i + 1 >= args.length) {
            return usageError(err, "--config needs a file");
          }
          config = Path.of(args[++i]);
        }
        default -> {
          return usageError(err, "unknown argument '" + arg + "'");
        }
      }
    }
    if (config != null && (upstreamCommand != null || upstreamUrl != null)) {
      return usageError(err, "give either --config FILE or -- COMMAND, not both");
    }
    if (!headers.isEmpty() && upstreamUrl == null) {
      return usageError(err, "--header applies to -- URL only (headers of a configured upstream go in its headers:)");
    }
    HttpSettings http = null;
    if (httpAddress != null) {
      try {
        http = HttpServe.address(httpAddress, HttpSettings.defaults());
      } catch (IllegalArgumentException e) {
        return usageError(err, e.getMessage());
      }
    }
    // A configuration file says whether it serves HTTP: its telemetry is installed once it is read.
    if (config == null && !Telemetry.install(metrics, http != null, err)) {
      return FAILURE;
    }
    if (upstreamUrl != null) {
      CommandLogging.configure(logLevel != null ? logLevel : "info", logFile);
      return remoteServer.serve(upstreamUrl, headers, name, http, err);
    }
    if (config != null) {
      if (name != null) {
        return usageError(err, "--name applies to -- COMMAND only; upstreams are named in the configuration");
      }
      return serveConfig(config, logLevel, logFile, httpAddress, metrics, err);
    }
    if (upstreamCommand == null || upstreamCommand.isEmpty()) {
      return usageError(err, "give --config FILE, or the upstream server's command after --");
    }
    CommandLogging.configure(logLevel != null ? logLevel : "info", logFile);
    return serve(CommandLineUpstream.command(upstreamCommand, name), http, err);
  }

  private static int check(String[] args, PrintStream out, PrintStream err) {
    Path file = null;
    for (int i = 0; i < args.length; i++) {
      if ((args[i].equals("--config") || args[i].equals("-c")) && i + 1 < args.length) {
        file = Path.of(args[++i]);
      } else if (args[i].equals("-h") || args[i].equals("--help")) {
        err.println(usage());
        return OK;
      } else {
        return usageError(err, "check: unknown argument '" + args[i] + "'");
      }
    }
    if (file == null) {
      return usageError(err, "check needs --config FILE");
    }
    GatekitConfig config = loadChecked(file, err);
    if (config == null) {
      return USAGE;
    }
    out.println("# " + config.file() + ": valid");
    out.print(ConfigDescription.describe(config));
    out.flush();
    return OK;
  }

  /** Loads and checks a configuration, plugins included; prints the problems and returns null when invalid. */
  private static GatekitConfig loadChecked(Path file, PrintStream err) {
    try {
      GatekitConfig config = ConfigLoader.load(file);
      List<ConfigProblem> problems = pluginWiring.check(config);
      if (!problems.isEmpty()) {
        throw new ConfigException(config.file(), problems);
      }
      return config;
    } catch (ConfigException e) {
      err.println("gatekit: " + e.getMessage());
      return null;
    }
  }

  private static int serveConfig(Path file, String logLevel, String logFile, String httpAddress,
      java.net.InetSocketAddress metrics, PrintStream err) {
    GatekitConfig config = loadChecked(file, err);
    if (config == null) {
      return USAGE;
    }
    HttpSettings http = config.servesHttp() ? config.http() : null;
    if (httpAddress != null) {
      // Checked by run() already; the file's http: section gives the rest (origins, auth, limits).
      http = HttpServe.address(httpAddress, config.http());
    }
    if (!Telemetry.install(metrics, http != null, err)) {
      return FAILURE;
    }
    String level = logLevel != null ? logLevel : config.logging().level() != null ? config.logging().level() : "info";
    String logTo = logFile;
    if (logTo == null && config.logging().file() != null) {
      logTo = config.logging().file().toString();
    }
    CommandLogging.configure(level, logTo);
    GatekitProxy proxy;
    try {
      proxy = config.proxyBuilder(pluginWiring).build();
    } catch (ConfigException e) {
      err.println("gatekit: " + e.getMessage());
      return USAGE;
    } catch (RuntimeException e) {
      err.println("gatekit: cannot build the gateway: " + e.getMessage());
      return FAILURE;
    }
    if (http != null) {
      return httpFront.serve(proxy, http, err);
    }
    return serveStdio(proxy, config.maxLineLength(), config.maxClientQueueBytes(), err);
  }

  /** Serves a proxy of the command line's one upstream: over HTTP when {@code http} is given, else on stdio. */
  private static int serve(GatekitProxy proxy, HttpSettings http, PrintStream err) {
    return http != null ? httpFront.serve(proxy, http, err)
        : serveStdio(proxy, StdioTransport.DEFAULT_MAX_LINE_LENGTH, StdioServer.DEFAULT_MAX_QUEUED_BYTES, err);
  }

  private static int serveRemote(URI url, Map<String, String> headers, String name, HttpSettings http, PrintStream err) {
    GatekitProxy proxy;
    try {
      proxy = CommandLineUpstream.remote(url, headers, name);
    } catch (IllegalArgumentException e) {
      return usageError(err, e.getMessage());
    }
    return serve(proxy, http, err);
  }

  private static int serveStdio(GatekitProxy proxy, int maxLineLength, long maxClientQueueBytes, PrintStream err) {
    Thread shutdown = new Thread(proxy::close, "gatekit-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    try {
      new StdioServer(proxy, maxLineLength, Duration.ofSeconds(30), maxClientQueueBytes)
          .onFailure(onServeFailure)
          // stdout as a plain stream: System.out, a PrintStream, would swallow the failure to write.
          .serve(System.in, new FileOutputStream(FileDescriptor.out));
      return OK;
    } catch (Exception | Error e) {
      // An Error too: a gateway whose reader died cannot serve, and must say so and exit with 1.
      err.println("gatekit: " + e);
      return FAILURE;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdown);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running; it closes the proxy
      }
    }
  }

  /** The version in the jar's manifest, or {@code "dev"} when running from classes rather than a jar. */
  static String version() {
    String version = GatekitCommand.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  static int usageError(PrintStream err, String problem) {
    err.println("gatekit: " + problem);
    err.println(usage());
    return USAGE;
  }

  static String usage() {
    List<String> lines = new ArrayList<>();
    lines.add("Usage: gatekit [options] --config FILE        run the gateway on stdin/stdout as FILE says");
    lines.add("       gatekit [options] -- COMMAND [ARGS...] run it in front of the MCP server COMMAND");
    lines.add("       gatekit [options] -- URL [--header 'Name: value']...");
    lines.add("                                              run it in front of the remote MCP server at URL (http/https)");
    lines.add("       gatekit --http HOST:PORT [options] (--config FILE | -- COMMAND... | -- URL)");
    lines.add("                                              serve it to many clients over MCP Streamable HTTP");
    lines.add("       gatekit check --config FILE            validate FILE and print it resolved");
    lines.add("       gatekit demo [--requests 10,50,100] [--latency-ms 50] [--json]");
    lines.add("                                              concurrent against sequential calls through a gateway");
    lines.add("       " + AuditVerify.USAGE);
    lines.add("                                              check an audit_jsonl log's chain (exit 1 on problems)");
    lines.add("Options:");
    lines.add("  -c, --config FILE    the YAML configuration");
    lines.add("  --name NAME          with --: the upstream's name (default: the program's name or the URL's host)");
    lines.add("  -H, --header 'Name: value'");
    lines.add("                       with -- URL: a header sent with every request (may repeat)");
    lines.add("  --http HOST:PORT     serve over HTTP at http://HOST:PORT/mcp ([::1]:8080 for IPv6, port 0: any free one);");
    lines.add("                       with --config, the file's proxy.http gives path, origins, auth and limits");
    lines.add("  --metrics HOST:PORT  serve Prometheus text at http://HOST:PORT/metrics (OTEL_* variables: OTLP)");
    lines.add("  --log-level LEVEL    trace, debug, info (default), warn, error or off");
    lines.add("  --log-file FILE      where logs go (default: stderr; never stdout)");
    lines.add("  --version            print the version");
    lines.add("  -h, --help           print this help");
    lines.add("Exit codes: 0 done, 2 bad usage or configuration, 1 failure at run time.");
    return String.join(System.lineSeparator(), lines);
  }
}
