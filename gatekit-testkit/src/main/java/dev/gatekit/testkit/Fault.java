package dev.gatekit.testkit;

import dev.gatekit.api.GatekitException;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestTimeoutException;
import java.util.Objects;

/**
 * A failure that a {@link MockTransport} injects for every request of a method, in place of that
 * method's normal answer. Build one with the static factories; instances are immutable and
 * thread-safe.
 *
 * <p>Faults that answer ({@link #errorResponse}, {@link #exception}) do so after the mock's latency,
 * like a normal answer.
 */
public abstract sealed class Fault
    permits Fault.ErrorResponse, Fault.Failure, Fault.NoAnswer, Fault.DroppedReply {

  private Fault() {}

  /**
   * The upstream answers with an error response carrying {@code code} and {@code message}. The
   * caller's future completes normally with that response (an error response is an answer), and it
   * counts as completed.
   */
  public static Fault errorResponse(int code, String message) {
    return new ErrorResponse(JsonRpcError.of(code, message));
  }

  /**
   * The request fails with {@code exception}, as a transport fails a request that cannot be answered
   * (for example with a {@link dev.gatekit.api.TransportClosedException}). Every request of the
   * method fails with this same instance; it counts as failed.
   */
  public static Fault exception(GatekitException exception) {
    return new Failure(Objects.requireNonNull(exception, "exception"));
  }

  /**
   * The upstream never answers: the request fails with {@link RequestTimeoutException} at its
   * timeout, and the mock records the cancellation it sends upstream.
   */
  public static Fault timeout() {
    return NoAnswer.INSTANCE;
  }

  /**
   * The upstream answers (the method's handler runs after the latency) but the reply is lost on the
   * way: for the caller this is a {@link #timeout()}, and the mock also records the lost reply in
   * {@link MockTransport#droppedReplies()}.
   */
  public static Fault droppedReply() {
    return DroppedReply.INSTANCE;
  }

  static final class ErrorResponse extends Fault {
    private final JsonRpcError error;

    private ErrorResponse(JsonRpcError error) {
      this.error = error;
    }

    JsonRpcResponse responseTo(JsonRpcRequest request) {
      return JsonRpcResponse.failure(request.id(), error);
    }

    @Override
    public String toString() {
      return "Fault.errorResponse(" + error.code() + ", " + error.message() + ")";
    }
  }

  static final class Failure extends Fault {
    private final GatekitException exception;

    private Failure(GatekitException exception) {
      this.exception = exception;
    }

    GatekitException exception() {
      return exception;
    }

    @Override
    public String toString() {
      return "Fault.exception(" + exception + ")";
    }
  }

  static final class NoAnswer extends Fault {
    private static final NoAnswer INSTANCE = new NoAnswer();

    @Override
    public String toString() {
      return "Fault.timeout()";
    }
  }

  static final class DroppedReply extends Fault {
    private static final DroppedReply INSTANCE = new DroppedReply();

    @Override
    public String toString() {
      return "Fault.droppedReply()";
    }
  }
}
