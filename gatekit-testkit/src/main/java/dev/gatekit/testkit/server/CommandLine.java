package dev.gatekit.testkit.server;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/** Parses the server's command line strictly: unknown flags, missing or bad values are errors. */
final class CommandLine {

  /** The usage text written to stderr for {@code --help} and after a usage error. */
  static final String USAGE =
      """
      Usage: java -cp <classpath> dev.gatekit.testkit.server.TestMcpServer [options]

      A stdio MCP server for tests: newline-delimited JSON-RPC 2.0 on stdin/stdout,
      tools echo, sleep, fail, invalid_answer, progress, sample, notify, stats, reset_stats.

      Fault modes (independent and combinable):
        --exit-after N         exit right after answering the N-th request (N >= 1);
                               requests after the N-th are never answered
        --exit-code C          the exit code for --exit-after (0-255, default 3)
        --exit-now C           write a line to stderr and exit with code C at once
        --garbage              before every response, write a non-JSON line, a JSON line
                               that is not JSON-RPC and a blank line
        --invalid-utf8         before every response, write a line of invalid UTF-8
        --oversize-line BYTES  before every response, write a line of BYTES bytes
        --unknown-id           before every response, write responses to the ids
                               999999999 and "nobody", which no one used
        --duplicate-id         write every response twice
        --stderr-flood BYTES   write BYTES bytes to stderr at start, then a line per request
        --start-delay MS       wait MS milliseconds before reading stdin
        --never-answer TOOL    never answer calls to TOOL (repeatable)
        -h, --help             show this text
      """;

  private static final int MAX_EXIT_CODE = 255;

  private CommandLine() {}

  /** Returns whether the arguments ask for the usage text. */
  static boolean asksForHelp(String... args) {
    return Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h");
  }

  /** Parses the arguments into options. */
  static ServerOptions parse(String... args) throws UsageException {
    OptionalLong exitAfter = OptionalLong.empty();
    OptionalInt exitCode = OptionalInt.empty();
    OptionalInt exitNow = OptionalInt.empty();
    boolean garbage = false;
    boolean invalidUtf8 = false;
    OptionalLong oversize = OptionalLong.empty();
    boolean unknownId = false;
    boolean duplicateId = false;
    OptionalLong stderrFlood = OptionalLong.empty();
    OptionalLong startDelay = OptionalLong.empty();
    Set<String> neverAnswer = new LinkedHashSet<>();
    Set<String> seen = new HashSet<>();

    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!flag.equals("--never-answer") && !seen.add(flag)) {
        throw new UsageException(flag + " is given twice");
      }
      switch (flag) {
        case "--exit-after" ->
            exitAfter = OptionalLong.of(number(flag, args, ++i, 1, Long.MAX_VALUE));
        case "--exit-code" ->
            exitCode = OptionalInt.of((int) number(flag, args, ++i, 0, MAX_EXIT_CODE));
        case "--exit-now" ->
            exitNow = OptionalInt.of((int) number(flag, args, ++i, 0, MAX_EXIT_CODE));
        case "--garbage" -> garbage = true;
        case "--invalid-utf8" -> invalidUtf8 = true;
        case "--oversize-line" ->
            oversize = OptionalLong.of(number(flag, args, ++i, 1, Long.MAX_VALUE));
        case "--unknown-id" -> unknownId = true;
        case "--duplicate-id" -> duplicateId = true;
        case "--stderr-flood" ->
            stderrFlood = OptionalLong.of(number(flag, args, ++i, 0, Long.MAX_VALUE));
        case "--start-delay" ->
            startDelay = OptionalLong.of(number(flag, args, ++i, 0, Long.MAX_VALUE));
        case "--never-answer" -> neverAnswer.add(value(flag, args, ++i));
        default -> throw new UsageException("unknown argument '" + flag + "'");
      }
    }
    if (exitCode.isPresent() && exitAfter.isEmpty()) {
      throw new UsageException("--exit-code needs --exit-after");
    }
    return new ServerOptions(
        exitAfter,
        exitCode.orElse(ServerOptions.DEFAULT_EXIT_AFTER_CODE),
        exitNow,
        garbage,
        invalidUtf8,
        oversize,
        unknownId,
        duplicateId,
        stderrFlood,
        startDelay.orElse(0),
        neverAnswer);
  }

  private static String value(String flag, String[] args, int index) throws UsageException {
    if (index >= args.length || args[index].startsWith("--")) {
      throw new UsageException(flag + " needs a value");
    }
    return args[index];
  }

  private static long number(String flag, String[] args, int index, long min, long max)
      throws UsageException {
    String text = value(flag, args, index);
    long number;
    try {
      number = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " needs a whole number, was '" + text + "'");
    }
    if (number < min || number > max) {
      throw new UsageException(
          flag
              + " must be "
              + (max == Long.MAX_VALUE ? "at least " + min : "from " + min + " to " + max)
              + ", was "
              + number);
    }
    return number;
  }
}
