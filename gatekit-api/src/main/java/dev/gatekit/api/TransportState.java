package dev.gatekit.api;

/** The life cycle of a {@link Transport}. */
public enum TransportState {

  /** Built but not started; requests fail with {@link TransportClosedException}. */
  NEW,

  /** Starting the upstream. */
  STARTING,

  /** Connected: requests are sent. */
  RUNNING,

  /** The upstream died and a restart policy is bringing it back; requests fail fast meanwhile. */
  RESTARTING,

  /** The upstream died and will not be restarted; requests fail fast. */
  FAILED,

  /** Closed by its owner; final. */
  CLOSED;

  /** Returns whether no request will ever be accepted again in this state. */
  public boolean isTerminal() {
    return this == FAILED || this == CLOSED;
  }
}
