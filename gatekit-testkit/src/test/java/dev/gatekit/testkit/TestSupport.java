package dev.gatekit.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Messages, handlers and waits shared by the MockTransport tests. */
final class TestSupport {

  /** How long a test waits for anything that should happen promptly; generous for loaded machines. */
  static final Duration PATIENCE = Duration.ofSeconds(20);

  static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private TestSupport() {}

  static JsonRpcRequest request(long id, String method) {
    return new JsonRpcRequest(RequestId.of(id), method, null);
  }

  /** A request whose params carry {@code marker}, which {@link #echoMarker} sends back. */
  static JsonRpcRequest marked(long id, String method, int marker) {
    return new JsonRpcRequest(RequestId.of(id), method, NODES.objectNode().put("marker", marker));
  }

  /** A handler that answers with the marker of the request's params. */
  static JsonRpcResponse echoMarker(JsonRpcRequest request) {
    JsonNode params = Objects.requireNonNull(request.params(), "params");
    ObjectNode result = NODES.objectNode().put("marker", params.get("marker").asInt());
    return JsonRpcResponse.success(RequestId.of(-1), result); // the mock puts the caller's id back
  }

  static int markerOf(JsonRpcResponse response) {
    return Objects.requireNonNull(response.result(), "result").get("marker").asInt();
  }

  /** Blocks a handler until {@code released} completes, failing the test's request if it never does. */
  static void awaitRelease(CompletableFuture<?> released) {
    try {
      released.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("never released", e);
    }
  }

  /** Waits until {@code condition} holds, looking every millisecond; fails after {@link #PATIENCE}. */
  static void awaitCondition(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out waiting until " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
    }
  }

  /**
   * Waits for {@code future} and returns its response, or the exception it failed with
   * ({@link CancellationException} when cancelled); fails if it does not complete in time.
   */
  static Object outcomeOf(CompletableFuture<JsonRpcResponse> future) {
    try {
      return future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (CancellationException e) {
      return e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (TimeoutException e) {
      throw new AssertionError("A future did not complete within " + PATIENCE, e);
    }
  }

  /** Waits for {@code future} and returns the exception it failed with; fails if it succeeded. */
  static Throwable failureOf(CompletableFuture<JsonRpcResponse> future) {
    Object outcome = outcomeOf(future);
    if (outcome instanceof Throwable failure) {
      return failure;
    }
    throw new AssertionError("Expected a failure, got " + outcome);
  }
}
