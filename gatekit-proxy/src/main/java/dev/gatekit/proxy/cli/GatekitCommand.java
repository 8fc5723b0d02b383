package dev.gatekit.proxy.cli;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.StdioServer;
import dev.gatekit.proxy.internal.Versions;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code gatekit} command: {@code gatekit [options] -- COMMAND [ARGS...]} runs the stdio gateway
 * in front of one MCP server started with that command (no shell), so it can replace the server's
 * command in an MCP host's configuration.
 *
 * <p>stdout is the protocol; logs go to stderr. Exit codes: 0 when the client closed the
 * connection, 2 for bad usage, 1 for a failure at run time.
 */
public final class GatekitCommand {

  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

  private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

  private GatekitCommand() {}

  public static void main(String[] args) {
    int code = run(args, System.err);
    if (code != OK) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream err) {
    List<String> upstreamCommand = null;
    String logLevel = "info";
    String name = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--" -> {
          upstreamCommand = List.of(Arrays.copyOfRange(args, i + 1, args.length));
          i = args.length;
        }
        case "-h", "--help" -> {
          err.println(usage());
          return OK;
        }
        case "--version" -> {
          err.println("gatekit " + Versions.GATEKIT);
          return OK;
        }
        case "--log-level" -> {
          if (i + 1 >= args.length || !LEVELS.contains(args[i + 1].toLowerCase(Locale.ROOT))) {
            return usageError(err, "--log-level needs one of " + LEVELS);
          }
          logLevel = args[++i].toLowerCase(Locale.ROOT);
        }
        case "--name" -> {
          if (i + 1 >= args.length) {
            return usageError(err, "--name needs a value");
          }
          name = args[++i];
        }
        default -> {
          return usageError(err, "unknown argument '" + arg + "'");
        }
      }
    }
    if (upstreamCommand == null || upstreamCommand.isEmpty()) {
      return usageError(err, "give the upstream server's command after --");
    }
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel);
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    return serve(upstreamCommand, name, err);
  }

  private static int serve(List<String> upstreamCommand, String name, PrintStream err) {
    StdioTransport.Builder upstream = StdioTransport.builder(upstreamCommand);
    if (name != null) {
      upstream.name(name);
    }
    StdioTransport transport = upstream.build();
    String upstreamName = name != null ? name : transport.name().replaceAll("[^A-Za-z0-9_.-]", "_").replace("__", "_");
    GatekitProxy proxy = GatekitProxy.builder().upstream(upstreamName.isEmpty() ? "upstream" : upstreamName, transport).build();
    Thread shutdown = new Thread(proxy::close, "gatekit-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdown);
    try {
      new StdioServer(proxy).serve(System.in, System.out);
      return OK;
    } catch (Exception e) {
      err.println("gatekit: " + e.getMessage());
      return FAILURE;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdown);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running; it closes the proxy
      }
    }
  }

  private static int usageError(PrintStream err, String problem) {
    err.println("gatekit: " + problem);
    err.println(usage());
    return USAGE;
  }

  static String usage() {
    List<String> lines = new ArrayList<>();
    lines.add("Usage: gatekit [options] -- COMMAND [ARGS...]");
    lines.add("  Runs the Gatekit MCP gateway on stdin/stdout in front of the MCP server COMMAND.");
    lines.add("Options:");
    lines.add("  --name NAME          the upstream's name in logs (default: the program's name)");
    lines.add("  --log-level LEVEL    trace, debug, info (default), warn, error or off; logs go to stderr");
    lines.add("  --version            print the version");
    lines.add("  -h, --help           print this help");
    return String.join(System.lineSeparator(), lines);
  }
}
