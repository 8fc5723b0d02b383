package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One request from the client and its single answer. Whoever serves the request calls {@link
 * #respond} once, from any thread; a cancelled exchange is never answered. The first of answer and
 * cancellation wins, the other is ignored.
 */
final class Exchange {

  /** Keeps the server's books when an exchange ends. */
  interface Listener {
    /**
     * The exchange is ending: called once, before its answer is queued or its cancellation acts.
     */
    void ending(Exchange exchange);

    /** The exchange has ended: called once, after its answer was queued or it was cancelled. */
    void ended(Exchange exchange);
  }

  private final JsonRpcRequest request;
  private final long sequence;
  private final MessageWriter writer;
  private final Listener listener;
  private static final int OPEN = 0;
  private static final int ANSWERED = 1;
  private static final int CANCELLED = 2;

  private final AtomicInteger state = new AtomicInteger(OPEN);
  private boolean countedInFlight; // set before the exchange is handed to another thread
  private @Nullable List<Runnable> cancelActions; // guarded by this

  Exchange(JsonRpcRequest request, long sequence, MessageWriter writer, Listener listener) {
    this.request = request;
    this.sequence = sequence;
    this.writer = writer;
    this.listener = listener;
  }

  JsonRpcRequest request() {
    return request;
  }

  /** Returns the number of this request among all requests received, starting at 1. */
  long sequence() {
    return sequence;
  }

  /** Marks this exchange as counted in the stats' in-flight gauge, to be uncounted when it ends. */
  void countInFlight() {
    countedInFlight = true;
  }

  boolean countedInFlight() {
    return countedInFlight;
  }

  boolean isFinished() {
    return state.get() != OPEN;
  }

  /** Answers with a result; returns false if already answered or cancelled. */
  boolean respond(JsonNode result) {
    return respond(JsonRpcResponse.success(request.id(), result));
  }

  /** Answers with an error; returns false if already answered or cancelled. */
  boolean respondError(int code, String message) {
    return respond(JsonRpcResponse.failure(request.id(), code, message));
  }

  /** Answers with {@code response}; returns false if already answered or cancelled. */
  boolean respond(JsonRpcResponse response) {
    return answer(() -> writer.send(response));
  }

  /**
   * Answers with {@code line} written as it is, however invalid; returns false if already answered
   * or cancelled.
   */
  boolean respondRaw(byte[] line) {
    return answer(() -> writer.sendRaw(line));
  }

  private boolean answer(Runnable send) {
    if (!state.compareAndSet(OPEN, ANSWERED)) {
      return false;
    }
    listener.ending(this);
    send.run();
    listener.ended(this);
    return true;
  }

  /**
   * Cancels the exchange: no answer will be sent and the cancel actions run. Returns false if it
   * had already ended.
   */
  boolean cancel() {
    if (!state.compareAndSet(OPEN, CANCELLED)) {
      return false;
    }
    listener.ending(this);
    List<Runnable> actions;
    synchronized (this) {
      actions = cancelActions;
      cancelActions = null;
    }
    if (actions != null) {
      actions.forEach(Runnable::run);
    }
    listener.ended(this);
    return true;
  }

  /**
   * Registers an action to run if the exchange is cancelled, such as cancelling a scheduled answer.
   * Runs it at once if the exchange was already cancelled; never runs it after an answer.
   */
  void onCancel(Runnable action) {
    synchronized (this) {
      if (state.get() == OPEN) {
        if (cancelActions == null) {
          cancelActions = new ArrayList<>(2);
        }
        cancelActions.add(action);
        return;
      }
    }
    if (state.get() == CANCELLED) {
      action.run();
    }
  }
}
