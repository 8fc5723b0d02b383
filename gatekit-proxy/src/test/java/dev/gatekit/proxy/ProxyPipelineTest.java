package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.await;
import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.notification;
import static dev.gatekit.proxy.ProxyFixture.ok;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.AuditEvent.Outcome;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.testkit.Fault;
import dev.gatekit.testkit.MockTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Plugins inside a running proxy: what the client, the upstream and the auditors see. */
class ProxyPipelineTest {

  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private final List<MockTransport> mocks = new ArrayList<>();
  private final Recorder auditLog = new Recorder(false);
  private GatekitProxy proxy;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    mocks.forEach(MockTransport::close);
  }

  @Test
  void aBlockedRequestNeverReachesTheUpstreamAndAuditorsDoNotSeeIt() {
    MockTransport only = echoing();
    SecurityPlugin denyRm = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        return "rm".equals(request.params().path("name").asText()) ? PluginResult.block("tool 'rm' is not allowed")
            : PluginResult.allow();
      }
    };
    start(GatekitProxy.builder().upstream("only", only).plugin("deny-rm", null, denyRm).plugin(auditLog));

    proxy.receive(request(1, "tools/call", "{'name':'rm','arguments':{'path':'/'}}"));
    JsonRpcResponse refused = client.awaitResponse(1);

    assertThat(refused.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(refused.error().message()).contains("tool 'rm' is not allowed");
    assertThat(sent(only, "tools/call")).isEmpty();
    assertThat(proxy.stats().blocked()).isEqualTo(1);
    AuditEvent event = auditLog.single(e -> e.method().equals("tools/call"));
    assertThat(event.outcome()).isEqualTo(Outcome.BLOCKED);
    assertThat(event.direction()).isEqualTo(Direction.CLIENT_TO_UPSTREAM);
    assertThat(event.message()).isNull();
    assertThat(event.reason()).contains("tool 'rm' is not allowed");
    assertThat(event.requestId()).isEqualTo(RequestId.of(1));
    assertThat(event.upstream()).isEqualTo("only");
  }

  @Test
  void aBlockedResponseReachesNeitherTheClientNorTheAuditors() {
    MockTransport only = mock(MockTransport.builder()
        .handle("tools/call", r -> ok(r, "{'content':[{'type':'text','text':'password=hunter2'}]}")));
    SecurityPlugin noSecrets = new SecurityPlugin() {
      @Override
      public PluginResult checkResponse(JsonRpcRequest request, JsonRpcResponse response, PluginContext context) {
        return response.result() != null && response.result().toString().contains("password=")
            ? PluginResult.block("response contains a secret") : PluginResult.allow();
      }
    };
    start(GatekitProxy.builder().upstream("only", only).plugin("no-secrets", null, noSecrets).plugin(auditLog));

    proxy.receive(request(1, "tools/call", "{'name':'read'}"));
    JsonRpcResponse refused = client.awaitResponse(1);

    assertThat(refused.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(refused.error().message()).contains("response contains a secret").doesNotContain("hunter2");
    AuditEvent event = auditLog.single(e -> e.direction() == Direction.UPSTREAM_TO_CLIENT && e.method().equals("tools/call"));
    assertThat(event.outcome()).isEqualTo(Outcome.BLOCKED);
    assertThat(event.message()).isNull();
    assertThat(auditLog.events).noneSatisfy(e -> assertThat(String.valueOf(e.message())).contains("hunter2"));
  }

  @Test
  void middlewareMayAnswerARequestWithoutTheUpstream() {
    MockTransport only = echoing();
    MiddlewarePlugin cache = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        return PluginResult.complete(JsonRpcResponse.success(RequestId.of("ignored"), json("{'cached':true}")), "hit");
      }
    };
    start(GatekitProxy.builder().upstream("only", only).plugin(cache).plugin(auditLog));

    proxy.receive(request(1, "tools/call", "{'name':'x'}"));

    JsonRpcResponse answer = client.awaitResponse(1);
    assertThat(answer.result()).isEqualTo(json("{'cached':true}"));
    assertThat(sent(only, "tools/call")).isEmpty();
    assertThat(auditLog.single(e -> e.method().equals("tools/call")).outcome()).isEqualTo(Outcome.COMPLETED);
  }

  @Test
  void aRewrittenRequestReachesTheUpstreamAndTheAnswerKeepsTheClientsId() {
    MockTransport only = echoing();
    MiddlewarePlugin rename = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        return PluginResult.modify(
            request.withId(RequestId.of(12345)).withParams(json("{'name':'renamed','arguments':{}}")), "renamed");
      }
    };
    start(GatekitProxy.builder().upstream("only", only).plugin(rename));

    proxy.receive(request("c-1", "tools/call", "{'name':'original'}"));

    JsonRpcResponse answer = client.awaitResponse("c-1");
    assertThat(answer.result().get("name").textValue()).isEqualTo("renamed");
    assertThat(sent(only, "tools/call")).singleElement()
        .satisfies(r -> assertThat(r.params().get("name").textValue()).isEqualTo("renamed"));
  }

  @Test
  void failingPluginsSecurityFailsClosedMiddlewareFailsTheRequest() {
    MockTransport a = echoing();
    MockTransport b = echoing();
    SecurityPlugin brokenGuard = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        if (request.method().equals("initialize")) {
          return PluginResult.allow();
        }
        throw new IllegalStateException("regex engine exploded at /etc/secret");
      }
    };
    MiddlewarePlugin brokenRewriter = new MiddlewarePlugin() {
      @Override
      public PluginResult processRequest(JsonRpcRequest request, PluginContext context) {
        if (request.method().equals("initialize")) {
          return PluginResult.allow();
        }
        throw new IllegalStateException("bug");
      }
    };
    start(GatekitProxy.builder().upstream("a", a).upstream("b", b)
        .plugin("broken-guard", "a", brokenGuard)
        .plugin("broken-rewriter", "b", brokenRewriter));

    proxy.receive(request(1, "tools/call", "{'name':'a__x'}"));
    proxy.receive(request(2, "tools/call", "{'name':'b__x'}"));

    JsonRpcResponse blocked = client.awaitResponse(1);
    assertThat(blocked.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
    assertThat(blocked.error().message()).doesNotContain("/etc/secret");
    assertThat(client.awaitResponse(2).error().code()).isEqualTo(ErrorCodes.INTERNAL_ERROR);
    assertThat(sent(a, "tools/call")).isEmpty();
    assertThat(sent(b, "tools/call")).isEmpty();
  }

  @Test
  void aPluginScopedToOneUpstreamLeavesTheOthersAlone() {
    MockTransport a = echoing();
    MockTransport b = echoing();
    SecurityPlugin denyAll = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        return request.method().equals("initialize") ? PluginResult.allow() : PluginResult.block("b is read-only");
      }
    };
    start(GatekitProxy.builder().upstream("a", a).upstream("b", b).plugin("deny", "b", denyAll));

    proxy.receive(request(1, "tools/call", "{'name':'a__x'}"));
    proxy.receive(request(2, "tools/call", "{'name':'b__x'}"));

    assertThat(client.awaitResponse(1).isError()).isFalse();
    assertThat(client.awaitResponse(2).error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);
  }

  @Test
  void auditorsSeeBothDirectionsOfAnAllowedCallWithContextDurationAndMetadata() {
    MockTransport only = echoing();
    List<PluginContext> contexts = Collections.synchronizedList(new ArrayList<>());
    SecurityPlugin tagger = new SecurityPlugin() {
      @Override
      public PluginResult checkRequest(JsonRpcRequest request, PluginContext context) {
        contexts.add(context);
        return PluginResult.allow().withMetadata("rule", "allow-echo");
      }
    };
    start(GatekitProxy.builder().upstream("only", only).plugin("tagger", null, tagger).plugin(auditLog));

    proxy.receive(request(1, "tools/call", "{'name':'echo'}"));
    client.awaitResponse(1);
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();

    AuditEvent in = auditLog.single(e -> e.method().equals("tools/call") && e.direction() == Direction.CLIENT_TO_UPSTREAM);
    AuditEvent out = auditLog.single(e -> e.method().equals("tools/call") && e.direction() == Direction.UPSTREAM_TO_CLIENT);
    assertThat(in.outcome()).isEqualTo(Outcome.ALLOWED);
    assertThat(in.message()).isInstanceOf(JsonRpcRequest.class);
    assertThat(in.metadata()).containsEntry("rule", "allow-echo");
    assertThat(in.upstream()).isEqualTo("only");
    assertThat(out.outcome()).isEqualTo(Outcome.ALLOWED);
    assertThat(out.message()).isInstanceOf(JsonRpcResponse.class);
    assertThat(((JsonRpcResponse) out.message()).id()).isEqualTo(RequestId.of(1));
    assertThat(out.duration()).isNotNull();
    assertThat(out.requestId()).isEqualTo(RequestId.of(1));
    assertThat(contexts).last().satisfies(c -> {
      assertThat(c.attributes()).containsEntry(PluginContext.PROTOCOL_VERSION, "2025-11-25");
      assertThat(c.attributes()).containsEntry(PluginContext.CLIENT_NAME, "test-client");
      assertThat(c.requestId()).isEqualTo(RequestId.of(1));
    });
  }

  @Test
  void failuresAndTimeoutsOfTheUpstreamAreAudited() {
    MockTransport only = mock(MockTransport.builder()
        .options(TransportOptions.builder().requestTimeout(Duration.ofMillis(200)).build())
        .fault("tools/call", Fault.timeout())
        .fault("prompts/get", Fault.exception(new dev.gatekit.api.TransportClosedException("gone"))));
    start(GatekitProxy.builder().upstream("only", only).plugin(auditLog));

    proxy.receive(request(1, "tools/call", "{'name':'hang'}"));
    proxy.receive(request(2, "prompts/get", "{'name':'p'}"));

    assertThat(client.awaitResponse(1).error().code()).isEqualTo(ErrorCodes.REQUEST_TIMEOUT);
    assertThat(client.awaitResponse(2).error().code()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
    assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
    assertThat(auditLog.single(e -> e.method().equals("tools/call") && e.direction() == Direction.UPSTREAM_TO_CLIENT).outcome())
        .isEqualTo(Outcome.TIMED_OUT);
    assertThat(auditLog.single(e -> e.method().equals("prompts/get") && e.direction() == Direction.UPSTREAM_TO_CLIENT).outcome())
        .isEqualTo(Outcome.FAILED);
  }

  @Test
  void aCriticalAuditorThatCannotRecordBlocksTheRequest() {
    MockTransport only = echoing();
    start(GatekitProxy.builder().upstream("only", only).plugin(failingAuditor(true)));

    proxy.receive(request(1, "tools/call", "{'name':'x'}"));

    JsonRpcResponse refused = client.awaitResponse(1);
    assertThat(refused.error().code()).isEqualTo(ErrorCodes.AUDITING_FAILURE);
    assertThat(sent(only, "tools/call")).isEmpty();
  }

  @Test
  void aNonCriticalAuditorThatFailsNeverAffectsTheMessage() {
    MockTransport only = echoing();
    start(GatekitProxy.builder().upstream("only", only).plugin(failingAuditor(false)).plugin(auditLog));

    proxy.receive(request(1, "tools/call", "{'name':'x'}"));
    only.emitNotification(notification("notifications/message", "{'level':'info','data':'hi'}"));

    assertThat(client.awaitResponse(1).isError()).isFalse();
    client.awaitNotification("notifications/message");
  }

  @Test
  void aCriticalAuditorThatCannotRecordBlocksNotificationsInBothDirections() {
    MockTransport only = echoing();
    Recorder critical = new Recorder(true);
    start(GatekitProxy.builder().upstream("only", only).plugin(critical));
    await("the handshake's notification upstream", () -> only.notifications().size() == 1);
    int before = critical.attempts;
    critical.failing = true;

    only.emitNotification(notification("notifications/message", "{'level':'info','data':'unrecorded'}"));
    proxy.receive(notification("notifications/roots/list_changed", null));
    // Markers that pass once the auditor recovers: everything before them has been dealt with.
    await("both notifications audited", () -> critical.attempts >= before + 2);
    critical.failing = false;
    only.emitNotification(notification("notifications/progress", "{'progressToken':1,'progress':1}"));
    proxy.receive(notification("notifications/initialized", null));
    client.awaitNotification("notifications/progress");
    await("the marker upstream", () -> only.notifications().stream().filter(n -> n.method().equals("notifications/initialized")).count() == 2);

    assertThat(client.notifications()).extracting(JsonRpcNotification::method).doesNotContain("notifications/message");
    assertThat(only.notifications()).extracting(JsonRpcNotification::method).doesNotContain("notifications/roots/list_changed");
  }

  // ---------------------------------------------------------------------------------------------

  private MockTransport mock(MockTransport.Builder builder) {
    MockTransport mock = builder.result("initialize", initializeResult("m" + mocks.size())).build();
    mocks.add(mock);
    return mock;
  }

  /** An upstream whose tools/call answers with its own params. */
  private MockTransport echoing() {
    return mock(MockTransport.builder().handle("tools/call", r -> JsonRpcResponse.success(r.id(), r.params())));
  }

  private void start(GatekitProxy.Builder builder) {
    proxy = builder.build();
    proxy.connect(client);
    handshake(proxy, client);
  }

  private static List<JsonRpcRequest> sent(MockTransport upstream, String method) {
    return upstream.requests().stream().filter(r -> r.method().equals(method)).toList();
  }

  /** An auditor that fails to record anything about tools/call. */
  private static AuditingPlugin failingAuditor(boolean critical) {
    return new AuditingPlugin() {
      @Override
      public void audit(AuditEvent event) {
        if (event.method().equals("tools/call")) {
          throw new IllegalStateException("cannot write the audit log");
        }
      }

      @Override
      public boolean critical() {
        return critical;
      }
    };
  }

  /** An auditor that records events, and can be told to fail. */
  private static final class Recorder implements AuditingPlugin {
    final List<AuditEvent> events = Collections.synchronizedList(new ArrayList<>());
    final boolean critical;
    volatile boolean failing;
    volatile int attempts;

    Recorder(boolean critical) {
      this.critical = critical;
    }

    @Override
    public synchronized void audit(AuditEvent event) {
      attempts++;
      if (failing) {
        throw new IllegalStateException("cannot write the audit log");
      }
      events.add(event);
    }

    @Override
    public boolean critical() {
      return critical;
    }

    AuditEvent single(java.util.function.Predicate<AuditEvent> match) {
      await("an audit event", () -> events.stream().anyMatch(match));
      List<AuditEvent> found = events.stream().filter(match).toList();
      assertThat(found).hasSize(1);
      return found.get(0);
    }
  }
}
