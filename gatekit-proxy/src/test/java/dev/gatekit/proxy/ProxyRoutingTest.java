package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.handshake;
import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static dev.gatekit.proxy.ProxyFixture.json;
import static dev.gatekit.proxy.ProxyFixture.obj;
import static dev.gatekit.proxy.ProxyFixture.ok;
import static dev.gatekit.proxy.ProxyFixture.request;
import static dev.gatekit.proxy.ProxyFixture.toolList;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.testkit.Fault;
import dev.gatekit.testkit.MockTransport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which upstream serves which request, and how names, lists and cursors are translated. */
class ProxyRoutingTest {

  private final Map<String, MockTransport> upstreams = new LinkedHashMap<>();
  private final ProxyFixture.Client client = new ProxyFixture.Client();
  private GatekitProxy proxy;

  @AfterEach
  void closeProxy() {
    if (proxy != null) {
      proxy.close();
    }
    upstreams.values().forEach(MockTransport::close);
  }

  // ---------------------------------------------------------------------------------------------
  // One upstream: transparent

  @Test
  void oneUpstreamSeesNamesUnchangedAndItsListResultPassesThroughAsIs() {
    ObjectNode tools = toolList("echo", "a__not_a_prefix");
    MockTransport only = upstream("only")
        .result("tools/list", tools)
        .handle("tools/call", r -> ok(r, "{'content':[{'type':'text','text':'hi'}]}"))
        .build();
    start(only);

    proxy.receive(request(1, "tools/list"));
    proxy.receive(request(2, "tools/call", "{'name':'echo','arguments':{'text':'hi'}}"));

    assertThat(client.awaitResponse(1).result()).isEqualTo(tools);
    assertThat(client.awaitResponse(2).result()).isEqualTo(json("{'content':[{'type':'text','text':'hi'}]}"));
    assertThat(sent(only, "tools/call")).singleElement()
        .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'name':'echo','arguments':{'text':'hi'}}")));
  }

  @Test
  void oneUpstreamGetsMethodsTheProxyDoesNotKnow() {
    MockTransport only = upstream("only")
        .handle("vendor/experimental", r -> JsonRpcResponse.success(r.id(), obj("{'echoed':" + r.params() + "}")))
        .build();
    start(only);

    proxy.receive(request("x", "vendor/experimental", "{'name':'b__thing','n':1}"));

    assertThat(client.awaitResponse("x").result()).isEqualTo(json("{'echoed':{'name':'b__thing','n':1}}"));
    assertThat(sent(only, "vendor/experimental")).singleElement()
        .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'name':'b__thing','n':1}")));
  }

  @Test
  void oneUpstreamsPaginationCursorsPassThroughUntouched() {
    MockTransport only = upstream("only")
        .handle("tools/list", pages("tools", "echo", "add"))
        .build();
    start(only);

    proxy.receive(request(1, "tools/list"));
    JsonRpcResponse first = client.awaitResponse(1);
    assertThat(first.result().get("nextCursor").textValue()).isEqualTo("page-1");

    proxy.receive(request(2, "tools/list", "{'cursor':'page-1'}"));
    JsonRpcResponse second = client.awaitResponse(2);

    assertThat(second.result()).isEqualTo(json("{'tools':[{'name':'add'}]}"));
    assertThat(sent(only, "tools/list")).extracting(JsonRpcRequest::params)
        .containsExactly(null, json("{'cursor':'page-1'}"));
  }

  @Test
  void pingIsAnsweredByTheProxyWithoutAnUpstreamCall() {
    MockTransport only = upstream("only").build();
    start(only);

    proxy.receive(request(9, "ping"));

    JsonRpcResponse pong = client.awaitResponse(9);
    assertThat(pong.isError()).isFalse();
    assertThat(pong.result()).isEqualTo(json("{}"));
    assertThat(only.requests()).extracting(JsonRpcRequest::method).containsExactly("initialize");
  }

  @Test
  void setLevelReachesTheOneUpstream() {
    MockTransport only = upstream("only").handle("logging/setLevel", r -> ok(r, "{}")).build();
    start(only);

    proxy.receive(request(3, "logging/setLevel", "{'level':'debug'}"));

    assertThat(client.awaitResponse(3).isError()).isFalse();
    assertThat(sent(only, "logging/setLevel")).singleElement()
        .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'level':'debug'}")));
  }

  // ---------------------------------------------------------------------------------------------
  // Two upstreams: names

  @Test
  void toolsOfSeveralUpstreamsAreNamespacedAndMergedInUpstreamOrderWhoeverAnswersFirst() {
    // a answers its list last, yet its tools come first: the order is the upstreams' order.
    MockTransport a = upstream("a")
        .result("tools/list", toolList("echo", "sum"))
        .latency(r -> r.method().equals("tools/list") ? Duration.ofMillis(50) : Duration.ZERO)
        .build();
    MockTransport b = upstream("b").result("tools/list", toolList("echo")).build();
    start(a, b);

    proxy.receive(request(1, "tools/list"));
    JsonNode result = client.awaitResponse(1).result();

    assertThat(result.get("tools")).extracting(t -> t.get("name").textValue())
        .containsExactly("a__echo", "a__sum", "b__echo");
    assertThat(result.get("tools").get(0).get("description").textValue()).isEqualTo("tool echo");
    assertThat(result.has("nextCursor")).isFalse();
    assertThat(toolList("echo", "sum").get("tools").get(0).get("name").textValue())
        .as("the upstream's own tree is not changed").isEqualTo("echo");
  }

  @Test
  void aNamespacedToolCallReachesItsUpstreamUnderThePlainName() {
    MockTransport a = upstream("a").handle("tools/call", r -> ok(r, "{'from':'a'}")).build();
    MockTransport b = upstream("b").handle("tools/call", r -> ok(r, "{'from':'b'}")).build();
    start(a, b);

    proxy.receive(request(1, "tools/call", "{'name':'b__echo','arguments':{'text':'hi'}}"));
    proxy.receive(request(2, "tools/call", "{'name':'a__echo','arguments':{'text':'ho'}}"));

    assertThat(client.awaitResponse(1).result()).isEqualTo(json("{'from':'b'}"));
    assertThat(client.awaitResponse(2).result()).isEqualTo(json("{'from':'a'}"));
    assertThat(sent(b, "tools/call")).singleElement()
        .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'name':'echo','arguments':{'text':'hi'}}")));
    assertThat(sent(a, "tools/call")).singleElement()
        .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'name':'echo','arguments':{'text':'ho'}}")));
  }

  @Test
  void promptsAreNamespacedAndPromptsGetIsRoutedByPrefix() {
    MockTransport a = upstream("a")
        .result("prompts/list", obj("{'prompts':[{'name':'greet','arguments':[{'name':'who'}]}]}"))
        .handle("prompts/get", r -> ok(r, "{'messages':[],'description':'from a'}"))
        .build();
    MockTransport b = upstream("b")
        .result("prompts/list", obj("{'prompts':[{'name':'greet'},{'name':'bye'}]}"))
        .handle("prompts/get", r -> ok(r, "{'messages':[],'description':'from b'}"))
        .build();
    start(a, b);

    proxy.receive(request(1, "prompts/list"));
    proxy.receive(request(2, "prompts/get", "{'name':'a__greet','arguments':{'who':'Ada'}}"));

    assertThat(client.awaitResponse(1).result().get("prompts")).extracting(p -> p.get("name").textValue())
        .containsExactly("a__greet", "b__greet", "b__bye");
    assertThat(client.awaitResponse(2).result().get("description").textValue()).isEqualTo("from a");
    assertThat(sent(a, "prompts/get")).singleElement()
        .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'name':'greet','arguments':{'who':'Ada'}}")));
    assertThat(sent(b, "prompts/get")).isEmpty();
  }

  @Test
  void resourceTemplatesAreNamespacedButKeepTheirUriTemplatesAndResourcesKeepNamesAndUris() {
    MockTransport a = upstream("a")
        .result("resources/templates/list", obj("{'resourceTemplates':[{'name':'files','uriTemplate':'file:///{path}'}]}"))
        .result("resources/list", obj("{'resources':[{'name':'readme','uri':'file:///README.md'}]}"))
        .build();
    MockTransport b = upstream("b")
        .result("resources/templates/list", obj("{'resourceTemplates':[{'name':'keys','uriTemplate':'mem://{key}'}]}"))
        .result("resources/list", obj("{'resources':[{'name':'readme','uri':'mem://readme'}]}"))
        .build();
    start(a, b);

    proxy.receive(request(1, "resources/templates/list"));
    proxy.receive(request(2, "resources/list"));

    assertThat(client.awaitResponse(1).result()).isEqualTo(json("{'resourceTemplates':["
        + "{'name':'a__files','uriTemplate':'file:///{path}'},{'name':'b__keys','uriTemplate':'mem://{key}'}]}"));
    assertThat(client.awaitResponse(2).result()).isEqualTo(json("{'resources':["
        + "{'name':'readme','uri':'file:///README.md'},{'name':'readme','uri':'mem://readme'}]}"));
  }

  @Test
  void completionIsRoutedByPromptPrefixOrByResourceTemplate() {
    MockTransport a = upstream("a")
        .result("resources/templates/list", obj("{'resourceTemplates':[{'name':'files','uriTemplate':'file:///{path}'}]}"))
        .handle("completion/complete", r -> ok(r, "{'completion':{'values':['from-a']}}"))
        .build();
    MockTransport b = upstream("b")
        .result("resources/templates/list", obj("{'resourceTemplates':[{'name':'keys','uriTemplate':'mem://{key}'}]}"))
        .handle("completion/complete", r -> ok(r, "{'completion':{'values':['from-b']}}"))
        .build();
    start(a, b);
    proxy.receive(request(0, "resources/templates/list"));
    client.awaitResponse(0);

    proxy.receive(request(1, "completion/complete",
        "{'ref':{'type':'ref/prompt','name':'b__greet'},'argument':{'name':'who','value':'A'}}"));
    proxy.receive(request(2, "completion/complete",
        "{'ref':{'type':'ref/resource','uri':'file:///{path}'},'argument':{'name':'path','value':'sr'}}"));

    assertThat(client.awaitResponse(1).result().get("completion").get("values").get(0).textValue()).isEqualTo("from-b");
    assertThat(client.awaitResponse(2).result().get("completion").get("values").get(0).textValue()).isEqualTo("from-a");
    assertThat(sent(b, "completion/complete")).singleElement().satisfies(r -> assertThat(r.params())
        .isEqualTo(json("{'ref':{'type':'ref/prompt','name':'greet'},'argument':{'name':'who','value':'A'}}")));
    assertThat(sent(a, "completion/complete")).singleElement().satisfies(r -> assertThat(r.params())
        .isEqualTo(json("{'ref':{'type':'ref/resource','uri':'file:///{path}'},'argument':{'name':'path','value':'sr'}}")));
  }

  @Test
  void resourceReadsAndSubscriptionsGoToTheUpstreamThatListedTheUriOrWhoseTemplateMatches() {
    MockTransport a = upstream("a")
        .result("resources/list", obj("{'resources':[{'name':'readme','uri':'file:///README.md'}]}"))
        .result("resources/templates/list", obj("{'resourceTemplates':[]}"))
        .handle("resources/read", r -> ok(r, "{'contents':[{'uri':'x','text':'from a'}]}"))
        .handle("resources/subscribe", r -> ok(r, "{}"))
        .build();
    MockTransport b = upstream("b")
        .result("resources/list", obj("{'resources':[]}"))
        .result("resources/templates/list", obj("{'resourceTemplates':[{'name':'keys','uriTemplate':'mem://{key}'}]}"))
        .handle("resources/read", r -> ok(r, "{'contents':[{'uri':'x','text':'from b'}]}"))
        .handle("resources/subscribe", r -> ok(r, "{}"))
        .handle("resources/unsubscribe", r -> ok(r, "{}"))
        .build();
    start(a, b);
    proxy.receive(request("l1", "resources/list"));
    proxy.receive(request("l2", "resources/templates/list"));
    client.awaitResponse("l1");
    client.awaitResponse("l2");

    proxy.receive(request(1, "resources/read", "{'uri':'file:///README.md'}"));
    proxy.receive(request(2, "resources/read", "{'uri':'mem://session-7'}"));
    proxy.receive(request(3, "resources/subscribe", "{'uri':'file:///README.md'}"));
    proxy.receive(request(4, "resources/subscribe", "{'uri':'mem://k'}"));
    proxy.receive(request(5, "resources/unsubscribe", "{'uri':'mem://k'}"));
    proxy.receive(request(6, "resources/read", "{'uri':'https://example.com/unknown'}"));

    assertThat(client.awaitResponse(1).result().get("contents").get(0).get("text").textValue()).isEqualTo("from a");
    assertThat(client.awaitResponse(2).result().get("contents").get(0).get("text").textValue()).isEqualTo("from b");
    assertThat(client.awaitResponse(3).isError()).isFalse();
    assertThat(client.awaitResponse(4).isError()).isFalse();
    assertThat(client.awaitResponse(5).isError()).isFalse();
    JsonRpcResponse unknown = client.awaitResponse(6);
    assertThat(unknown.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
    assertThat(unknown.error().message()).contains("https://example.com/unknown").contains("[a, b]");
    assertThat(sent(a, "resources/read")).extracting(r -> r.params().get("uri").textValue()).containsExactly("file:///README.md");
    assertThat(sent(b, "resources/read")).extracting(r -> r.params().get("uri").textValue()).containsExactly("mem://session-7");
    assertThat(sent(a, "resources/subscribe")).extracting(r -> r.params().get("uri").textValue()).containsExactly("file:///README.md");
    assertThat(sent(b, "resources/subscribe")).extracting(r -> r.params().get("uri").textValue()).containsExactly("mem://k");
    assertThat(sent(b, "resources/unsubscribe")).hasSize(1);
  }

  @Test
  void anUnknownPrefixGetsInvalidParamsNamingTheKnownUpstreamsAndReachesNoUpstream() {
    MockTransport a = upstream("a").handle("tools/call", r -> ok(r, "{}")).build();
    MockTransport b = upstream("b").handle("tools/call", r -> ok(r, "{}")).build();
    start(a, b);

    proxy.receive(request(1, "tools/call", "{'name':'c__echo'}"));
    proxy.receive(request(2, "tools/call", "{'name':'echo'}"));
    proxy.receive(request(3, "prompts/get", "{'name':'zz__greet'}"));

    for (int id = 1; id <= 3; id++) {
      JsonRpcResponse refused = client.awaitResponse(id);
      assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
      assertThat(refused.error().message()).contains("[a, b]");
    }
    assertThat(client.awaitResponse(1).error().message()).contains("c__echo");
    assertThat(sent(a, "tools/call")).isEmpty();
    assertThat(sent(b, "tools/call")).isEmpty();
    assertThat(proxy.stats().failed()).isEqualTo(3);
  }

  // ---------------------------------------------------------------------------------------------
  // Two upstreams: pagination

  @Test
  void theClientFollowsNextCursorAcrossUpstreamsAndGetsEveryItemExactlyOnce() {
    MockTransport a = upstream("a").handle("tools/list", pages("tools", "a1", "a2", "a3")).build();
    MockTransport b = upstream("b").handle("tools/list", pages("tools", "b1")).build();
    start(a, b);

    List<String> names = new ArrayList<>();
    List<String> cursors = new ArrayList<>();
    String cursor = null;
    int id = 0;
    do {
      id++;
      proxy.receive(cursor == null
          ? request(id, "tools/list")
          : request(id, "tools/list", "{'cursor':'" + cursor + "'}"));
      JsonNode result = client.awaitResponse(id).result();
      result.get("tools").forEach(t -> names.add(t.get("name").textValue()));
      cursor = result.path("nextCursor").isTextual() ? result.get("nextCursor").textValue() : null;
      if (cursor != null) {
        cursors.add(cursor);
      }
    } while (cursor != null && id < 10);

    assertThat(names).containsExactlyInAnyOrder("a__a1", "a__a2", "a__a3", "b__b1");
    assertThat(names).startsWith("a__a1", "b__b1");
    assertThat(id).isEqualTo(3);
    assertThat(sent(a, "tools/list")).extracting(r -> r.params() == null ? null : r.params().path("cursor").asText(null))
        .containsExactly(null, "page-1", "page-2");
    assertThat(sent(b, "tools/list")).as("b was exhausted after its one page").hasSize(1);
    assertThat(cursors).as("cursors are the proxy's, not an upstream's")
        .doesNotContain("page-1", "page-2")
        .allSatisfy(c -> assertThat(c).doesNotContain("page-"));
  }

  @Test
  void aCursorTheProxyDidNotGiveOutIsInvalidParams() {
    MockTransport a = upstream("a").handle("tools/list", pages("tools", "a1", "a2")).build();
    MockTransport b = upstream("b").handle("tools/list", pages("tools", "b1")).build();
    start(a, b);
    String forgedForUnknownUpstream = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"zz\":\"page-1\"}".getBytes(StandardCharsets.UTF_8));
    String emptyObject = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{}".getBytes(StandardCharsets.UTF_8));

    List<String> bogus = List.of("page-1", "not base64 at all!", "", forgedForUnknownUpstream, emptyObject);
    for (int i = 0; i < bogus.size(); i++) {
      proxy.receive(request(i, "tools/list", "{'cursor':'" + bogus.get(i) + "'}"));
    }
    proxy.receive(request("n", "tools/list", "{'cursor':42}"));

    for (int i = 0; i < bogus.size(); i++) {
      JsonRpcResponse refused = client.awaitResponse(i);
      assertThat(refused.isError()).as("cursor '%s'", bogus.get(i)).isTrue();
      assertThat(refused.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
      assertThat(refused.error().message()).contains("cursor");
    }
    assertThat(client.awaitResponse("n").error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
    assertThat(sent(a, "tools/list")).isEmpty();
    assertThat(sent(b, "tools/list")).isEmpty();
  }

  @Test
  void anUpstreamFailingAListDoesNotFailTheMergedList() {
    MockTransport a = upstream("a").fault("tools/list", Fault.errorResponse(ErrorCodes.INTERNAL_ERROR, "boom")).build();
    MockTransport b = upstream("b").result("tools/list", toolList("echo")).build();
    MockTransport c = upstream("c").fault("tools/list", Fault.exception(new TransportClosedException("c died"))).build();
    start(a, b, c);

    proxy.receive(request(1, "tools/list"));
    JsonRpcResponse merged = client.awaitResponse(1);

    assertThat(merged.isError()).isFalse();
    assertThat(merged.result()).isEqualTo(json("{'tools':[{'name':'b__echo','description':'tool echo','inputSchema':{'type':'object'}}]}"));
  }

  @Test
  void whenEveryUpstreamFailsAListTheClientGetsAnError() {
    MockTransport a = upstream("a").fault("tools/list", Fault.errorResponse(-32042, "a cannot list")).build();
    MockTransport b = upstream("b").fault("tools/list", Fault.errorResponse(-32043, "b cannot list")).build();
    start(a, b);

    proxy.receive(request(1, "tools/list"));
    JsonRpcResponse failed = client.awaitResponse(1);

    assertThat(failed.isError()).isTrue();
    assertThat(failed.error().code()).isEqualTo(-32042);
    assertThat(failed.id()).isEqualTo(ProxyFixture.idOf(1));
  }

  // ---------------------------------------------------------------------------------------------
  // Two upstreams: the rest

  @Test
  void setLevelReachesEveryUpstream() {
    MockTransport a = upstream("a").handle("logging/setLevel", r -> ok(r, "{}")).build();
    MockTransport b = upstream("b").handle("logging/setLevel", r -> ok(r, "{}")).build();
    start(a, b);

    proxy.receive(request(1, "logging/setLevel", "{'level':'warning'}"));

    JsonRpcResponse answer = client.awaitResponse(1);
    assertThat(answer.isError()).isFalse();
    assertThat(answer.result()).isEqualTo(json("{}"));
    for (MockTransport upstream : List.of(a, b)) {
      assertThat(sent(upstream, "logging/setLevel")).singleElement()
          .satisfies(r -> assertThat(r.params()).isEqualTo(json("{'level':'warning'}")));
    }
  }

  @Test
  void pingIsAnsweredByTheProxyWithSeveralUpstreams() {
    MockTransport a = upstream("a").build();
    MockTransport b = upstream("b").build();
    start(a, b);

    proxy.receive(request("p", "ping"));

    assertThat(client.awaitResponse("p").result()).isEqualTo(json("{}"));
    assertThat(a.requests()).extracting(JsonRpcRequest::method).containsExactly("initialize");
    assertThat(b.requests()).extracting(JsonRpcRequest::method).containsExactly("initialize");
  }

  // ---------------------------------------------------------------------------------------------

  /** A mock upstream builder that answers {@code initialize}. */
  private MockTransport.Builder upstream(String name) {
    return MockTransport.builder().result("initialize", initializeResult(name));
  }

  /** Builds a proxy over these upstreams ("only", or "a", "b", ... in order), connects and initializes it. */
  private void start(MockTransport... mocks) {
    GatekitProxy.Builder builder = GatekitProxy.builder();
    for (MockTransport mock : mocks) {
      String name = mocks.length == 1 ? "only" : String.valueOf((char) ('a' + upstreams.size()));
      upstreams.put(name, mock);
      builder.upstream(name, mock);
    }
    proxy = builder.build();
    proxy.connect(client);
    handshake(proxy, client);
  }

  /**
   * A list handler that serves {@code names} one per page: the first page without a cursor, the
   * next ones under cursors {@code page-1}, {@code page-2}, ...
   */
  private static Function<JsonRpcRequest, JsonRpcResponse> pages(String member, String... names) {
    return request -> {
      JsonNode params = request.params();
      int page = params == null || !params.has("cursor") ? 0
          : Integer.parseInt(params.get("cursor").textValue().substring("page-".length()));
      ObjectNode result = obj("{}");
      result.putArray(member).addObject().put("name", names[page]);
      if (page + 1 < names.length) {
        result.put("nextCursor", "page-" + (page + 1));
      }
      return JsonRpcResponse.success(request.id(), result);
    };
  }

  private static List<JsonRpcRequest> sent(MockTransport upstream, String method) {
    return upstream.requests().stream().filter(r -> r.method().equals(method)).toList();
  }
}
