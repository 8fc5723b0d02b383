package dev.gatekit.proxy.internal.chain;

import static dev.gatekit.proxy.internal.chain.TestPlugins.NODES;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Many chains at once through the same plugin and audit stages, the far side answering on threads of
 * its own: every outcome belongs to its own message, and every message is recorded as often as it
 * should be. No timing is asserted; every wait is on a future, with a generous bound.
 */
class ChainContentionTest {

  private static final int THREADS = 16;
  private static final int MESSAGES = 2_000;
  private static final int TOTAL = THREADS * MESSAGES;

  /** What plugins saw that did not belong together: a response to another message's request. */
  private final Queue<String> mismatches = new ConcurrentLinkedQueue<>();
  private final Map<String, Queue<AuditEvent>> events = new ConcurrentHashMap<>();

  @Test
  void everyOutcomeBelongsToItsOwnMessageAndEveryRequestIsRecordedTwice() throws Exception {
    Stages stages = new Stages(List.of(
        PluginStage.of(new Tagger(), "tagger", null, 10),
        PluginStage.of(new Guard(), "guard", null, 20)),
        List.of(auditor()), List.of(new Guard()));
    ExecutorService farSideThreads = Executors.newFixedThreadPool(4);
    ExecutorService senders = Executors.newFixedThreadPool(THREADS);
    FarSide farSide = FarSide.answering(request -> CompletableFuture.supplyAsync(() -> echo(request), farSideThreads));
    List<Stage> chain = stages.towardsUpstream("up", farSide);
    AtomicReferenceArray<CompletableFuture<Outcome>> outcomes = new AtomicReferenceArray<>(TOTAL);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> sent = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int first = t * MESSAGES;
        sent.add(senders.submit(() -> {
          start.await();
          for (int n = first; n < first + MESSAGES; n++) {
            JsonRpcMessage message = messageNumber(n);
            outcomes.set(n, Chain.run(chain, new Passage(contextOf(message), System.nanoTime(), null), message));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : sent) {
        f.get(2, TimeUnit.MINUTES);
      }
      List<CompletableFuture<Outcome>> all = new ArrayList<>(TOTAL);
      for (int n = 0; n < TOTAL; n++) {
        all.add(outcomes.get(n));
      }
      CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

      List<String> problems = new ArrayList<>();
      for (int n = 0; n < TOTAL; n++) {
        check(n, outcomes.get(n).join(), problems);
      }
      assertThat(problems).as("outcomes and audit events not matching their message").isEmpty();
      assertThat(mismatches).as("responses the plugins saw next to another message's request").isEmpty();
      assertThat(events).hasSize(TOTAL);
      assertThat(farSide.seen()).hasSize(TOTAL - (int) IntStream.range(0, TOTAL).filter(ChainContentionTest::isBlocked).count());
    } finally {
      senders.shutdownNow();
      farSideThreads.shutdownNow();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The messages: every tenth a notification; the others requests, numeric and string ids in turn;
  // the guard blocks every request whose number is 3 modulo 7.

  private static JsonRpcMessage messageNumber(int n) {
    ObjectNode params = NODES.objectNode().put("n", n);
    if (n % 10 == 0) {
      return new JsonRpcNotification("notifications/test", params);
    }
    return new JsonRpcRequest(idOf(n), "tools/call", params);
  }

  private static RequestId idOf(int n) {
    return n % 2 == 0 ? RequestId.of(n) : RequestId.of("s-" + n);
  }

  private static boolean isBlocked(int n) {
    return n % 10 != 0 && n % 7 == 3;
  }

  private static PluginContext contextOf(JsonRpcMessage message) {
    return message instanceof JsonRpcRequest request
        ? PluginContext.of("up", request.id(), request.method())
        : PluginContext.of("up", null, ((JsonRpcNotification) message).method());
  }

  private static String keyOf(int n) {
    return n % 10 == 0 ? "notification " + n : "request " + idOf(n);
  }

  private static int numberOf(JsonRpcMessage message) {
    JsonNode params = message instanceof JsonRpcRequest r ? r.params()
        : message instanceof JsonRpcNotification note ? note.params()
        : ((JsonRpcResponse) message).result();
    return params == null || !params.has("n") ? -1 : params.get("n").intValue();
  }

  /** The far side: answers with the number and the tag of the request it got. */
  private static JsonRpcResponse echo(JsonRpcRequest request) {
    JsonNode params = request.params();
    return JsonRpcResponse.success(request.id(), NODES.objectNode()
        .put("n", params.get("n").intValue())
        .put("tag", params.path("tag").asText("none")));
  }

  private void check(int n, Outcome outcome, List<String> problems) {
    String key = keyOf(n);
    Queue<AuditEvent> recorded = events.getOrDefault(key, new ConcurrentLinkedQueue<>());
    List<AuditEvent> seen = new ArrayList<>(recorded);
    if (n % 10 == 0) {
      if (!outcome.passed() || numberOf(outcome.message()) != n) {
        problems.add(key + ": outcome " + outcome);
      }
      if (seen.size() != 1 || seen.get(0).outcome() != AuditEvent.Outcome.MODIFIED || numberOf(seen.get(0).message()) != n) {
        problems.add(key + ": events " + seen);
      }
    } else if (isBlocked(n)) {
      if (outcome.verdict() != AuditEvent.Outcome.BLOCKED || outcome.errorCode() != ErrorCodes.SECURITY_VIOLATION
          || !("guard: number " + n).equals(outcome.reason())) {
        problems.add(key + ": outcome " + outcome);
      }
      if (seen.size() != 1 || seen.get(0).outcome() != AuditEvent.Outcome.BLOCKED
          || !Integer.valueOf(n).equals(seen.get(0).metadata().get("out"))) {
        problems.add(key + ": events " + seen);
      }
    } else {
      JsonRpcResponse answer = outcome.message() instanceof JsonRpcResponse r ? r : null;
      if (outcome.verdict() != AuditEvent.Outcome.ALLOWED || answer == null || !idOf(n).equals(answer.id())
          || numberOf(answer) != n || !("tag-" + n).equals(answer.result().get("tag").asText())) {
        problems.add(key + ": outcome " + outcome);
      }
      if (seen.size() != 2
          || seen.get(0).outcome() != AuditEvent.Outcome.MODIFIED || numberOf(seen.get(0).message()) != n
          || !Integer.valueOf(n).equals(seen.get(0).metadata().get("out"))
          || seen.get(1).outcome() != AuditEvent.Outcome.ALLOWED || seen.get(1).message() != answer
          || !Integer.valueOf(n).equals(seen.get(1).metadata().get("back"))) {
        problems.add(key + ": events " + seen);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The plugins

  /** Tags every message with its number on the way out; checks the answer matches on the way back. */
  private final class Tagger implements MiddlewarePlugin {
    @Override
    public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
      int n = numberOf(request);
      return PluginResult.modify(request.withParams(((ObjectNode) request.params()).deepCopy().put("tag", "tag-" + n)),
          "tagged").withMetadata("out", n);
    }

    @Override
    public PluginResult processNotification(JsonRpcNotification notification, PluginContext context) {
      int n = numberOf(notification);
      return PluginResult.modify(notification.withParams(((ObjectNode) notification.params()).deepCopy()
          .put("tag", "tag-" + n)), "tagged").withMetadata("out", n);
    }

    @Override
    public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
      int n = numberOf(request);
      if (numberOf(response) != n || !request.id().equals(context.requestId()) || !request.id().equals(response.id())) {
        mismatches.add("request " + request + " got " + response + " in " + context);
      }
      return PluginResult.allow().withMetadata("back", n);
    }
  }

  /** Blocks every request numbered 3 modulo 7; as the sensitive-text check, it is asked about every event. */
  private static final class Guard implements SecurityPlugin {
    @Override
    public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
      int n = numberOf(request);
      return isBlocked(n) ? PluginResult.block("number " + n) : PluginResult.allow();
    }

    @Override
    public boolean isSensitive(String text) {
      return text.contains("AKIA");
    }
  }

  private AuditingPlugin auditor() {
    return TestPlugins.auditor(false, event -> {
      String key = event.requestId() != null ? "request " + event.requestId()
          : "notification " + (event.message() == null ? -1 : numberOf(event.message()));
      events.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(event);
    });
  }
}
