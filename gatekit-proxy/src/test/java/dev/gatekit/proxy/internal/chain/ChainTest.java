package dev.gatekit.proxy.internal.chain;

import static dev.gatekit.proxy.internal.chain.TestPlugins.CONTEXT;
import static dev.gatekit.proxy.internal.chain.TestPlugins.NODES;
import static dev.gatekit.proxy.internal.chain.TestPlugins.call;
import static dev.gatekit.proxy.internal.chain.TestPlugins.notification;
import static dev.gatekit.proxy.internal.chain.TestPlugins.result;
import static dev.gatekit.proxy.internal.chain.TestPlugins.towardsUpstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.JsonRpcCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The chain with plugin stages: order both ways, scope, decisions, failures, metadata. */
class ChainTest {

  private static final PluginContext FROM_UPSTREAM =
      PluginContext.of(Direction.UPSTREAM_TO_CLIENT, "up", RequestId.of(7), "sampling/createMessage");

  private final TestPlugins plugins = new TestPlugins();
  private final List<String> calls = plugins.calls;
  private final List<JsonRpcMessage> seenBySecurity = Collections.synchronizedList(new ArrayList<>());
  private final List<JsonRpcMessage> seenByMiddleware = Collections.synchronizedList(new ArrayList<>());

  // ---------------------------------------------------------------------------------------------
  // Order

  @Test
  void towardsTheUpstreamARequestMeetsMiddlewareThenSecurityAndTheAnswerComesBackInReverse() {
    Stages stages = stages(
        plugins.security("S-late", 80, allow()),
        plugins.middleware("M-a", 50, allow()),
        plugins.security("S-early", 10, allow()),
        plugins.middleware("M-first", 5, allow()),
        plugins.middleware("M-b", 50, allow()),
        plugins.security("S-tie", 80, allow()));
    FarSide farSide = FarSide.answering(request -> {
      calls.add("far side");
      return CompletableFuture.completedFuture(result());
    });

    Outcome outcome = towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(calls).containsExactly(
        "M-first:request", "M-a:request", "M-b:request", "S-early:request", "S-late:request", "S-tie:request",
        "far side",
        "S-tie:response", "S-late:response", "S-early:response", "M-b:response", "M-a:response", "M-first:response");
  }

  @Test
  void towardsTheClientARequestMeetsSecurityThenMiddlewareAndTheAnswerComesBackInReverse() {
    Stages stages = stages(
        plugins.middleware("M-late", 60, allow()),
        plugins.security("S-late", 70, allow()),
        plugins.middleware("M-early", 20, allow()),
        plugins.security("S-early", 30, allow()));
    FarSide client = FarSide.answering(request -> {
      calls.add("client");
      return CompletableFuture.completedFuture(result());
    });

    Outcome outcome = Chain.run(stages.towardsClient("up", client), passage(FROM_UPSTREAM), sampling()).join();

    assertThat(outcome.passed()).isTrue();
    assertThat(calls).containsExactly(
        "S-early:request", "S-late:request", "M-early:request", "M-late:request",
        "client",
        "M-late:response", "M-early:response", "S-late:response", "S-early:response");
  }

  @Test
  void notificationsFollowTheOrderOfTheirDirectionAndNothingComesBack() {
    Stages stages = stages(plugins.security("S", 1, allow()), plugins.middleware("M", 99, allow()));
    FarSide upstream = FarSide.answering(result());
    FarSide client = FarSide.answering(result());

    Outcome toUpstream = towardsUpstream(stages, upstream, notification("notifications/roots/list_changed"));
    assertThat(calls).as("from the client, like a request").containsExactly("M:notification", "S:notification");

    calls.clear();
    Outcome toClient = Chain.run(stages.towardsClient("up", client),
        passage(PluginContext.of(Direction.UPSTREAM_TO_CLIENT, "up", null, "notifications/progress")),
        notification("notifications/progress")).join();
    assertThat(calls).as("from an upstream").containsExactly("S:notification", "M:notification");

    assertThat(List.of(toUpstream, toClient)).allSatisfy(outcome -> {
      assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
      assertThat(outcome.message()).isInstanceOf(JsonRpcNotification.class);
    });
    assertThat(upstream.seen()).singleElement().isEqualTo(notification("notifications/roots/list_changed"));
    assertThat(client.seen()).singleElement().isEqualTo(notification("notifications/progress"));
  }

  @Test
  void aStageScopedToAnotherUpstreamIsSkippedBothWays() {
    Stages stages = stages(
        plugins.middleware("M-other", 50, "other", m -> PluginResult.block("no")),
        plugins.security("S-other", 50, "other", m -> PluginResult.block("no")),
        plugins.middleware("M-up", 50, "up", allow()),
        plugins.security("S-up", 50, "up", allow()));

    Outcome toUpstream = towardsUpstream(stages, FarSide.answering(result()), call());
    assertThat(calls).containsExactly("M-up:request", "S-up:request", "S-up:response", "M-up:response");

    calls.clear();
    Outcome toClient = Chain.run(stages.towardsClient("up", FarSide.answering(result())), passage(FROM_UPSTREAM),
        sampling()).join();
    assertThat(calls).containsExactly("S-up:request", "M-up:request", "M-up:response", "S-up:response");

    assertThat(toUpstream.passed()).isTrue();
    assertThat(toClient.passed()).isTrue();
    assertThat(stages.towardsUpstream("nobody", FarSide.answering(result()))).hasSize(1);
    assertThat(stages.towardsClient("nobody", FarSide.answering(result()))).hasSize(1);
  }

  @Test
  void aMessageNoPluginTouchesReachesTheFarSideAsTheSameInstance() {
    JsonRpcRequest request = call();
    JsonRpcNotification notification = notification("notifications/initialized");
    Stages none = new Stages(List.of(), List.of(), List.of());
    Stages allowing = stages(plugins.middleware("M", 10, allow()), plugins.security("S", 10, allow()));
    FarSide bare = FarSide.answering(result());
    FarSide through = FarSide.answering(result());

    assertThat(none.isEmpty()).isTrue();
    assertThat(allowing.isEmpty()).isFalse();
    assertThat(towardsUpstream(none, bare, request).verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(towardsUpstream(allowing, through, request).verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    towardsUpstream(none, bare, notification);
    towardsUpstream(allowing, through, notification);

    assertThat(bare.seen()).hasSize(2);
    assertThat(bare.seen().get(0)).isSameAs(request);
    assertThat(bare.seen().get(1)).isSameAs(notification);
    assertThat(through.seen()).hasSize(2);
    assertThat(through.seen().get(0)).isSameAs(request);
    assertThat(through.seen().get(1)).isSameAs(notification);
  }

  // ---------------------------------------------------------------------------------------------
  // Decisions

  @Test
  void modifyRewritesTheRequestForLaterStagesAndTheFarSideAndTheRequestKeepsItsId() {
    Stages stages = stages(
        plugins.middleware("M", 50, m -> m instanceof JsonRpcRequest request
            ? PluginResult.modify(
                request.withId(RequestId.of("plugin-chose-this")).withParams(NODES.objectNode().put("name", "renamed")),
                "renamed the tool")
            : PluginResult.allow()),
        plugins.security("S", 50, seenBy(seenBySecurity)));
    FarSide farSide = FarSide.answering(result());
    Passage passage = passage(CONTEXT);

    Outcome outcome = towardsUpstream(stages, farSide, passage, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(outcome.message()).isInstanceOf(JsonRpcResponse.class);
    assertThat(seenBySecurity).hasSize(2); // the request, then the response
    assertThat(seenBySecurity.get(0)).isSameAs(farSide.seen().get(0));
    JsonRpcRequest departed = (JsonRpcRequest) farSide.seen().get(0);
    assertThat(departed.id()).isEqualTo(RequestId.of(7));
    assertThat(departed.params().get("name").textValue()).isEqualTo("renamed");
    assertThat(passage.departed()).isSameAs(departed);
    assertThat(passage.reasonOnTheWayOut()).isEqualTo("renamed the tool");
  }

  @Test
  void modifyRewritesTheAnswerForTheStagesBeyondAndTheAnswerKeepsItsId() {
    Stages stages = stages(
        plugins.middleware("M", 50, seenBy(seenByMiddleware)),
        plugins.security("S", 50, m -> m instanceof JsonRpcResponse
            ? PluginResult.modify(JsonRpcResponse.success(RequestId.of(999), NODES.objectNode().put("redacted", true)),
                "redacted")
            : PluginResult.allow()));

    Outcome outcome = towardsUpstream(stages, FarSide.answering(result()), call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.MODIFIED);
    assertThat(outcome.reason()).isEqualTo("redacted");
    JsonRpcResponse rewritten = (JsonRpcResponse) outcome.message();
    assertThat(rewritten.id()).isEqualTo(RequestId.of(7));
    assertThat(rewritten.result().get("redacted").booleanValue()).isTrue();
    assertThat(seenByMiddleware).as("middleware, further out, sees the rewrite").last().isSameAs(rewritten);
  }

  @Test
  void blockStopsTheRequestWithSecurityViolationAndThePluginsReason() {
    Stages stages = stages(
        plugins.middleware("M", 10, allow()),
        plugins.security("guard", 10, m -> PluginResult.block("tool 'rm' is not allowed")),
        plugins.security("after", 20, allow()));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.passed()).isFalse();
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(outcome.reason()).contains("tool 'rm' is not allowed");
    assertThat(outcome.message()).isNull();
    assertThat(calls).as("nothing further in, nothing on the way back").containsExactly("M:request", "guard:request");
    assertThat(farSide.seen()).isEmpty();
    JsonRpcResponse toClient = outcome.toResponse(RequestId.of(7));
    assertThat(toClient.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(toClient.error().message()).contains("tool 'rm' is not allowed");
  }

  @Test
  void blockStopsTheAnswerAndTheStagesBeyondNeverSeeIt() {
    Stages stages = stages(
        plugins.middleware("M", 10, allow()),
        plugins.security("guard", 10, m -> m instanceof JsonRpcResponse ? PluginResult.block("leaks a key") : PluginResult.allow()));

    Outcome outcome = towardsUpstream(stages, FarSide.answering(result()), call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(outcome.reason()).contains("leaks a key");
    assertThat(outcome.message()).isNull();
    assertThat(calls).containsExactly("M:request", "guard:request", "guard:response");
  }

  @Test
  void middlewareCompleteAnswersTheRequestWithItsIdAndStopsTheChain() {
    Stages stages = stages(
        plugins.middleware("before", 5, allow()),
        plugins.middleware("cache", 10, m -> PluginResult.complete(
            JsonRpcResponse.success(RequestId.of("whatever"), NODES.objectNode().put("cached", true)), "cache hit")),
        plugins.middleware("later", 20, allow()),
        plugins.security("guard", 10, allow()));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.COMPLETED);
    assertThat(outcome.passed()).isTrue();
    assertThat(outcome.reason()).isEqualTo("cache hit");
    JsonRpcResponse answer = (JsonRpcResponse) outcome.message();
    assertThat(answer.id()).isEqualTo(RequestId.of(7));
    assertThat(answer.result().get("cached").booleanValue()).isTrue();
    assertThat(calls).as("the answer a stage made passes the middleware beyond untouched, and security checks it")
        .containsExactly("before:request", "cache:request", "guard:response");
    assertThat(farSide.seen()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Security sees what middleware rewrote or made

  @Test
  void anAnswerMiddlewareMadeIsCheckedBySecurityBeforeTheClientGetsIt() {
    Stages stages = stages(
        plugins.middleware("cache", 10, m -> PluginResult.complete(
            JsonRpcResponse.success(RequestId.of(1), NODES.objectNode().put("text", "sk-SECRET")), "cache hit")),
        plugins.security("guard", 10, leaksBlocked()));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(outcome.message()).isNull();
    assertThat(farSide.seen()).isEmpty();
  }

  @Test
  void anUpstreamAnswerMiddlewareRewroteIsCheckedAgainAndAnUntouchedOneOnlyOnce() {
    Stages stages = stages(
        plugins.middleware("enrich", 10, m -> m instanceof JsonRpcResponse
            ? PluginResult.modify(JsonRpcResponse.success(RequestId.of(1), NODES.objectNode().put("text", "sk-SECRET")),
                "enriched")
            : PluginResult.allow()),
        plugins.security("guard", 10, leaksBlocked()));

    Outcome rewritten = towardsUpstream(stages, FarSide.answering(result()), call());
    assertThat(rewritten.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(calls).containsExactly("enrich:request", "guard:request", "guard:response", "enrich:response",
        "guard:response");

    calls.clear();
    Stages untouched = stages(plugins.middleware("M", 10, allow()), plugins.security("guard", 10, leaksBlocked()));
    Outcome passed = towardsUpstream(untouched, FarSide.answering(result()), call());
    assertThat(passed.verdict()).isEqualTo(AuditEvent.Outcome.ALLOWED);
    assertThat(calls).as("checked once").containsExactly("M:request", "guard:request", "guard:response", "M:response");
  }

  @Test
  void towardsTheClientAMessageMiddlewareRewroteIsCheckedAgainBeforeTheClientGetsIt() {
    Stages stages = stages(
        plugins.security("guard", 10, leaksBlocked()),
        plugins.middleware("decorate", 10, m -> m instanceof JsonRpcNotification
            ? PluginResult.modify(new JsonRpcNotification("notifications/message",
                NODES.objectNode().put("data", "sk-SECRET")), "decorated")
            : PluginResult.allow()));
    FarSide client = FarSide.answering(result());

    Outcome outcome = Chain.run(stages.towardsClient("up", client),
        passage(PluginContext.of(Direction.UPSTREAM_TO_CLIENT, "up", null, "notifications/message")),
        notification("notifications/message")).join();

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(client.seen()).isEmpty();
    assertThat(calls).containsExactly("guard:notification", "decorate:notification", "guard:notification");
  }

  @Test
  void towardsTheClientAnAnswerMiddlewareMadeForTheUpstreamIsCheckedBySecurity() {
    Stages stages = stages(
        plugins.security("guard", 10, leaksBlocked()),
        plugins.middleware("autoRoots", 10, m -> PluginResult.complete(
            JsonRpcResponse.success(RequestId.of(1), NODES.objectNode().put("uri", "file:///sk-SECRET")), "answered")));
    FarSide client = FarSide.answering(result());

    Outcome outcome = Chain.run(stages.towardsClient("up", client), passage(FROM_UPSTREAM), sampling()).join();

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(client.seen()).isEmpty();
    assertThat(calls).containsExactly("guard:request", "autoRoots:request", "guard:response");
  }

  /** Blocks any message whose JSON holds "sk-SECRET". */
  private static Function<JsonRpcMessage, PluginResult> leaksBlocked() {
    return m -> new String(JsonRpcCodec.get().encode(m), StandardCharsets.UTF_8).contains("sk-SECRET")
        ? PluginResult.block("leaks a key") : PluginResult.allow();
  }

  @Test
  void securityMayNotCompleteARequestItIsAPluginErrorThatBlocks() {
    Stages stages = stages(plugins.security("rogue", 10, m -> PluginResult.complete(
        JsonRpcResponse.success(RequestId.of(7), NODES.objectNode()), "answered it myself")));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(outcome.passed()).isFalse();
    assertThat(outcome.message()).isNull();
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(outcome.reason()).contains("rogue").doesNotContain("answered it myself");
    assertThat(farSide.seen()).isEmpty();
  }

  @Test
  void middlewareMayCompleteOnlyRequests() {
    Function<JsonRpcMessage, PluginResult> completeAnythingButRequests = m -> m instanceof JsonRpcRequest
        ? PluginResult.allow()
        : PluginResult.complete(JsonRpcResponse.success(RequestId.of(7), NODES.objectNode()), "done");
    Stages stages = stages(plugins.middleware("completer", 10, completeAnythingButRequests));
    FarSide farSide = FarSide.answering(result());

    Outcome onResponse = towardsUpstream(stages, farSide, call());
    Outcome onNotification = towardsUpstream(stages, farSide, notification("notifications/progress"));

    assertThat(List.of(onResponse, onNotification)).allSatisfy(outcome -> {
      assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.FAILED);
      assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
      assertThat(outcome.message()).isNull();
      assertThat(outcome.reason()).contains("completer");
    });
    assertThat(farSide.seen()).as("only the request went").singleElement().isInstanceOf(JsonRpcRequest.class);
  }

  @Test
  void aSecurityPluginThatThrowsBlocksWithAGenericReason() {
    Stages stages = stages(
        plugins.security("flaky-guard", 10, m -> {
          throw new IllegalStateException("secret internal detail");
        }),
        plugins.middleware("never", 90, allow()));
    Stages onlyOnTheWayBack = stages(plugins.security("flaky-guard", 10, m -> {
      if (m instanceof JsonRpcResponse) {
        throw new IllegalStateException("secret internal detail");
      }
      return PluginResult.allow();
    }));
    FarSide farSide = FarSide.answering(result());

    List<Outcome> outcomes = List.of(
        towardsUpstream(stages, farSide, call()),
        towardsUpstream(onlyOnTheWayBack, farSide, call()),
        towardsUpstream(stages, farSide, notification("notifications/message")),
        Chain.run(stages.towardsClient("up", farSide), passage(FROM_UPSTREAM), sampling()).join());

    assertThat(outcomes).allSatisfy(outcome -> {
      assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
      assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
      assertThat(outcome.message()).isNull();
      assertThat(outcome.reason()).contains("flaky-guard").doesNotContain("secret internal detail");
    });
    assertThat(farSide.seen()).as("only the request checked on its way back went").hasSize(1);
  }

  @Test
  void aMiddlewarePluginThatThrowsFailsTheMessageWithInternalError() {
    Stages stages = stages(
        plugins.middleware("broken", 10, m -> {
          throw new IllegalStateException("bug");
        }),
        plugins.security("guard", 10, allow()));
    FarSide farSide = FarSide.answering(result());

    Outcome outcome = towardsUpstream(stages, farSide, call());

    assertThat(outcome.verdict()).isEqualTo(AuditEvent.Outcome.FAILED);
    assertThat(outcome.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
    assertThat(outcome.message()).isNull();
    assertThat(outcome.reason()).contains("broken").doesNotContain("bug");
    assertThat(calls).containsExactly("broken:request");
    assertThat(farSide.seen()).isEmpty();
  }

  @Test
  void rewritingAMessageIntoAnotherKindFailsIt() {
    Stages middlewareRewrite = stages(plugins.middleware("shape-shifter", 10,
        m -> PluginResult.modify(notification("x/y"), "oops")));
    Stages securityRewrite = stages(plugins.security("shape-shifter", 10,
        m -> m instanceof JsonRpcResponse ? PluginResult.modify(call(), "oops") : PluginResult.allow()));
    FarSide farSide = FarSide.answering(result());

    Outcome request = towardsUpstream(middlewareRewrite, farSide, call());
    Outcome response = towardsUpstream(securityRewrite, farSide, call());
    Outcome notification = towardsUpstream(middlewareRewrite, farSide, notification("a/b")); // stays a notification

    assertThat(request.verdict()).isEqualTo(AuditEvent.Outcome.FAILED);
    assertThat(request.errorCode()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
    assertThat(request.message()).isNull();
    assertThat(response.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(response.errorCode()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(response.message()).isNull();
    assertThat(notification.passed()).isTrue();
    assertThat(farSide.seen()).as("the response's request, then the rewritten notification")
        .containsExactly(call(), notification("x/y"));
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata

  @Test
  void metadataOfEveryPluginIsMergedLaterPluginsWinOnTheSameKeyEachWay() {
    Stages stages = stages(
        plugins.middleware("M", 10, m -> m instanceof JsonRpcRequest
            ? PluginResult.allow().withMetadata("tool", "echo").withMetadata("score", 1)
            : PluginResult.allow().withMetadata("score", 4).withMetadata("cached", false)),
        plugins.security("S", 10, m -> m instanceof JsonRpcRequest
            ? PluginResult.allow("fine").withMetadata("score", 2).withMetadata("checked", true)
            : PluginResult.allow().withMetadata("score", 3).withMetadata("scanned", true)));
    Passage passage = passage(CONTEXT);

    Outcome outcome = towardsUpstream(stages, FarSide.answering(result()), passage, call());

    Map<String, Object> out = passage.metadataOnTheWayOut();
    assertThat(out).containsExactlyInAnyOrderEntriesOf(Map.of("tool", "echo", "score", 2, "checked", true));
    assertThat(outcome.metadata()).as("the way back: security first, then middleware")
        .containsExactlyInAnyOrderEntriesOf(Map.of("score", 4, "scanned", true, "cached", false));
    assertThatThrownBy(() -> out.put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> outcome.metadata().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void metadataGatheredBeforeABlockIsKept() {
    Stages onTheWayOut = stages(
        plugins.middleware("M", 10, m -> PluginResult.allow().withMetadata("seen", "yes")),
        plugins.security("S", 10, m -> PluginResult.block("no").withMetadata("rule", "deny-all")));
    Stages onTheWayBack = stages(
        plugins.middleware("M", 10, m -> PluginResult.allow().withMetadata("seen", "yes")),
        plugins.security("S", 10, m -> m instanceof JsonRpcResponse
            ? PluginResult.block("no").withMetadata("rule", "deny-all")
            : PluginResult.allow()),
        plugins.security("S-inner", 20, m -> PluginResult.allow().withMetadata("inner", 1)));

    Outcome out = towardsUpstream(onTheWayOut, FarSide.answering(result()), call());
    Outcome back = towardsUpstream(onTheWayBack, FarSide.answering(result()), call());

    assertThat(out.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(out.metadata()).containsEntry("seen", "yes").containsEntry("rule", "deny-all");
    assertThat(back.verdict()).isEqualTo(AuditEvent.Outcome.BLOCKED);
    assertThat(back.metadata()).containsEntry("inner", 1).containsEntry("rule", "deny-all");
  }

  @Test
  void anAuditingPluginIsNotAStage() {
    AuditingPlugin auditor = TestPlugins.auditor(false, e -> {});
    assertThatThrownBy(() -> PluginStage.of(auditor, "a", null, 50)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static Stages stages(PluginStage... stages) {
    return new Stages(List.of(stages), List.of(), List.of());
  }

  private static Function<JsonRpcMessage, PluginResult> allow() {
    return m -> PluginResult.allow();
  }

  private static Function<JsonRpcMessage, PluginResult> seenBy(List<JsonRpcMessage> seen) {
    return m -> {
      seen.add(m);
      return PluginResult.allow();
    };
  }

  private static Passage passage(PluginContext context) {
    return new Passage(context, System.nanoTime(), null);
  }

  private static JsonRpcRequest sampling() {
    return new JsonRpcRequest(RequestId.of(7), "sampling/createMessage", NODES.objectNode());
  }
}
