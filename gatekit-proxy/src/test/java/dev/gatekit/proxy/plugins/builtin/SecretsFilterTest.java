package dev.gatekit.proxy.plugins.builtin;

import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.CONTEXT;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.call;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.create;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.PluginResult.Decision;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SecretsFilterTest {

  static final String AWS = "AKIAIOSFODNN7EXAMPLE";
  static final String GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8";
  static final String JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

  final SecretsFilterProvider provider = new SecretsFilterProvider();

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "my key is AKIAIOSFODNN7EXAMPLE ok|aws_access_keys",
      "token ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8|github_tokens",
      "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz|github_tokens",
      "slack xoxb-123456789012-abcdefABCDEF|slack_tokens",
      "Authorization: Bearer abcdefABCDEF0123456789.xyz|bearer_tokens",
      "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U|jwt_tokens",
      "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow==\\n-----END RSA PRIVATE KEY-----|private_keys",
  })
  void blocksEachKindNamingTheDetectorButNotTheSecret(String text, String detector) {
    SecurityPlugin filter = create(provider, Map.of());
    PluginResult result = filter.checkRequest(call(text.replace("\\n", "\n")), CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.BLOCK);
    assertThat(result.reason()).contains(detector).doesNotContain(text.split(" ")[text.split(" ").length - 1]);
    assertThat(result.metadata().get("secret_types")).asList().contains(detector);
  }

  @Test
  void allowsOrdinaryText() {
    SecurityPlugin filter = create(provider, Map.of());
    assertThat(filter.checkRequest(call("hello world, list the files in /tmp please"), CONTEXT).decision())
        .isEqualTo(Decision.ALLOW);
  }

  @Test
  void redactsInEveryStringOfTheTreeAndLeavesTheOriginalAlone() {
    SecurityPlugin filter = create(provider, Map.of("action", "redact"));
    JsonRpcRequest request = new JsonRpcRequest(RequestId.of(3), "tools/call",
        json("{'name':'x','arguments':{'a':['key " + AWS + " here', 5],'b':{'c':'Bearer abcdefABCDEF0123456789'}}}"));
    PluginResult result = filter.checkRequest(request, CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.MODIFY);
    JsonRpcRequest rewritten = (JsonRpcRequest) result.message();
    assertThat(rewritten.params().toString()).doesNotContain(AWS).doesNotContain("abcdefABCDEF0123456789")
        .contains("key [REDACTED] here").contains("Bearer [REDACTED]");
    assertThat(rewritten.params().at("/arguments/a/1").asInt()).isEqualTo(5);
    assertThat(request.params().toString()).contains(AWS);
  }

  @Test
  void auditOnlyAllowsWithMetadata() {
    SecurityPlugin filter = create(provider, Map.of("action", "audit_only"));
    PluginResult result = filter.checkRequest(call("x " + GITHUB), CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.ALLOW);
    assertThat(result.metadata().get("secret_types")).asList().containsExactly("github_tokens");
    assertThat(result.metadata().toString()).doesNotContain(GITHUB);
  }

  @Test
  void scansResponsesAndNotifications() {
    SecurityPlugin filter = create(provider, Map.of("action", "redact"));
    JsonRpcRequest request = call("hi");
    JsonRpcResponse response = JsonRpcResponse.success(RequestId.of(1), json("{'content':[{'type':'text','text':'" + JWT + "'}]}"));
    PluginResult r = filter.checkResponse(request, response, CONTEXT);
    assertThat(r.decision()).isEqualTo(Decision.MODIFY);
    assertThat(((JsonRpcResponse) r.message()).result().toString()).doesNotContain(JWT);

    JsonRpcNotification note = new JsonRpcNotification("notifications/message", json("{'data':'" + AWS + "'}"));
    PluginResult n = filter.checkNotification(note, CONTEXT);
    assertThat(((JsonRpcNotification) n.message()).params().toString()).doesNotContain(AWS);
  }

  @Test
  void detectorsCanBeSwitchedOffOneByOne() {
    SecurityPlugin filter = create(provider, Map.of("secret_types", Map.of("aws_access_keys", Map.of("enabled", false))));
    assertThat(filter.checkRequest(call(AWS), CONTEXT).decision()).isEqualTo(Decision.ALLOW);
    assertThat(filter.checkRequest(call(GITHUB), CONTEXT).decision()).isEqualTo(Decision.BLOCK);
  }

  @Test
  void entropyDetectionFindsLongRandomTokensOnlyWhenEnabled() {
    String random = "q8Zr3Lk0Vx7Pm2Nw9Bt4Yc6Hd1Js5Gf0Qa8Ue3Wo7Ki2";
    SecurityPlugin off = create(provider, Map.of());
    assertThat(off.checkRequest(call("v=" + random), CONTEXT).decision()).isEqualTo(Decision.ALLOW);
    SecurityPlugin on = create(provider, Map.of("entropy_detection", Map.of("enabled", true, "min_length", 32, "threshold", 4.5)));
    PluginResult result = on.checkRequest(call("v=" + random), CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.BLOCK);
    assertThat(result.reason()).contains("high_entropy_strings");
    assertThat(on.checkRequest(call("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), CONTEXT).decision()).isEqualTo(Decision.ALLOW);
  }

  @Test
  void reportsEveryOptionProblemAtOnce() {
    assertThatThrownBy(() -> create(provider, Map.of(
        "action", "delete",
        "secret_types", Map.of("aws_keys", Map.of("enabled", true), "github_tokens", Map.of("enabled", "yes")),
        "entropy_detection", Map.of("threshold", 99),
        "acton", "block")))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> assertThat(e.problems())
            .extracting(ConfigProblem::path)
            .containsExactlyInAnyOrder(
                "plugins.security._global[0].config.action",
                "plugins.security._global[0].config.secret_types.aws_keys",
                "plugins.security._global[0].config.secret_types.github_tokens.enabled",
                "plugins.security._global[0].config.entropy_detection.threshold",
                "plugins.security._global[0].config.acton"));
  }
}
