package dev.gatekit.api;

/**
 * A snapshot of a transport's counters. Counters only grow, except {@code inFlight} and
 * {@code queued}, which return to zero when nothing is pending.
 *
 * <p>Every request accepted by {@link Transport#sendAndReceive} ends up counted exactly once in
 * {@code completed}, {@code failed}, {@code timedOut} or {@code cancelled}; a request refused under the
 * overflow policy counts in {@code rejected} only.
 *
 * @param inFlight requests sent upstream and not yet answered
 * @param maxInFlight the most requests that were in flight at once
 * @param queued requests waiting for a slot under {@link OverflowPolicy#QUEUE}
 * @param sent requests written upstream
 * @param completed requests answered by the upstream (with a result or an error response)
 * @param failed requests that failed without an answer (upstream died, closed, write failed)
 * @param timedOut requests that ran out of time
 * @param cancelled requests cancelled by their caller
 * @param rejected requests refused by the overflow policy
 * @param restarts times the upstream was restarted after it died
 * @param deaths times the upstream died (exited or closed its connection) while the transport was
 *     open
 * @param dropped messages from the upstream dropped unread: invalid or oversize lines, responses that
 *     match no pending request
 */
public record TransportStats(
    int inFlight,
    int maxInFlight,
    int queued,
    long sent,
    long completed,
    long failed,
    long timedOut,
    long cancelled,
    long rejected,
    long restarts,
    long deaths,
    long dropped) {

  /** A snapshot of a transport that counts neither deaths nor dropped messages. */
  public TransportStats(int inFlight, int maxInFlight, int queued, long sent, long completed, long failed,
      long timedOut, long cancelled, long rejected, long restarts) {
    this(inFlight, maxInFlight, queued, sent, completed, failed, timedOut, cancelled, rejected, restarts, 0, 0);
  }
}
