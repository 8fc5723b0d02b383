package dev.gatekit.api.plugin;

/** Which way a message travels through the gateway. */
public enum Direction {
  /** From the client towards an upstream server: client requests and notifications, and the
   * client's answers to server-to-client requests. */
  CLIENT_TO_UPSTREAM,
  /** From an upstream server towards the client: responses to client requests, server
   * notifications, and server-to-client requests such as {@code sampling/createMessage}. */
  UPSTREAM_TO_CLIENT;

  /** Returns the other direction. */
  public Direction reverse() {
    return this == CLIENT_TO_UPSTREAM ? UPSTREAM_TO_CLIENT : CLIENT_TO_UPSTREAM;
  }
}
