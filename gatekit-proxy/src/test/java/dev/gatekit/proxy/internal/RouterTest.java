package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Routing decisions and name translation, without a proxy around them. */
class RouterTest {

  private final Router single = new Router(List.of("only"), false);
  private final Router two = new Router(List.of("a", "b"), true);

  // ---------------------------------------------------------------------------------------------
  // One upstream: transparent

  @Test
  void withoutNamespacingEveryRequestGoesUnchangedToTheFirstUpstream() {
    for (JsonRpcRequest request : List.of(
        request("tools/call", "{'name':'echo','arguments':{'x':1}}"),
        request("tools/call", "{'name':'a__looks_prefixed'}"),
        request("tools/list", "{'cursor':'upstream-cursor-2'}"),
        request("resources/read", "{'uri':'file:///never/listed'}"),
        request("logging/setLevel", "{'level':'debug'}"),
        request("vendor/unknownMethod", "[1,2,3]"),
        request("completion/complete", null))) {
      Router.Route route = single.route(request);

      assertThat(route).isInstanceOf(Router.To.class);
      Router.To to = (Router.To) route;
      assertThat(to.upstream()).isEqualTo("only");
      assertThat(to.request()).isSameAs(request);
    }
    assertThat(single.namespaced()).isFalse();
  }

  // ---------------------------------------------------------------------------------------------
  // Several upstreams: by name

  @Test
  void aToolCallIsRoutedByItsPrefixAndReachesTheUpstreamUnderItsPlainName() {
    JsonRpcRequest request = request("tools/call", "{'name':'b__echo','arguments':{'text':'hi'},'_meta':{'progressToken':5}}");

    Router.To to = (Router.To) two.route(request);

    assertThat(to.upstream()).isEqualTo("b");
    assertThat(to.request().id()).isEqualTo(request.id());
    assertThat(to.request().method()).isEqualTo("tools/call");
    assertThat(to.request().params()).isEqualTo(json("{'name':'echo','arguments':{'text':'hi'},'_meta':{'progressToken':5}}"));
    assertThat(request.params().get("name").textValue()).as("the client's request is not changed").isEqualTo("b__echo");
  }

  @Test
  void aNameMayItselfContainTheSeparator() {
    Router.To to = (Router.To) two.route(request("tools/call", "{'name':'a__my__tool'}"));

    assertThat(to.upstream()).isEqualTo("a");
    assertThat(to.request().params().get("name").textValue()).isEqualTo("my__tool");
  }

  @Test
  void promptsGetIsRoutedByPrefix() {
    Router.To to = (Router.To) two.route(request("prompts/get", "{'name':'a__greet','arguments':{'who':'x'}}"));

    assertThat(to.upstream()).isEqualTo("a");
    assertThat(to.request().params()).isEqualTo(json("{'name':'greet','arguments':{'who':'x'}}"));
  }

  @Test
  void completionOfAPromptArgumentIsRoutedByThePromptsPrefix() {
    Router.To to = (Router.To) two.route(request("completion/complete",
        "{'ref':{'type':'ref/prompt','name':'b__greet'},'argument':{'name':'who','value':'Al'}}"));

    assertThat(to.upstream()).isEqualTo("b");
    assertThat(to.request().params())
        .isEqualTo(json("{'ref':{'type':'ref/prompt','name':'greet'},'argument':{'name':'who','value':'Al'}}"));
  }

  @Test
  void completionOfAResourceTemplateArgumentGoesToTheUpstreamWhoseTemplateMatches() {
    two.adoptListItems("a", "resourceTemplates", json("[{'uriTemplate':'db://{table}/rows','name':'rows'}]"));
    two.adoptListItems("b", "resourceTemplates", json("[{'uriTemplate':'file:///{path}','name':'files'}]"));
    JsonRpcRequest request = request("completion/complete",
        "{'ref':{'type':'ref/resource','uri':'file:///{path}'},'argument':{'name':'path','value':'src'}}");

    Router.To to = (Router.To) two.route(request);

    assertThat(to.upstream()).isEqualTo("b");
    assertThat(to.request()).isSameAs(request);
  }

  @Test
  void anUnknownPrefixIsRefusedWithAnErrorNamingTheKnownUpstreams() {
    for (JsonRpcRequest request : List.of(
        request("tools/call", "{'name':'c__echo'}"),
        request("tools/call", "{'name':'echo'}"),
        request("prompts/get", "{'name':'nobody__greet'}"),
        request("completion/complete", "{'ref':{'type':'ref/prompt','name':'greet'},'argument':{'name':'x','value':''}}"))) {
      Router.Route route = two.route(request);

      assertThat(route).as("%s", request).isInstanceOf(Router.Refuse.class);
      Router.Refuse refuse = (Router.Refuse) route;
      assertThat(refuse.code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
      assertThat(refuse.message()).contains("[a, b]");
    }
    Router.Refuse tool = (Router.Refuse) two.route(request("tools/call", "{'name':'c__echo'}"));
    assertThat(tool.message()).contains("'c__echo'").contains("upstream__tool");
  }

  @Test
  void aMissingOrNonStringNameIsInvalidParams() {
    for (JsonRpcRequest request : List.of(
        request("tools/call", null),
        request("tools/call", "{'name':5}"),
        request("tools/call", "['a__echo']"),
        request("prompts/get", "{}"),
        request("resources/read", "{'uri':{}}"),
        request("completion/complete", "{'ref':'a__x'}"),
        request("completion/complete", "{'ref':{'type':'ref/prompt'}}"))) {
      Router.Route route = two.route(request);

      assertThat(route).as("%s", request).isInstanceOf(Router.Refuse.class);
      assertThat(((Router.Refuse) route).code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Several upstreams: by resource URI

  @Test
  void resourceRequestsGoToTheUpstreamThatListedTheUri() {
    two.adoptListItems("a", "resources", json("[{'uri':'file:///a.txt','name':'a'}]"));
    two.adoptListItems("b", "resources", json("[{'uri':'mem://b','name':'b'}]"));

    for (String method : List.of("resources/read", "resources/subscribe", "resources/unsubscribe")) {
      JsonRpcRequest toA = request(method, "{'uri':'file:///a.txt'}");
      JsonRpcRequest toB = request(method, "{'uri':'mem://b'}");

      assertThat(((Router.To) two.route(toA)).upstream()).isEqualTo("a");
      assertThat(((Router.To) two.route(toA)).request()).isSameAs(toA);
      assertThat(((Router.To) two.route(toB)).upstream()).isEqualTo("b");
    }
  }

  @Test
  void aResourceUriMatchingATemplatesFixedPrefixGoesToThatTemplatesUpstreamTheLongestPrefixWinning() {
    two.adoptListItems("a", "resourceTemplates", json("[{'uriTemplate':'db://{table}','name':'tables'}]"));
    two.adoptListItems("b", "resourceTemplates", json("[{'uriTemplate':'db://users/{id}','name':'users'}]"));

    assertThat(((Router.To) two.route(request("resources/read", "{'uri':'db://orders'}"))).upstream()).isEqualTo("a");
    assertThat(((Router.To) two.route(request("resources/read", "{'uri':'db://users/42'}"))).upstream()).isEqualTo("b");
    assertThat(((Router.To) two.route(request("resources/subscribe", "{'uri':'db://users/7'}"))).upstream()).isEqualTo("b");
  }

  @Test
  void anUnknownResourceUriIsRefusedNamingTheUpstreams() {
    two.adoptListItems("a", "resources", json("[{'uri':'file:///a.txt','name':'a'}]"));

    Router.Refuse refuse = (Router.Refuse) two.route(request("resources/read", "{'uri':'file:///other.txt'}"));

    assertThat(refuse.code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
    assertThat(refuse.message()).contains("file:///other.txt").contains("[a, b]");
  }

  // ---------------------------------------------------------------------------------------------
  // Fan-out and the rest

  @Test
  void listsFanOutWithTheMemberHoldingTheItemsAndSetLevelIsBroadcast() {
    assertThat(two.route(request("tools/list", null))).isEqualTo(new Router.ToAll("tools"));
    assertThat(two.route(request("prompts/list", "{'cursor':'x'}"))).isEqualTo(new Router.ToAll("prompts"));
    assertThat(two.route(request("resources/list", null))).isEqualTo(new Router.ToAll("resources"));
    assertThat(two.route(request("resources/templates/list", null))).isEqualTo(new Router.ToAll("resourceTemplates"));
    assertThat(two.route(request("logging/setLevel", "{'level':'info'}"))).isEqualTo(new Router.ToAll(null));
  }

  @Test
  void anUnknownMethodGoesByAPrefixedNameIfItHasOneElseToTheFirstUpstream() {
    Router.To prefixed = (Router.To) two.route(request("vendor/run", "{'name':'b__job','x':1}"));
    JsonRpcRequest plain = request("vendor/run", "{'name':'job'}");
    Router.To unprefixed = (Router.To) two.route(plain);
    Router.To arrayParams = (Router.To) two.route(request("vendor/run", "[1]"));

    assertThat(prefixed.upstream()).isEqualTo("b");
    assertThat(prefixed.request().params()).isEqualTo(json("{'name':'job','x':1}"));
    assertThat(unprefixed.upstream()).isEqualTo("a");
    assertThat(unprefixed.request()).isSameAs(plain);
    assertThat(arrayParams.upstream()).isEqualTo("a");
  }

  @Test
  void listItemsAreQualifiedExceptResourcesWhichKeepNameAndUri() {
    ArrayNode tools = (ArrayNode) json("[{'name':'echo','description':'d'},{'title':'no name'},'not an object']");
    ArrayNode prompts = (ArrayNode) json("[{'name':'greet'}]");
    ArrayNode templates = (ArrayNode) json("[{'name':'files','uriTemplate':'file:///{p}'}]");
    ArrayNode resources = (ArrayNode) json("[{'name':'readme','uri':'file:///README'}]");

    two.adoptListItems("b", "tools", tools);
    two.adoptListItems("b", "prompts", prompts);
    two.adoptListItems("b", "resourceTemplates", templates);
    two.adoptListItems("b", "resources", resources);

    assertThat(tools).isEqualTo(json("[{'name':'b__echo','description':'d'},{'title':'no name'},'not an object']"));
    assertThat(prompts).isEqualTo(json("[{'name':'b__greet'}]"));
    assertThat(templates).isEqualTo(json("[{'name':'b__files','uriTemplate':'file:///{p}'}]"));
    assertThat(resources).isEqualTo(json("[{'name':'readme','uri':'file:///README'}]"));
  }

  @Test
  void splitFindsAKnownUpstreamPrefixOnly() {
    assertThat(two.split("a__x")).containsExactly("a", "x");
    assertThat(two.split("b____x")).containsExactly("b", "__x");
    assertThat(two.split("c__x")).isNull();
    assertThat(two.split("__x")).isNull();
    assertThat(two.split("ax")).isNull();
    assertThat(Router.qualify("a", "x")).isEqualTo("a__x");
  }

  @Test
  void everyQualifiedNameSplitsBackToItsOwnUpstreamWhateverValidNamesTheUpstreamsHave() {
    List<String> valid = List.of("a", "a_", "_a", "a-b", "a.b", "x_y", "x_y_").stream()
        .filter(Router::isValidUpstreamName)
        .toList();
    assertThat(valid).contains("a", "x_y");
    Router router = new Router(valid, true);
    for (String upstream : router.upstreams()) {
      for (String name : List.of("x", "_x", "__x", "x__y", "x_")) {
        String qualified = Router.qualify(upstream, name);
        assertThat(router.split(qualified)).as("%s", qualified).containsExactly(upstream, name);
      }
    }
  }

  @Test
  void upstreamNamesAreLettersDigitsDashDotAndSingleUnderscores() {
    for (String good : List.of("a", "files", "my-server", "v1.2", "my_server", "Ünïcode9")) {
      assertThat(Router.isValidUpstreamName(good)).as(good).isTrue();
    }
    for (String bad : List.of("", "a__b", "__", "a_", "x_y_", "has space", "slash/y", "colon:", "a\nb")) {
      assertThat(Router.isValidUpstreamName(bad)).as(bad).isFalse();
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static JsonRpcRequest request(String method, String paramsSingleQuoted) {
    return new JsonRpcRequest(RequestId.of(41), method, paramsSingleQuoted == null ? null : json(paramsSingleQuoted));
  }

  private static JsonNode json(String singleQuoted) {
    try {
      return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
