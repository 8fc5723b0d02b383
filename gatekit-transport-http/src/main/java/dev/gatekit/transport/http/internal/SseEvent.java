package dev.gatekit.transport.http.internal;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * One dispatched server-sent event.
 *
 * @param type the event type ({@code "message"} unless an {@code event:} field named another)
 * @param data the data lines joined with LF, as UTF-8 bytes (the last LF removed)
 * @param lastEventId the last event id at dispatch time, or {@code null} if the stream never gave one
 */
public record SseEvent(String type, byte[] data, @Nullable String lastEventId) {

  /** Returns the data as a string. */
  public String dataAsString() {
    return new String(data, StandardCharsets.UTF_8);
  }
}
