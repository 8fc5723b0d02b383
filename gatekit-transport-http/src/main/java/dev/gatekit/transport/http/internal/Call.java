package dev.gatekit.transport.http.internal;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP exchange in flight: its request, sent once, and the reader of its answer's body, which
 * {@link Answer#onHeaders} chooses from the status and headers (none: the body is read and dropped).
 *
 * <p>{@link #done()} completes with the status (0 if no answer came) when the exchange is over:
 * normally once the body was read, or the read was stopped by the reader or by {@link #abort()};
 * exceptionally only with the I/O failure of the connection (then the reader, if any, saw only part
 * of the body). The reader gets the body's bytes on the HTTP client's threads, one chunk at a time,
 * then {@link StreamReader#end()} if the body was read to its end.
 */
public final class Call {

  /** Chooses how to read an answer's body. */
  public interface Answer {
    /** Returns the reader of the body, or null to drop it. */
    @Nullable StreamReader onHeaders(int status, HttpFields headers);
  }

  private final Request request;
  private final CompletableFuture<Integer> done = new CompletableFuture<>();
  private volatile @Nullable StreamReader reader;
  private volatile int status;
  private volatile boolean aborted;

  private Call(Request request) {
    this.request = request;
  }

  /** Sends {@code request} (not sent before) and reads its answer as {@code answer} chooses. */
  static Call send(Request request, Answer answer) {
    Call call = new Call(request);
    request
        .onResponseHeaders(
            response -> {
              call.status = response.getStatus();
              StreamReader chosen = answer.onHeaders(response.getStatus(), response.getHeaders());
              if (chosen != null) {
                call.reader = chosen;
                chosen.stopWith(call::abort);
              }
            })
        .onResponseContent(
            (response, chunk) -> {
              StreamReader current = call.reader;
              if (current != null) {
                current.onContent(chunk);
              }
            })
        .send(call::onComplete);
    return call;
  }

  /** Completes with the status when the exchange is over; see the class comment. */
  public CompletableFuture<Integer> done() {
    return done;
  }

  /** Stops the exchange (the connection is given up); {@link #done()} completes normally. Idempotent. */
  public void abort() {
    if (aborted) {
      return;
    }
    aborted = true;
    StreamReader current = reader;
    if (current != null) {
      current.abort();
    }
    request.abort(new CancellationException("stopped"));
  }

  private void onComplete(Result result) {
    StreamReader current = reader;
    if (aborted || current != null && current.stopped()) {
      done.complete(status);
      return;
    }
    Throwable failure = result.getFailure();
    if (failure != null) {
      done.completeExceptionally(failure);
      return;
    }
    if (current != null) {
      current.end();
    }
    done.complete(status);
  }
}
