package dev.gatekit.testkit.server;

import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The fault modes and start behaviour of one server run, as given on the command line; see {@link
 * CommandLine} for the flags. Every fault is independent of the others.
 *
 * @param exitAfterRequests exit right after answering this many requests
 * @param exitAfterCode the exit code used with {@code exitAfterRequests}
 * @param exitNowCode exit at once with this code, before reading anything
 * @param garbage write junk lines before every response
 * @param invalidUtf8 write a line of invalid UTF-8 before every response
 * @param oversizeLineBytes write a line of this many bytes before every response
 * @param unknownId write responses to ids nobody used before every response
 * @param duplicateId write every response twice
 * @param stderrFloodBytes write this many bytes to stderr at start, then a line per request
 * @param startDelayMillis wait this long before reading stdin
 * @param neverAnswer names of tools whose calls are never answered
 */
record ServerOptions(
    OptionalLong exitAfterRequests,
    int exitAfterCode,
    OptionalInt exitNowCode,
    boolean garbage,
    boolean invalidUtf8,
    OptionalLong oversizeLineBytes,
    boolean unknownId,
    boolean duplicateId,
    OptionalLong stderrFloodBytes,
    long startDelayMillis,
    Set<String> neverAnswer) {

  /** The exit code of {@code --exit-after} when {@code --exit-code} is not given. */
  static final int DEFAULT_EXIT_AFTER_CODE = 3;

  /** The options of a well-behaved server: no faults. */
  static final ServerOptions NONE =
      new ServerOptions(
          OptionalLong.empty(),
          DEFAULT_EXIT_AFTER_CODE,
          OptionalInt.empty(),
          false,
          false,
          OptionalLong.empty(),
          false,
          false,
          OptionalLong.empty(),
          0,
          Set.of());

  ServerOptions {
    neverAnswer = Set.copyOf(neverAnswer);
  }
}
