package dev.gatekit.testkit.server;

import dev.gatekit.api.ErrorCodes;

/**
 * A request's params are wrong; answered with {@link ErrorCodes#INVALID_PARAMS} and the message.
 */
final class InvalidParamsException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  InvalidParamsException(String message) {
    super(message, null, false, false);
  }
}
