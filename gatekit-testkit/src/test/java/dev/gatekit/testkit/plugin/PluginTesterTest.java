package dev.gatekit.testkit.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginTesterTest {

  /** Appends its tag to params.trace of requests, with a priority. */
  static MiddlewarePlugin tagger(String tag, int priority) {
    return new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        var params = request.params().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) params).put("trace", params.path("trace").asText() + tag);
        return PluginResult.modify(new JsonRpcRequest(request.id(), request.method(), params), tag);
      }

      @Override
      public int priority() {
        return priority;
      }
    };
  }

  @Test
  void runsMiddlewareByPriorityThenSecurityAndSeesTheRewrittenRequest() {
    List<String> seenBySecurity = new ArrayList<>();
    SecurityPlugin security = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        seenBySecurity.add(request.params().path("trace").asText() + "@" + context.upstream());
        return PluginResult.allow();
      }
    };
    PluginTester.Outcome outcome = PluginTester.of(security, tagger("b", 60), tagger("a", 10), tagger("c", 60))
        .upstream("files")
        .request("tools/list", PluginTester.json("{}"))
        .assertModified();
    assertThat(outcome.request().params().get("trace").asText()).isEqualTo("abc");
    assertThat(seenBySecurity).containsExactly("abc@files");
  }

  @Test
  void aThrowingSecurityPluginBlocksAndAThrowingMiddlewareFails() {
    SecurityPlugin broken = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        throw new IllegalStateException("boom");
      }
    };
    PluginTester.of(broken).callTool("x", "{}").assertBlocked("failed");
    MiddlewarePlugin brokenMiddleware = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        throw new IllegalStateException("boom");
      }
    };
    assertThat(PluginTester.of(brokenMiddleware).callTool("x", "{}").assertFailed().failure()).hasMessage("boom");
  }

  @Test
  void onlyMiddlewareMayCompleteAndAuditorsNeverSeeBlockedMessages() {
    List<AuditEvent> events = new ArrayList<>();
    AuditingPlugin auditor = events::add;
    SecurityPlugin completes = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        return PluginResult.complete(JsonRpcResponse.failure(request.id(), -1, "no"), "cheat");
      }
    };
    PluginTester.of(completes, auditor).callTool("x", "{}").assertBlocked();
    assertThat(events).singleElement().satisfies(e -> assertThat(e.message()).isNull());

    MiddlewarePlugin answers = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        return PluginResult.complete(JsonRpcResponse.success(request.id(), PluginTester.json("{'ok':true}")), "cached");
      }
    };
    assertThat(PluginTester.of(answers).callTool("x", "{}").assertCompleted().response().result().get("ok").asBoolean())
        .isTrue();
  }

  @Test
  void responsesMeetSecurityBeforeMiddlewareAndFailedAssertionsSayWhy() {
    List<String> order = new ArrayList<>();
    SecurityPlugin security = new SecurityPlugin() {
      @Override
      public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        order.add("security");
        return PluginResult.allow();
      }
    };
    MiddlewarePlugin middleware = new MiddlewarePlugin() {
      @Override
      public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        order.add("middleware");
        return PluginResult.allow();
      }
    };
    PluginTester tester = PluginTester.of(middleware, security);
    JsonRpcRequest request = new JsonRpcRequest(dev.gatekit.api.RequestId.of(1), "tools/list", null);
    tester.response(request, "{'tools':[]}").assertAllowed();
    assertThat(order).containsExactly("security", "middleware");
    tester.notification(new JsonRpcNotification("notifications/progress", null), true).assertAllowed();
    assertThatThrownBy(() -> tester.callTool("x", "{}").assertBlocked()).isInstanceOf(AssertionError.class)
        .hasMessageContaining("expected BLOCKED");
  }
}
