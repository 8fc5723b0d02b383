package dev.gatekit.api;

/**
 * The transport refused a request because its in-flight limit was reached and its
 * {@link OverflowPolicy} did not let the request wait (or the wait queue was full too). Code:
 * {@link ErrorCodes#OVERLOADED}.
 */
public class OverloadedException extends GatekitException {

  private static final long serialVersionUID = 1L;

  public OverloadedException(String message) {
    super(ErrorCodes.OVERLOADED, message, null);
  }
}
