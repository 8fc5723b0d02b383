package dev.gatekit.proxy;

import static dev.gatekit.proxy.ScenarioRequests.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client side of a proxy in the scenario tests: a thread-safe {@link ClientConnection} that
 * indexes the responses the proxy sends by id (ignoring notifications), and answers the upstream's
 * {@code sampling/createMessage} requests with {@code "reply:" + prompt} — at once, or held back
 * until the test lets them go (a gate that makes "all N requests in flight at once" a fact instead of
 * a matter of timing).
 */
final class ScenarioClient implements ClientConnection, AutoCloseable {

  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final Map<RequestId, List<JsonRpcResponse>> responses = new ConcurrentHashMap<>();
  private final AtomicInteger responseCount = new AtomicInteger();
  private final AtomicInteger samplingRequests = new AtomicInteger();
  private final ExecutorService answering =
      Executors.newCachedThreadPool(
          task -> {
            Thread thread = new Thread(task, "scenario-client-answer");
            thread.setDaemon(true);
            return thread;
          });

  private final Object gate = new Object();
  private final List<JsonRpcRequest> held = new ArrayList<>(); // guarded by gate
  private boolean holding; // guarded by gate
  private int releaseAt; // guarded by gate; 0: only release() lets them go

  private volatile GatekitProxy proxy;

  /** Connects to the proxy (which starts its upstreams). */
  void connect(GatekitProxy target) {
    this.proxy = target;
    target.connect(this);
  }

  /** Sends {@code initialize}, waits for its success, then sends {@code notifications/initialized}. */
  JsonRpcResponse initialize() {
    RequestId id = RequestId.of("init");
    receive(ScenarioRequests.initialize(id));
    JsonRpcResponse answer = awaitResponse(id);
    if (answer.isError()) {
      throw new AssertionError("initialize failed: " + answer.error());
    }
    receive(ScenarioRequests.initialized());
    return answer;
  }

  /** Gives the proxy one message from the client. */
  void receive(JsonRpcMessage message) {
    proxy.receive(message);
  }

  @Override
  public void send(JsonRpcMessage message) {
    if (message instanceof JsonRpcResponse response) {
      if (response.id() != null) {
        responses.computeIfAbsent(response.id(), id -> new CopyOnWriteArrayList<>()).add(response);
      }
      responseCount.incrementAndGet();
    } else if (message instanceof JsonRpcRequest request) {
      onServerRequest(request);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sampling gate

  /** Holds every sampling request until {@link #releaseSampling()}. */
  void holdSampling() {
    synchronized (gate) {
      holding = true;
      releaseAt = 0;
    }
  }

  /** Holds sampling requests until {@code count} are held, then answers them all together. */
  void holdSamplingUntil(int count) {
    synchronized (gate) {
      holding = true;
      releaseAt = count;
    }
  }

  /** Answers every held sampling request, and later ones at once. */
  void releaseSampling() {
    List<JsonRpcRequest> toAnswer;
    synchronized (gate) {
      holding = false;
      toAnswer = new ArrayList<>(held);
      held.clear();
    }
    toAnswer.forEach(this::answerLater);
  }

  /** Returns how many sampling requests are held now. */
  int heldSampling() {
    synchronized (gate) {
      return held.size();
    }
  }

  /** Returns how many server-to-client requests arrived so far. */
  int samplingRequests() {
    return samplingRequests.get();
  }

  private void onServerRequest(JsonRpcRequest request) {
    samplingRequests.incrementAndGet();
    List<JsonRpcRequest> toAnswer = List.of(request);
    synchronized (gate) {
      if (holding) {
        held.add(request);
        if (releaseAt == 0 || held.size() < releaseAt) {
          return;
        }
        holding = false;
        toAnswer = new ArrayList<>(held);
        held.clear();
      }
    }
    toAnswer.forEach(this::answerLater);
  }

  /** Answers on a thread of the client's: {@link ClientConnection#send} must not block or re-enter. */
  private void answerLater(JsonRpcRequest request) {
    answering.execute(() -> proxy.receive(answer(request)));
  }

  private static JsonRpcResponse answer(JsonRpcRequest request) {
    if (!McpMethods.SAMPLING_CREATE_MESSAGE.equals(request.method())) {
      return JsonRpcResponse.failure(request.id(), -32601, "The scenario client only samples");
    }
    JsonNode prompt = request.params() == null ? null
        : request.params().path("messages").path(0).path("content").path("text");
    ObjectNode result = JSON.objectNode();
    result.put("role", "assistant");
    result.putObject("content").put("type", "text").put("text", "reply:" + (prompt == null ? "" : prompt.asText()));
    result.put("model", "scenario-model");
    result.put("stopReason", "endTurn");
    return JsonRpcResponse.success(request.id(), result);
  }

  // ---------------------------------------------------------------------------------------------
  // What the client got

  /** Waits for the first response to {@code id}. */
  JsonRpcResponse awaitResponse(RequestId id) {
    await("a response to id " + id, () -> responses.containsKey(id));
    return responses.get(id).get(0);
  }

  /** Waits for a response to every id; returns the first response to each, in the order given. */
  Map<RequestId, JsonRpcResponse> awaitResponses(Collection<RequestId> ids) {
    await(
        "responses to " + ids.size() + " ids",
        () -> ids.stream().allMatch(responses::containsKey));
    Map<RequestId, JsonRpcResponse> result = new LinkedHashMap<>();
    ids.forEach(id -> result.put(id, responses.get(id).get(0)));
    return result;
  }

  /** Waits for the {@code n}-th response to {@code id} (1 for the first) and returns it. */
  JsonRpcResponse awaitNthResponse(RequestId id, int n) {
    await(n + " responses to id " + id, () -> responsesTo(id).size() >= n);
    return responses.get(id).get(n - 1);
  }

  /** Sends a request and waits for its (first) response. */
  JsonRpcResponse request(JsonRpcRequest request) {
    int before = responsesTo(request.id()).size();
    receive(request);
    return awaitNthResponse(request.id(), before + 1);
  }

  /** Returns every response to {@code id} so far, in arrival order. */
  List<JsonRpcResponse> responsesTo(RequestId id) {
    return List.copyOf(responses.getOrDefault(id, List.of()));
  }

  /** Returns whether any response to {@code id} arrived. */
  boolean answered(RequestId id) {
    return responses.containsKey(id);
  }

  /** Returns how many responses arrived in all. */
  int responseCount() {
    return responseCount.get();
  }

  @Override
  public void close() {
    answering.shutdownNow();
  }

  @Override
  public String toString() {
    return "ScenarioClient{" + responseCount + " responses, " + samplingRequests + " sampling requests}";
  }
}
