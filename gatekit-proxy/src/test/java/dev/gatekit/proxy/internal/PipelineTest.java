package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The plugin loop on its own: order, decisions, failures, auditing. */
class PipelineTest {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final PluginContext CONTEXT = PluginContext.of("up", RequestId.of(7), "tools/call");

  private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private int order;

  // ---------------------------------------------------------------------------------------------
  // Order

  @Test
  void requestsMeetMiddlewareThenSecurityAndResponsesSecurityThenMiddleware() {
    Pipeline pipeline = new Pipeline(List.of(
        security("S-late", 80, r -> PluginResult.allow()),
        middleware("M-a", 50, r -> PluginResult.allow()),
        security("S-early", 10, r -> PluginResult.allow()),
        middleware("M-first", 5, r -> PluginResult.allow()),
        middleware("M-b", 50, r -> PluginResult.allow()),
        security("S-tie", 80, r -> PluginResult.allow())),
        List.of());

    pipeline.request(call(), CONTEXT);
    assertThat(calls).containsExactly(
        "M-first:request", "M-a:request", "M-b:request", "S-early:request", "S-late:request", "S-tie:request");

    calls.clear();
    pipeline.response(call(), result(), CONTEXT);
    assertThat(calls).containsExactly(
        "S-early:response", "S-late:response", "S-tie:response", "M-first:response", "M-a:response", "M-b:response");
  }

  @Test
  void notificationsFollowTheOrderOfTheirDirection() {
    Pipeline pipeline = new Pipeline(List.of(
        security("S", 1, r -> PluginResult.allow()), middleware("M", 99, r -> PluginResult.allow())), List.of());

    Pipeline.Outcome outcome =
        pipeline.notification(new JsonRpcNotification("notifications/roots/list_changed", null), CONTEXT, false);
    assertThat(calls).as("from the client, like a request").containsExactly("M:notification", "S:notification");
    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.ALLOWED);

    calls.clear();
    pipeline.notification(new JsonRpcNotification("notifications/progress", null), CONTEXT, true);
    assertThat(calls).as("from an upstream, like a response").containsExactly("S:notification", "M:notification");
  }

  @Test
  void aStageScopedToAnotherUpstreamIsSkipped() {
    Pipeline pipeline = new Pipeline(List.of(
        new PluginStage(recordingMiddleware("M-other", 50, r -> PluginResult.block("no")), PluginKind.MIDDLEWARE,
            "M-other", "other", 50, order++),
        new PluginStage(recordingMiddleware("M-up", 50, r -> PluginResult.allow()), PluginKind.MIDDLEWARE,
            "M-up", "up", 50, order++)),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.passes()).isTrue();
    assertThat(calls).containsExactly("M-up:request");
    assertThat(pipeline.hasStagesFor("up")).isTrue();
    assertThat(pipeline.hasStagesFor("nobody")).isFalse();
  }

  @Test
  void aMessageNoPluginTouchesPassesAsTheSameInstance() {
    JsonRpcRequest request = call();

    Pipeline.Outcome outcome = Pipeline.EMPTY.request(request, CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(outcome.message()).isSameAs(request);
    assertThat(Pipeline.EMPTY.audits()).isFalse();
  }

  // ---------------------------------------------------------------------------------------------
  // Decisions

  @Test
  void modifyRewritesTheRequestForLaterStagesAndTheRequestKeepsItsId() {
    List<JsonRpcRequest> seenBySecurity = new ArrayList<>();
    Pipeline pipeline = new Pipeline(List.of(
        middleware("M", 50, m -> PluginResult.modify(
            ((JsonRpcRequest) m).withId(RequestId.of("plugin-chose-this")).withParams(NODES.objectNode().put("name", "renamed")),
            "renamed the tool")),
        security("S", 50, m -> {
          seenBySecurity.add((JsonRpcRequest) m);
          return PluginResult.allow();
        })),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.MODIFIED);
    assertThat(outcome.passes()).isTrue();
    assertThat(outcome.reason()).isEqualTo("renamed the tool");
    JsonRpcRequest rewritten = (JsonRpcRequest) outcome.message();
    assertThat(rewritten.id()).isEqualTo(RequestId.of(7));
    assertThat(rewritten.params().get("name").textValue()).isEqualTo("renamed");
    assertThat(seenBySecurity).singleElement().satisfies(r -> assertThat(r.params().get("name").textValue()).isEqualTo("renamed"));
  }

  @Test
  void modifyRewritesAResponseAndItKeepsItsId() {
    Pipeline pipeline = new Pipeline(List.of(
        security("S", 50, m -> PluginResult.modify(
            JsonRpcResponse.success(RequestId.of(999), NODES.objectNode().put("redacted", true)), "redacted"))),
        List.of());

    Pipeline.Outcome outcome = pipeline.response(call(), result(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.MODIFIED);
    JsonRpcResponse rewritten = (JsonRpcResponse) outcome.message();
    assertThat(rewritten.id()).isEqualTo(RequestId.of(7));
    assertThat(rewritten.result().get("redacted").booleanValue()).isTrue();
  }

  @Test
  void blockStopsTheMessageWithSecurityViolationAndThePluginsReason() {
    Pipeline pipeline = new Pipeline(List.of(
        security("guard", 10, m -> PluginResult.block("tool 'rm' is not allowed")),
        security("after", 20, m -> PluginResult.allow())),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.passes()).isFalse();
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(outcome.reason()).contains("tool 'rm' is not allowed");
    assertThat(outcome.message()).isNull();
    assertThat(calls).containsExactly("guard:request");
  }

  @Test
  void middlewareCompleteAnswersTheRequestWithItsIdAndStopsThePipeline() {
    Pipeline pipeline = new Pipeline(List.of(
        middleware("cache", 10, m -> PluginResult.complete(
            JsonRpcResponse.success(RequestId.of("whatever"), NODES.objectNode().put("cached", true)), "cache hit")),
        middleware("later", 20, m -> PluginResult.allow()),
        security("guard", 10, m -> PluginResult.allow())),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.COMPLETED);
    assertThat(outcome.passes()).isFalse();
    assertThat(outcome.reason()).isEqualTo("cache hit");
    JsonRpcResponse answer = (JsonRpcResponse) outcome.message();
    assertThat(answer.id()).isEqualTo(RequestId.of(7));
    assertThat(answer.result().get("cached").booleanValue()).isTrue();
    assertThat(calls).containsExactly("cache:request");
  }

  @Test
  void securityMayNotCompleteARequestItIsAPluginErrorThatBlocks() {
    Pipeline pipeline = new Pipeline(List.of(
        security("rogue", 10, m -> PluginResult.complete(
            JsonRpcResponse.success(RequestId.of(7), NODES.objectNode()), "answered it myself"))),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.passes()).isFalse();
    assertThat(outcome.message()).isNull();
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(outcome.reason()).contains("rogue").doesNotContain("answered it myself");
  }

  @Test
  void middlewareMayCompleteOnlyRequests() {
    Pipeline pipeline = new Pipeline(List.of(
        middleware("completer", 10, m -> PluginResult.complete(
            JsonRpcResponse.success(RequestId.of(7), NODES.objectNode()), "done"))),
        List.of());

    Pipeline.Outcome onResponse = pipeline.response(call(), result(), CONTEXT);
    Pipeline.Outcome onNotification =
        pipeline.notification(new JsonRpcNotification("notifications/progress", null), CONTEXT, true);

    for (Pipeline.Outcome outcome : List.of(onResponse, onNotification)) {
      assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.FAILED);
      assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
      assertThat(outcome.message()).isNull();
    }
  }

  @Test
  void aSecurityPluginThatThrowsBlocksWithAGenericReason() {
    Pipeline pipeline = new Pipeline(List.of(
        security("flaky-guard", 10, m -> {
          throw new IllegalStateException("secret internal detail");
        }),
        middleware("never", 90, m -> PluginResult.allow())),
        List.of());

    for (Pipeline.Outcome outcome : List.of(
        pipeline.request(call(), CONTEXT),
        pipeline.response(call(), result(), CONTEXT),
        pipeline.notification(new JsonRpcNotification("notifications/message", null), CONTEXT, true))) {
      assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.BLOCKED);
      assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
      assertThat(outcome.message()).isNull();
      assertThat(outcome.reason()).contains("flaky-guard").doesNotContain("secret internal detail");
    }
  }

  @Test
  void aMiddlewarePluginThatThrowsFailsTheMessageWithInternalError() {
    Pipeline pipeline = new Pipeline(List.of(
        middleware("broken", 10, m -> {
          throw new IllegalStateException("bug");
        }),
        security("guard", 10, m -> PluginResult.allow())),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.FAILED);
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
    assertThat(outcome.message()).isNull();
    assertThat(outcome.reason()).contains("broken");
    assertThat(calls).containsExactly("broken:request");
  }

  @Test
  void rewritingAMessageIntoAnotherKindFailsIt() {
    Pipeline middlewareRewrite = new Pipeline(List.of(
        middleware("shape-shifter", 10, m -> PluginResult.modify(new JsonRpcNotification("x/y", null), "oops"))),
        List.of());
    Pipeline securityRewrite = new Pipeline(List.of(
        security("shape-shifter", 10, m -> PluginResult.modify(call(), "oops"))),
        List.of());

    Pipeline.Outcome request = middlewareRewrite.request(call(), CONTEXT);
    Pipeline.Outcome response = securityRewrite.response(call(), result(), CONTEXT);
    Pipeline.Outcome notification =
        middlewareRewrite.notification(new JsonRpcNotification("a/b", null), CONTEXT, true); // notification stays one

    assertThat(request.outcome()).isEqualTo(AuditEvent.Outcome.FAILED);
    assertThat(request.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
    assertThat(request.message()).isNull();
    assertThat(response.outcome()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(response.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(response.message()).isNull();
    assertThat(notification.outcome()).isEqualTo(AuditEvent.Outcome.MODIFIED);
  }

  @Test
  void metadataOfEveryPluginIsMergedLaterPluginsWinOnTheSameKey() {
    Pipeline pipeline = new Pipeline(List.of(
        middleware("M", 10, m -> PluginResult.allow().withMetadata("tool", "echo").withMetadata("score", 1)),
        security("S", 10, m -> PluginResult.allow("fine").withMetadata("score", 2).withMetadata("checked", true))),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("tool", "echo", "score", 2, "checked", true));
    assertThatThrownBy(() -> outcome.metadata().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void metadataGatheredBeforeABlockIsKept() {
    Pipeline pipeline = new Pipeline(List.of(
        middleware("M", 10, m -> PluginResult.allow().withMetadata("seen", "yes")),
        security("S", 10, m -> PluginResult.block("no").withMetadata("rule", "deny-all"))),
        List.of());

    Pipeline.Outcome outcome = pipeline.request(call(), CONTEXT);

    assertThat(outcome.outcome()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.metadata()).containsEntry("seen", "yes").containsEntry("rule", "deny-all");
  }

  // ---------------------------------------------------------------------------------------------
  // Auditing

  @Test
  void everyAuditorSeesTheEventInOrder() {
    List<String> seen = Collections.synchronizedList(new ArrayList<>());
    AuditEvent event = event();
    Pipeline pipeline = new Pipeline(List.of(), List.of(
        auditor(false, e -> seen.add("first:" + e.method())),
        auditor(false, e -> seen.add("second:" + e.outcome()))));

    assertThat(pipeline.audits()).isTrue();
    assertThat(pipeline.audit(event)).isNull();
    assertThat(seen).containsExactly("first:tools/call", "second:ALLOWED");
  }

  @Test
  void aNonCriticalAuditorThatThrowsIsIgnoredAndTheOthersStillRun() {
    List<AuditEvent> seen = Collections.synchronizedList(new ArrayList<>());
    Pipeline pipeline = new Pipeline(List.of(), List.of(
        auditor(false, e -> {
          throw new IllegalStateException("disk full");
        }),
        auditor(false, seen::add)));

    assertThat(pipeline.audit(event())).isNull();
    assertThat(seen).hasSize(1);
  }

  @Test
  void aCriticalAuditorThatThrowsReportsItsFailureAndTheOthersStillRun() {
    List<AuditEvent> seen = Collections.synchronizedList(new ArrayList<>());
    IllegalStateException diskFull = new IllegalStateException("disk full");
    Pipeline pipeline = new Pipeline(List.of(), List.of(
        auditor(true, e -> {
          throw diskFull;
        }),
        auditor(false, seen::add)));

    assertThat(pipeline.audit(event())).isSameAs(diskFull);
    assertThat(seen).hasSize(1);
  }

  @Test
  void aStageOfTheWrongKindIsRefused() {
    SecurityPlugin security = new SecurityPlugin() {};
    assertThatThrownBy(() -> new PluginStage(security, PluginKind.MIDDLEWARE, "s", null, 50, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PluginStage(security, PluginKind.AUDITING, "s", null, 50, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static JsonRpcRequest call() {
    ObjectNode params = NODES.objectNode().put("name", "echo");
    params.putObject("arguments").put("text", "hi");
    return new JsonRpcRequest(RequestId.of(7), "tools/call", params);
  }

  private static JsonRpcResponse result() {
    return JsonRpcResponse.success(RequestId.of(7), NODES.objectNode().put("ok", true));
  }

  private static AuditEvent event() {
    return new AuditEvent(Instant.now(), Direction.CLIENT_TO_UPSTREAM, "up", "tools/call",
        RequestId.of(7), AuditEvent.Outcome.ALLOWED, call(), null, null, Map.of());
  }

  private PluginStage security(String name, int priority, Function<Object, PluginResult> decide) {
    SecurityPlugin plugin = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        calls.add(name + ":request");
        return decide.apply(request);
      }

      @Override
      public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        calls.add(name + ":response");
        return decide.apply(response);
      }

      @Override
      public PluginResult checkNotification(JsonRpcNotification notification, PluginContext context) {
        calls.add(name + ":notification");
        return decide.apply(notification);
      }

      @Override
      public int priority() {
        return priority;
      }
    };
    return new PluginStage(plugin, PluginKind.SECURITY, name, null, priority, order++);
  }

  private PluginStage middleware(String name, int priority, Function<Object, PluginResult> decide) {
    return new PluginStage(recordingMiddleware(name, priority, decide), PluginKind.MIDDLEWARE, name, null, priority, order++);
  }

  private MiddlewarePlugin recordingMiddleware(String name, int priority, Function<Object, PluginResult> decide) {
    return new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        calls.add(name + ":request");
        return decide.apply(request);
      }

      @Override
      public PluginResult processResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        calls.add(name + ":response");
        return decide.apply(response);
      }

      @Override
      public PluginResult processNotification(JsonRpcNotification notification, PluginContext context) {
        calls.add(name + ":notification");
        return decide.apply(notification);
      }

      @Override
      public int priority() {
        return priority;
      }
    };
  }

  private static AuditingPlugin auditor(boolean critical, java.util.function.Consumer<AuditEvent> onEvent) {
    return new AuditingPlugin() {
      @Override
      public void audit(AuditEvent event) {
        onEvent.accept(event);
      }

      @Override
      public boolean critical() {
        return critical;
      }
    };
  }
}
