package dev.gatekit.api;

/**
 * Every JSON-RPC error code Gatekit produces, in one place: the JSON-RPC 2.0 standard codes and the
 * gateway's own, taken from the server-error range (-32000 to -32099).
 *
 * <p>Each failure a client of the gateway can see has exactly one code here. Codes that an upstream
 * server sends are passed through unchanged and need not appear in this table.
 */
public final class ErrorCodes {

  /** Invalid JSON was received (JSON-RPC standard). */
  public static final int PARSE_ERROR = -32700;

  /** The JSON is not a valid request object (JSON-RPC standard). */
  public static final int INVALID_REQUEST = -32600;

  /** The method does not exist or is not available (JSON-RPC standard). */
  public static final int METHOD_NOT_FOUND = -32601;

  /** Invalid method parameters (JSON-RPC standard). */
  public static final int INVALID_PARAMS = -32602;

  /** Internal error of the receiver (JSON-RPC standard). */
  public static final int INTERNAL_ERROR = -32603;

  /** A security plugin blocked the message. */
  public static final int SECURITY_VIOLATION = -32000;

  /** The request was not answered within its timeout; a cancellation was sent upstream. */
  public static final int REQUEST_TIMEOUT = -32001;

  /** Too many requests were in flight to the upstream and the overflow policy refused this one. */
  public static final int OVERLOADED = -32003;

  /** The upstream server is not running, has exited or its connection was closed. */
  public static final int UPSTREAM_UNAVAILABLE = -32004;

  /** A critical auditing plugin could not record the message, so the message was blocked. */
  public static final int AUDITING_FAILURE = -32005;

  private ErrorCodes() {}

  /** Returns a short English name for a code of this table, or "server error" for any other code. */
  public static String nameOf(int code) {
    return switch (code) {
      case PARSE_ERROR -> "parse error";
      case INVALID_REQUEST -> "invalid request";
      case METHOD_NOT_FOUND -> "method not found";
      case INVALID_PARAMS -> "invalid params";
      case INTERNAL_ERROR -> "internal error";
      case SECURITY_VIOLATION -> "security violation";
      case REQUEST_TIMEOUT -> "request timeout";
      case OVERLOADED -> "overloaded";
      case UPSTREAM_UNAVAILABLE -> "upstream unavailable";
      case AUDITING_FAILURE -> "auditing failure";
      default -> "server error";
    };
  }
}
