package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a listen's filter is split over several namespaced upstreams, and how what they honored is
 * united into the one acknowledgement, table-driven.
 */
class ListenFanOutTest {

  private static final Map<String, String> OWNERS = Map.of(
      "file:///a/1", "a", "file:///a/2", "a", "test://b", "b");

  private static JsonNode json(String singleQuoted) {
    try {
      return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static Stream<Arguments> splits() {
    return Stream.of(
        Arguments.of("list changes go to every upstream",
            "{'toolsListChanged':true,'promptsListChanged':true}",
            "{'a':{'toolsListChanged':true,'promptsListChanged':true},"
                + "'b':{'toolsListChanged':true,'promptsListChanged':true},"
                + "'c':{'toolsListChanged':true,'promptsListChanged':true}}"),
        Arguments.of("flags that are off go nowhere", "{'toolsListChanged':false,'resourcesListChanged':true}",
            "{'a':{'resourcesListChanged':true},'b':{'resourcesListChanged':true},'c':{'resourcesListChanged':true}}"),
        Arguments.of("each URI to its owner only, in the client's order, once",
            "{'resourceSubscriptions':['test://b','file:///a/2','file:///a/1','file:///a/2']}",
            "{'a':{'resourceSubscriptions':['file:///a/2','file:///a/1']},'b':{'resourceSubscriptions':['test://b']}}"),
        Arguments.of("a URI nobody listed is left out",
            "{'resourceSubscriptions':['unknown://x','test://b']}",
            "{'b':{'resourceSubscriptions':['test://b']}}"),
        Arguments.of("flags and URIs together",
            "{'resourcesListChanged':true,'resourceSubscriptions':['file:///a/1']}",
            "{'a':{'resourcesListChanged':true,'resourceSubscriptions':['file:///a/1']},"
                + "'b':{'resourcesListChanged':true},'c':{'resourcesListChanged':true}}"),
        Arguments.of("nothing asked: no part at all", "{}", "{}"),
        Arguments.of("only unknown URIs: no part at all", "{'resourceSubscriptions':['unknown://x']}", "{}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void theFilterIsSplitPerUpstream(String what, String filter, String expected) {
    Map<String, com.fasterxml.jackson.databind.node.ObjectNode> parts =
        ListenFanOut.split(json(filter), List.of("a", "b", "c"), OWNERS::get);

    Map<String, JsonNode> asJson = new LinkedHashMap<>(parts);
    assertThat(JsonRpcCodec.get().mapper().valueToTree(asJson).toString()).isEqualTo(json(expected).toString());
  }

  static Stream<Arguments> unions() {
    return Stream.of(
        Arguments.of("a flag any upstream honored is honored", List.of("{'toolsListChanged':true}", "{}"),
            "{'toolsListChanged':true}"),
        Arguments.of("each upstream's URIs, in upstream order",
            List.of("{'resourceSubscriptions':['file:///a/1']}", "{'promptsListChanged':true,'resourceSubscriptions':['test://b']}"),
            "{'promptsListChanged':true,'resourceSubscriptions':['file:///a/1','test://b']}"),
        Arguments.of("nothing honored anywhere", List.of("{}", "{}"), "{}"),
        Arguments.of("no acknowledgement at all", List.of(), "{}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unions")
  void theAcknowledgementUnitesWhatEachHonored(String what, List<String> honored, String expected) {
    List<JsonNode> parts = new ArrayList<>();
    honored.forEach(h -> parts.add(json(h)));

    assertThat(ListenFanOut.unite(parts)).isEqualTo(json(expected));
  }
}
