package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.concurrent.locks.LockSupport;

/**
 * What the proxy routing, lifecycle, directions and pipeline tests share: JSON and message builders,
 * a client that records what the proxy sends it, and waits on conditions (never fixed sleeps).
 */
final class ProxyFixture {

  /** How long a test waits for something that should happen promptly; generous for loaded machines. */
  static final Duration PATIENCE = Duration.ofSeconds(30);

  static final JsonRpcCodec CODEC = JsonRpcCodec.get();

  private ProxyFixture() {}

  /** Parses JSON written with single quotes (for readability) into a tree. */
  static JsonNode json(String singleQuoted) {
    try {
      return CODEC.mapper().readTree(singleQuoted.replace('\'', '"'));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ObjectNode obj(String singleQuoted) {
    return (ObjectNode) json(singleQuoted);
  }

  static JsonRpcRequest request(Object id, String method, String paramsSingleQuoted) {
    return new JsonRpcRequest(idOf(id), method, paramsSingleQuoted == null ? null : json(paramsSingleQuoted));
  }

  static JsonRpcRequest request(Object id, String method) {
    return new JsonRpcRequest(idOf(id), method, null);
  }

  static JsonRpcNotification notification(String method, String paramsSingleQuoted) {
    return new JsonRpcNotification(method, paramsSingleQuoted == null ? null : json(paramsSingleQuoted));
  }

  static RequestId idOf(Object id) {
    if (id instanceof RequestId requestId) {
      return requestId;
    }
    if (id instanceof Number number) {
      return RequestId.of(number.longValue());
    }
    return RequestId.of(id.toString());
  }

  /** The client's {@code initialize} request, protocol 2025-11-25. */
  static JsonRpcRequest initializeRequest(Object id) {
    return request(id, "initialize",
        "{'protocolVersion':'2025-11-25','capabilities':{'sampling':{},'roots':{'listChanged':true}},"
            + "'clientInfo':{'name':'test-client','version':'1.0'}}");
  }

  /** An upstream's {@code initialize} result. */
  static ObjectNode initializeResult(String serverName) {
    return obj("{'protocolVersion':'2025-11-25','capabilities':{'tools':{'listChanged':false}},"
        + "'serverInfo':{'name':'" + serverName + "','version':'1.0'}}");
  }

  /** Sends {@code initialize} and {@code notifications/initialized}; asserts the handshake succeeded. */
  static JsonRpcResponse handshake(GatekitProxy proxy, Client client) {
    proxy.receive(initializeRequest("init"));
    JsonRpcResponse answer = client.awaitResponse(RequestId.of("init"));
    assertThat(answer.isError()).as("initialize answered %s", answer).isFalse();
    proxy.receive(notification("notifications/initialized", null));
    return answer;
  }

  /** A successful response whose result is {@code resultSingleQuoted} (the mock puts the caller's id back). */
  static JsonRpcResponse ok(JsonRpcRequest request, String resultSingleQuoted) {
    return JsonRpcResponse.success(request.id(), json(resultSingleQuoted));
  }

  /** A tools/list result with tools of these names. */
  static ObjectNode toolList(String... names) {
    ObjectNode result = obj("{}");
    for (String name : names) {
      result.withArray("tools").addObject().put("name", name).put("description", "tool " + name)
          .putObject("inputSchema").put("type", "object");
    }
    return result;
  }

  /** Waits until {@code condition} holds; fails the test after {@link #PATIENCE}. */
  static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
    }
  }

  static <T> T get(CompletableFuture<T> future) {
    try {
      return future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  /** Blocks a mock handler until {@code release} completes (at most {@link #PATIENCE}). */
  static void hold(CompletableFuture<?> release) {
    try {
      release.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("never released", e);
    }
  }

  /**
   * A {@link ClientConnection} that records every message the proxy sends, in order, and lets a test
   * wait for one. Thread-safe.
   */
  static final class Client implements ClientConnection {
    private final List<JsonRpcMessage> received = new ArrayList<>();

    @Override
    public synchronized void send(JsonRpcMessage message) {
      received.add(message);
      notifyAll();
    }

    /** Returns everything received so far, in order. */
    synchronized List<JsonRpcMessage> all() {
      return List.copyOf(received);
    }

    List<JsonRpcResponse> responses() {
      return all().stream().filter(JsonRpcResponse.class::isInstance).map(JsonRpcResponse.class::cast).toList();
    }

    List<JsonRpcNotification> notifications() {
      return all().stream().filter(JsonRpcNotification.class::isInstance).map(JsonRpcNotification.class::cast).toList();
    }

    List<JsonRpcRequest> requests() {
      return all().stream().filter(JsonRpcRequest.class::isInstance).map(JsonRpcRequest.class::cast).toList();
    }

    List<JsonRpcResponse> responsesTo(RequestId id) {
      return responses().stream().filter(r -> id.equals(r.id())).toList();
    }

    /** Waits for the first message matching {@code match}, then returns it. */
    synchronized <T extends JsonRpcMessage> T await(Class<T> type, Predicate<T> match, String what) {
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (true) {
        for (JsonRpcMessage message : received) {
          if (type.isInstance(message) && match.test(type.cast(message))) {
            return type.cast(message);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("timed out waiting for " + what + "; received " + received);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    /** Waits until at least {@code count} messages matching {@code match} have arrived. */
    synchronized <T extends JsonRpcMessage> List<T> awaitCount(Class<T> type, Predicate<T> match, int count, String what) {
      long deadline = System.nanoTime() + PATIENCE.toNanos();
      while (true) {
        List<T> found = received.stream().filter(type::isInstance).map(type::cast).filter(match).toList();
        if (found.size() >= count) {
          return found;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("timed out waiting for " + count + " of " + what + "; received " + received);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    JsonRpcResponse awaitResponse(RequestId id) {
      return await(JsonRpcResponse.class, r -> id.equals(r.id()), "a response to " + id);
    }

    JsonRpcResponse awaitResponse(Object id) {
      return awaitResponse(idOf(id));
    }

    JsonRpcNotification awaitNotification(String method) {
      return await(JsonRpcNotification.class, n -> n.method().equals(method), "notification " + method);
    }

    JsonRpcRequest awaitRequest(String method) {
      return await(JsonRpcRequest.class, r -> r.method().equals(method), "request " + method);
    }
  }
}
