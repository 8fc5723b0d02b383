package dev.gatekit.server.http.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import org.jspecify.annotations.Nullable;

/**
 * One SSE stream of a session — the stream of one POSTed request, or the session's standalone (GET)
 * stream — independent of the HTTP response that carries it at the moment. Every event gets the id
 * {@code STREAM-SEQUENCE}; the last {@code capacity} events are kept so that a client that reconnects
 * with {@code Last-Event-ID} gets what followed. Events appended while no response carries the stream
 * wait for the next one. Not thread-safe: its {@link HttpSession} guards it.
 */
final class EventStream {

  private final String id;
  private final int capacity;
  private final ArrayDeque<Event> events = new ArrayDeque<>();
  private long lastSequence;
  private long deliveredSequence;
  private boolean finished;
  private @Nullable SseWriter writer;

  private record Event(long sequence, byte[] frame) {}

  EventStream(String id, int capacity) {
    this.id = id;
    this.capacity = capacity;
  }

  String id() {
    return id;
  }

  /** Appends one event (a JSON-RPC message); {@code last} finishes the stream (a request's answer). */
  void append(byte[] json, boolean last) {
    long sequence = ++lastSequence;
    byte[] frame = frame(id + "-" + sequence, json);
    events.add(new Event(sequence, frame));
    while (events.size() > capacity) {
      events.poll();
    }
    SseWriter current = writer;
    if (current != null && current.write(frame)) {
      deliveredSequence = sequence;
    }
    if (last) {
      finished = true;
      if (current != null) {
        current.end();
      }
    }
  }

  /**
   * Lets {@code next} carry the stream from now on: it first gets the events after {@code after}
   * (or, when null, those no response has carried yet), and ends at once if the stream is finished.
   * Returns the response that carried the stream until now, for the caller to end.
   */
  @Nullable SseWriter attach(SseWriter next, @Nullable Long after) {
    SseWriter previous = writer;
    writer = next;
    long from = after != null ? after : deliveredSequence;
    for (Event event : events) {
      if (event.sequence() > from && next.write(event.frame())) {
        deliveredSequence = Math.max(deliveredSequence, event.sequence());
      }
    }
    if (finished) {
      next.end();
    }
    return previous;
  }

  /** Forgets {@code gone} if it carries the stream now; later events wait for the next response. */
  void detach(SseWriter gone) {
    if (writer == gone) {
      writer = null;
    }
  }

  /** The response carrying the stream now, if any. */
  @Nullable SseWriter writer() {
    return writer;
  }

  boolean isAttached() {
    return writer != null && writer.isOpen();
  }

  boolean isFinished() {
    return finished;
  }

  /** Whether the events after {@code sequence} are still all kept. */
  boolean canReplayAfter(long sequence) {
    Event first = events.peek();
    return first == null || first.sequence() <= sequence + 1;
  }

  /** Ends the response carrying the stream, if any. */
  void end() {
    finished = true;
    SseWriter current = writer;
    if (current != null) {
      current.end();
    }
  }

  private static byte[] frame(String eventId, byte[] json) {
    byte[] head = ("id: " + eventId + "\nevent: message\ndata: ").getBytes(StandardCharsets.US_ASCII);
    byte[] frame = new byte[head.length + json.length + 2];
    System.arraycopy(head, 0, frame, 0, head.length);
    System.arraycopy(json, 0, frame, head.length, json.length);
    frame[frame.length - 2] = '\n';
    frame[frame.length - 1] = '\n';
    return frame;
  }
}
