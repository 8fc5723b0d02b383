package dev.gatekit.api;

import java.util.List;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * The transport is closed, was never started, or its upstream died: the request was not answered and
 * will not be. Code: {@link ErrorCodes#UPSTREAM_UNAVAILABLE}.
 *
 * <p>It comes in two parts, for two audiences:
 *
 * <ul>
 *   <li>{@link #getMessage()} is for the embedder's logs and diagnostics. It names the cause and may
 *       quote what the upstream wrote, such as its last stderr lines.
 *   <li>{@link #clientMessage()} says the same without any text the upstream wrote (for example
 *       "Upstream 'files' exited with code 1"): this is what a gateway shows its clients and writes to
 *       its audit log. stderr is the server's private diagnostic channel and can carry secrets.
 * </ul>
 *
 * <p>The structured parts are there too: {@link #exitCode()} when the upstream exited, and {@link
 * #stderrTail()}, its last stderr lines (empty when unknown or when it wrote none).
 */
public class TransportClosedException extends GatekitException {

  private static final long serialVersionUID = 2L;

  private final String clientMessage;
  private final @Nullable Integer exitCode;
  private final List<String> stderrTail;

  /**
   * Creates one whose message contains no text of the upstream's: it serves as {@link
   * #clientMessage()} too. Use the full constructor when it quotes the upstream.
   */
  public TransportClosedException(String message) {
    this(message, null);
  }

  /** As {@link #TransportClosedException(String)}, with a cause. */
  public TransportClosedException(String message, @Nullable Throwable cause) {
    this(message, message, null, List.of(), cause);
  }

  /**
   * Creates one with all its parts.
   *
   * @param clientMessage the failure without any text the upstream wrote
   * @param message the failure for embedders; may quote the upstream
   * @param exitCode the upstream's exit code, if it exited
   * @param stderrTail the upstream's last stderr lines, oldest first
   */
  public TransportClosedException(
      String clientMessage,
      String message,
      @Nullable Integer exitCode,
      List<String> stderrTail,
      @Nullable Throwable cause) {
    super(ErrorCodes.UPSTREAM_UNAVAILABLE, message, cause);
    this.clientMessage = clientMessage;
    this.exitCode = exitCode;
    this.stderrTail = List.copyOf(stderrTail);
  }

  /**
   * Returns the failure of an upstream that ended: {@code clientMessage} (such as "Upstream 'files'
   * exited with code 1") as {@link #clientMessage()}, and as the message the same followed by the
   * last stderr lines, or by a note that there were none.
   */
  public static TransportClosedException upstreamEnded(
      String clientMessage, @Nullable Integer exitCode, List<String> stderrTail) {
    String message =
        stderrTail.isEmpty()
            ? clientMessage + " (it wrote nothing to stderr)"
            : clientMessage + "; last stderr lines:\n  " + String.join("\n  ", stderrTail);
    return new TransportClosedException(clientMessage, message, exitCode, stderrTail, null);
  }

  /**
   * Returns the failure in words that contain no text the upstream wrote (no stderr lines, no
   * error messages of its own): safe to show a client or write to an audit log.
   */
  public String clientMessage() {
    return clientMessage;
  }

  /** Returns the upstream's exit code, if it exited and this failure is about that. */
  public OptionalInt exitCode() {
    return exitCode == null ? OptionalInt.empty() : OptionalInt.of(exitCode);
  }

  /** Returns the upstream's last stderr lines, oldest first; empty if unknown or none. */
  public List<String> stderrTail() {
    return stderrTail;
  }

  /**
   * Returns the same failure with {@code suffix} appended to both messages, such as " (restarting)".
   */
  public TransportClosedException withSuffix(String suffix) {
    return new TransportClosedException(
        clientMessage + suffix, getMessage() + suffix, exitCode, stderrTail, getCause());
  }
}
