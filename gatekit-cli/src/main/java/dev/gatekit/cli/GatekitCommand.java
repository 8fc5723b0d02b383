package dev.gatekit.cli;

import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.StdioServer;
import dev.gatekit.proxy.config.ConfigException;
import dev.gatekit.proxy.config.ConfigLoader;
import dev.gatekit.proxy.config.GatekitConfig;
import dev.gatekit.proxy.config.PluginWiring;
import dev.gatekit.proxy.config.ServiceLoaderWiring;
import dev.gatekit.transport.http.HttpTransport;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
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
 *   <li>{@code gatekit check --config FILE} validates a configuration and prints it resolved.
 *   <li>{@code gatekit demo [--requests 10,50,100] [--latency-ms 50] [--json]} runs the concurrency
 *       demonstration against the test kit's server.
 *   <li>{@code gatekit audit verify FILE... [--public-key KEY.pem] [--live] [--json]} checks an
 *       {@code audit_jsonl} log's hash chain and signed checkpoints ({@link AuditVerify}): exit 0
 *       when it is good, 1 when it has problems.
 * </ul>
 *
 * <p>When serving, stdout is the protocol; logs go to stderr or the log file. Exit codes: 0 when the
 * client closed the connection (or the check passed), 2 for bad usage or an invalid configuration
 * (then no upstream was started), 1 for a failure at run time.
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
    /** Serves until the client closes; returns the exit code. {@code name} may be null. */
    int serve(URI url, Map<String, String> headers, String name, PrintStream err);
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
      return demo(Arrays.copyOfRange(args, 1, args.length), out, err);
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
    Path config = null;
    java.net.InetSocketAddress metrics = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--" -> {
          if (upstreamUrl != null) {
            return usageError(err, "give one upstream after --");
          }
          if (i + 1 < args.length && isHttpUrl(args[i + 1])) {
            // A remote server: one word, then only options (such as --header) may follow.
            try {
              upstreamUrl = remoteUrl(args[++i]);
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
          String problem = addHeader(args[++i], headers);
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
    if (!Telemetry.install(metrics, err)) {
      return FAILURE;
    }
    if (upstreamUrl != null) {
      configureLogging(logLevel != null ? logLevel : "info", logFile);
      return remoteServer.serve(upstreamUrl, headers, name, err);
    }
    if (config != null) {
      if (name != null) {
        return usageError(err, "--name applies to -- COMMAND only; upstreams are named in the configuration");
      }
      return serveConfig(config, logLevel, logFile, err);
    }
    if (upstreamCommand == null || upstreamCommand.isEmpty()) {
      return usageError(err, "give --config FILE, or the upstream server's command after --");
    }
    configureLogging(logLevel != null ? logLevel : "info", logFile);
    return serve(upstreamCommand, name, err);
  }

  /** Whether {@code word} is meant as an http or https URL: it starts with {@code http://} or {@code https://}. */
  private static boolean isHttpUrl(String word) {
    String lower = word.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** The URL of {@code gatekit -- URL}; an IllegalArgumentException with a usage message when it is not valid. */
  private static URI remoteUrl(String word) {
    URI url;
    try {
      url = new URI(word);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("-- URL needs an http or https URL such as https://example.com/mcp: " + e.getReason());
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("-- URL needs an http or https URL with a host, such as https://example.com/mcp");
    }
    return url;
  }

  /**
   * Adds {@code --header 'Name: value'} to {@code headers}; returns the problem, which never quotes
   * the value, or null.
   */
  static String addHeader(String header, Map<String, String> headers) {
    int colon = header.indexOf(':');
    String name = colon < 0 ? "" : header.substring(0, colon).strip();
    if (name.isEmpty() || !name.chars().allMatch(c -> c > ' ' && c < 127)) {
      return "--header needs 'Name: value', with a header name before the colon";
    }
    String value = header.substring(colon + 1).strip();
    try {
      // HttpTransport's own check; its message names the header, never the value.
      HttpTransport.builder(URI.create("http://localhost/")).header(name, value);
    } catch (IllegalArgumentException e) {
      return "--header: " + e.getMessage();
    }
    headers.put(name, value);
    return null;
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

  private static int serveConfig(Path file, String logLevel, String logFile, PrintStream err) {
    GatekitConfig config = loadChecked(file, err);
    if (config == null) {
      return USAGE;
    }
    String level = logLevel != null ? logLevel : config.logging().level() != null ? config.logging().level() : "info";
    String logTo = logFile;
    if (logTo == null && config.logging().file() != null) {
      logTo = config.logging().file().toString();
    }
    configureLogging(level, logTo);
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
    return serve(proxy, config.maxLineLength(), config.maxClientQueueBytes(), err);
  }

  private static void configureLogging(String level, String file) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    if (file != null) {
      Path path = Path.of(file).toAbsolutePath();
      try {
        if (path.getParent() != null) {
          Files.createDirectories(path.getParent());
        }
      } catch (Exception e) {
        // slf4j-simple falls back to stderr when it cannot open the file
      }
      System.setProperty("org.slf4j.simpleLogger.logFile", path.toString());
    } else {
      System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    }
  }

  private static int serve(List<String> upstreamCommand, String name, PrintStream err) {
    StdioTransport.Builder upstream = StdioTransport.builder(upstreamCommand);
    if (name != null) {
      upstream.name(name);
    }
    StdioTransport transport = upstream.build();
    String upstreamName = name != null ? name : transport.name().replaceAll("[^A-Za-z0-9_.-]", "_").replace("__", "_");
    GatekitProxy proxy = GatekitProxy.builder().upstream(upstreamName.isEmpty() ? "upstream" : upstreamName, transport).build();
    return serve(proxy, StdioTransport.DEFAULT_MAX_LINE_LENGTH, StdioServer.DEFAULT_MAX_QUEUED_BYTES, err);
  }

  private static int serveRemote(URI url, Map<String, String> headers, String name, PrintStream err) {
    String upstreamName = name != null ? name : url.getHost().replaceAll("[^A-Za-z0-9_.-]", "_").replace("__", "_");
    HttpTransport transport;
    try {
      transport = HttpTransport.builder(url).name(upstreamName).headers(headers).build();
    } catch (IllegalArgumentException e) {
      return usageError(err, e.getMessage());
    }
    GatekitProxy proxy = GatekitProxy.builder().upstream(upstreamName.isEmpty() ? "upstream" : upstreamName, transport).build();
    return serve(proxy, StdioTransport.DEFAULT_MAX_LINE_LENGTH, StdioServer.DEFAULT_MAX_QUEUED_BYTES, err);
  }

  private static int serve(GatekitProxy proxy, int maxLineLength, long maxClientQueueBytes, PrintStream err) {
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

  private static int demo(String[] args, PrintStream out, PrintStream err) {
    List<Integer> sizes = List.of(10, 50, 100);
    int latency = 50;
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      try {
        switch (arg) {
          case "--requests" -> {
            List<Integer> parsed = new ArrayList<>();
            for (String part : args[++i].split(",")) {
              int n = Integer.parseInt(part.trim());
              if (n < 1 || n > 10_000) {
                return usageError(err, "--requests takes numbers from 1 to 10000");
              }
              parsed.add(n);
            }
            sizes = List.copyOf(parsed);
          }
          case "--latency-ms" -> {
            latency = Integer.parseInt(args[++i]);
            if (latency < 0 || latency > 10_000) {
              return usageError(err, "--latency-ms takes 0 to 10000");
            }
          }
          case "--json" -> json = true;
          case "-h", "--help" -> {
            err.println(usage());
            return OK;
          }
          default -> {
            return usageError(err, "demo: unknown argument '" + arg + "'");
          }
        }
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        return usageError(err, "demo: " + arg + " needs a number (--requests takes a comma-separated list)");
      }
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    return Demo.run(sizes, latency, json, out, err);
  }

  /** The version in the jar's manifest, or {@code "dev"} when running from classes rather than a jar. */
  static String version() {
    String version = GatekitCommand.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  private static int usageError(PrintStream err, String problem) {
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
    lines.add("  --metrics HOST:PORT  serve Prometheus text at http://HOST:PORT/metrics (OTEL_* variables: OTLP)");
    lines.add("  --log-level LEVEL    trace, debug, info (default), warn, error or off");
    lines.add("  --log-file FILE      where logs go (default: stderr; never stdout)");
    lines.add("  --version            print the version");
    lines.add("  -h, --help           print this help");
    lines.add("Exit codes: 0 done, 2 bad usage or configuration, 1 failure at run time.");
    return String.join(System.lineSeparator(), lines);
  }
}
