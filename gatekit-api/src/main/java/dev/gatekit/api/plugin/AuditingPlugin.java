package dev.gatekit.api.plugin;

/**
 * Records what happened to every message: allowed, rewritten, blocked, answered by a plugin, failed
 * or timed out. Auditing plugins see the message as it left the pipeline, never what a security
 * plugin blocked or redacted, and cannot change anything.
 *
 * <p>An exception thrown by an auditing plugin is logged and does not affect the message, unless the
 * plugin is {@linkplain #critical() critical}: then the message is blocked with
 * {@link dev.gatekit.api.ErrorCodes#AUDITING_FAILURE}.
 */
public interface AuditingPlugin extends Plugin {

  /** Records one event. Called concurrently for concurrent messages. */
  void audit(AuditEvent event);

  /** Returns whether a failure to record must block the message. */
  default boolean critical() {
    return false;
  }
}
