package dev.gatekit.proxy.plugins.builtin;

import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.CONTEXT;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.create;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.MiddlewarePlugin;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.PluginResult.Decision;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolManagerTest {

  final ToolManagerProvider provider = new ToolManagerProvider();

  final MiddlewarePlugin manager = create(provider, Map.of("tools", List.of(
      Map.of("tool", "read_file"),
      Map.of("tool", "write_file", "display_name", "save", "display_description", "Saves a file"))));

  static JsonRpcRequest callOf(String name) {
    return new JsonRpcRequest(RequestId.of(7), "tools/call", json("{'name':'" + name + "','arguments':{'path':'/tmp/a'}}"));
  }

  @Test
  void listsOnlyAllowedToolsUnderTheirDisplayNames() {
    JsonRpcRequest list = new JsonRpcRequest(RequestId.of(1), "tools/list", null);
    JsonRpcResponse response = JsonRpcResponse.success(RequestId.of(1), json(
        "{'tools':[{'name':'read_file','description':'Reads'},{'name':'write_file','description':'Writes','title':'Write'},"
            + "{'name':'delete_file','description':'Deletes'}],'nextCursor':'c2'}"));
    PluginResult result = manager.processResponse(list, response, CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.MODIFY);
    JsonNode out = ((JsonRpcResponse) result.message()).result();
    List<String> names = new ArrayList<>();
    out.get("tools").forEach(t -> names.add(t.get("name").asText()));
    assertThat(names).containsExactly("read_file", "save");
    assertThat(out.at("/tools/0/description").asText()).isEqualTo("Reads");
    assertThat(out.at("/tools/1/description").asText()).isEqualTo("Saves a file");
    assertThat(out.get("nextCursor").asText()).isEqualTo("c2");
    assertThat(response.result().get("tools")).hasSize(3); // the original is untouched
  }

  @Test
  void aCallOfTheDisplayNameReachesTheUpstreamUnderTheOriginalName() {
    PluginResult result = manager.processRequest(callOf("save"), CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.MODIFY);
    JsonRpcRequest rewritten = (JsonRpcRequest) result.message();
    assertThat(rewritten.params().get("name").asText()).isEqualTo("write_file");
    assertThat(rewritten.params().at("/arguments/path").asText()).isEqualTo("/tmp/a");
    assertThat(manager.processRequest(callOf("read_file"), CONTEXT).decision()).isEqualTo(Decision.ALLOW);
  }

  @Test
  void hiddenToolsAndOriginalNamesOfRenamedToolsAreRefusedWithoutNamingThem() {
    for (String name : List.of("delete_file", "write_file", "AKIAIOSFODNN7EXAMPLE")) {
      PluginResult result = manager.processRequest(callOf(name), CONTEXT);
      assertThat(result.decision()).isEqualTo(Decision.COMPLETE);
      JsonRpcResponse answer = (JsonRpcResponse) result.message();
      assertThat(answer.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMS);
      assertThat(answer.error().message()).contains("not available through this gateway");
      assertThat(List.of(answer.toString(), result.reason(), result.metadata().toString()))
          .as("what the client, the reason and the metadata say").noneMatch(text -> text.contains(name));
    }
  }

  @Test
  void aRenameReasonDoesNotNameTheHiddenUpstreamName() {
    PluginResult result = manager.processRequest(callOf("save"), CONTEXT);
    assertThat(result.reason()).contains("save").doesNotContain("write_file");
    assertThat(result.metadata().toString()).doesNotContain("write_file");
  }

  @Test
  void otherMethodsPassUnchanged() {
    JsonRpcRequest other = new JsonRpcRequest(RequestId.of(2), "resources/list", null);
    assertThat(manager.processRequest(other, CONTEXT).decision()).isEqualTo(Decision.ALLOW);
    assertThat(manager.processResponse(other, JsonRpcResponse.success(RequestId.of(2), json("{'resources':[]}")), CONTEXT)
        .decision()).isEqualTo(Decision.ALLOW);
  }

  @Test
  void reportsEveryOptionProblemAtOnce() {
    assertThatThrownBy(() -> create(provider, Map.of("tools", List.of(
        Map.of("tool", "a", "display_name", "b"),
        Map.of("tool", "b"),
        Map.of("display_name", "x"),
        Map.of("tool", "a", "dispaly_name", "y")))))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> assertThat(e.problems())
            .extracting(ConfigProblem::path)
            .containsExactlyInAnyOrder(
                "plugins.security._global[0].config.tools[1].tool",
                "plugins.security._global[0].config.tools[2].tool",
                "plugins.security._global[0].config.tools[3].dispaly_name",
                "plugins.security._global[0].config.tools[3].tool"));
    assertThatThrownBy(() -> create(provider, Map.of()))
        .hasMessageContaining("tools").hasMessageContaining("missing");
  }
}
