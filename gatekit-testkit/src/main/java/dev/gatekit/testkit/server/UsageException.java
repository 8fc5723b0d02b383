package dev.gatekit.testkit.server;

/** The command line is not valid; the message says which argument is wrong and why. */
final class UsageException extends Exception {

  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
