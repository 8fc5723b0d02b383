package dev.gatekit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/** Small plugins the scenario tests give the proxy in code. All are thread-safe. */
final class ScenarioPlugins {

  private ScenarioPlugins() {}

  static String toolOf(JsonRpcRequest request) {
    return McpMethods.TOOLS_CALL.equals(request.method()) && request.params() != null
        ? request.params().path("name").asText()
        : "";
  }

  /** Blocks calls of the given tools with a reason of its own. */
  static final class BlockTools implements SecurityPlugin {
    static final String REASON = "tool is on the scenario deny list";
    private final Set<String> denied;

    BlockTools(String... tools) {
      this.denied = Set.of(tools);
    }

    @Override
    public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
      return denied.contains(toolOf(request)) ? PluginResult.block(REASON + " (" + toolOf(request) + ")") : PluginResult.allow();
    }
  }

  /**
   * Holds every matching request until {@code parties} of them have arrived, then lets all go: the
   * proof that they were all in the proxy at the same time. Allows everything; a barrier that is
   * never completed lets the requests go after a minute and says so in {@link #broken()}.
   */
  static final class Barrier implements MiddlewarePlugin {
    private final Predicate<JsonRpcRequest> matches;
    private final CountDownLatch arrived;
    private volatile boolean broken;

    Barrier(int parties, Predicate<JsonRpcRequest> matches) {
      this.arrived = new CountDownLatch(parties);
      this.matches = matches;
    }

    @Override
    public int priority() {
      return 0;
    }

    @Override
    public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
      if (matches.test(request)) {
        arrived.countDown();
        try {
          if (!arrived.await(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS)) {
            broken = true;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          broken = true;
        }
      }
      return PluginResult.allow();
    }

    boolean broken() {
      return broken;
    }
  }

  /**
   * Stamps a marker of its own into every {@code echo} call on the way up — in {@code _meta} and
   * appended to the text — and checks on the way back that the upstream's answer carries the marker
   * of <em>this</em> request (the request the proxy hands to {@code processResponse} and the
   * context's request id must agree with it); it then restores the text and reports the marker in
   * the result's {@code _meta}. Any mismatch is recorded in {@link #violations()}.
   */
  static final class Marker implements MiddlewarePlugin {
    private static final String SEPARATOR = " #";
    private final AtomicLong serial = new AtomicLong();
    private final Map<RequestId, String> issued = new ConcurrentHashMap<>();
    private final Queue<String> violations = new ConcurrentLinkedQueue<>();

    @Override
    public int priority() {
      return 20;
    }

    @Override
    public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
      if (!"echo".equals(toolOf(request))) {
        return PluginResult.allow();
      }
      String marker = "mark-" + context.requestId() + "-" + serial.incrementAndGet();
      if (issued.putIfAbsent(context.requestId(), marker) != null) {
        violations.add("request id " + context.requestId() + " seen twice on the way up");
      }
      if (!context.requestId().equals(request.id())) {
        violations.add("context id " + context.requestId() + " but request id " + request.id());
      }
      ObjectNode params = ((ObjectNode) request.params()).deepCopy();
      ObjectNode arguments = (ObjectNode) params.get("arguments");
      arguments.put("text", arguments.path("text").asText() + SEPARATOR + marker);
      params.putObject("_meta").put("scenarioMarker", marker);
      return PluginResult.modify(request.withParams(params), "stamped " + marker);
    }

    @Override
    public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
      if (!"echo".equals(toolOf(request))) {
        return PluginResult.allow();
      }
      String sentMarker = request.params().path("_meta").path("scenarioMarker").asText();
      String expected = issued.get(context.requestId());
      if (!sentMarker.equals(expected)) {
        violations.add("id " + context.requestId() + ": response pipeline got the request of marker "
            + sentMarker + ", expected " + expected);
      }
      if (!context.requestId().equals(response.id())) {
        violations.add("context id " + context.requestId() + " but response id " + response.id());
      }
      if (response.isError()) {
        violations.add("id " + context.requestId() + ": error " + response.error());
        return PluginResult.allow();
      }
      String text = response.result().path("content").path(0).path("text").asText();
      if (!text.endsWith(SEPARATOR + expected)) {
        violations.add("id " + context.requestId() + ": answer '" + text + "' lacks marker " + expected);
        return PluginResult.allow();
      }
      ObjectNode result = response.result().deepCopy();
      ((ObjectNode) result.get("content").get(0)).put("text", text.substring(0, text.length() - SEPARATOR.length() - expected.length()));
      result.putObject("_meta").put("scenarioMarker", expected);
      return PluginResult.modify(JsonRpcResponse.success(response.id(), result), "checked " + expected);
    }

    /** The marker given to the request with this client id. */
    String markerOf(RequestId id) {
      return issued.get(id);
    }

    List<String> violations() {
      return List.copyOf(violations);
    }
  }

  /**
   * A security check that is slow for one tool: it waits until the test releases it (or a minute
   * passes), then allows. Calls of other tools pass at once.
   */
  static final class SlowCheck implements SecurityPlugin {
    private final String tool;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger fastChecks = new AtomicInteger();

    SlowCheck(String tool) {
      this.tool = tool;
    }

    @Override
    public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
      if (!tool.equals(toolOf(request))) {
        fastChecks.incrementAndGet();
        return PluginResult.allow();
      }
      entered.countDown();
      try {
        if (!release.await(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS)) {
          return PluginResult.block("the test never released the slow check");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return PluginResult.block("interrupted");
      }
      return PluginResult.allow("slow check passed");
    }

    boolean awaitEntered() throws InterruptedException {
      return entered.await(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    void release() {
      release.countDown();
    }

    int fastChecks() {
      return fastChecks.get();
    }
  }

  /**
   * Middleware with two behaviours for the auditing scenario: rewrites calls of tool {@code alias}
   * into calls of {@code echo}, and answers calls of tool {@code cached} itself.
   */
  static final class AliasAndCache implements MiddlewarePlugin {
    @Override
    public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
      String tool = toolOf(request);
      if (tool.equals("alias")) {
        ObjectNode params = ((ObjectNode) request.params()).deepCopy();
        params.put("name", "echo");
        return PluginResult.modify(request.withParams(params), "alias of echo");
      }
      if (tool.equals("cached")) {
        ObjectNode result = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        result.putArray("content").addObject().put("type", "text").put("text", "cached for " + context.requestId());
        return PluginResult.complete(JsonRpcResponse.success(request.id(), result), "served from cache");
      }
      return PluginResult.allow();
    }
  }

  /** Records every audit event. */
  static final class RecordingAuditor implements AuditingPlugin {
    private final Queue<AuditEvent> events = new ConcurrentLinkedQueue<>();

    @Override
    public void audit(AuditEvent event) {
      events.add(event);
    }

    List<AuditEvent> events() {
      return List.copyOf(events);
    }

    List<AuditEvent> eventsFor(RequestId id, Direction direction) {
      return events.stream().filter(e -> id.equals(e.requestId()) && e.direction() == direction).toList();
    }
  }

  static JsonNode metaOf(JsonRpcResponse response) {
    return response.result() == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
        : response.result().path("_meta");
  }
}
