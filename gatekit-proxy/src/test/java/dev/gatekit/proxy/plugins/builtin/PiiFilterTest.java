package dev.gatekit.proxy.plugins.builtin;

import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.CONTEXT;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.call;
import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.PluginConfigException;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.PluginResult.Decision;
import dev.gatekit.api.plugin.SecurityPlugin;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PiiFilterTest {

  final PiiFilterProvider provider = new PiiFilterProvider();

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "write to jane.doe@example.co.uk today|email",
      "call (555) 123-4567|phone",
      "call 555-123-4567|phone",
      "call +1 555 123 4567|phone",
      "ring +44 20 7946 0958|phone",
      "card 4111 1111 1111 1111|credit_card",
      "card 4111-1111-1111-1111|credit_card",
      "card 378282246310005|credit_card",
      "host 192.168.10.4 down|ip_address",
      "host 2001:db8:85a3::8a2e:370:7334 down|ip_address",
      "host fe80:0:0:0:202:b3ff:fe1e:8329|ip_address",
      "ssn 123-45-6789|national_id",
      "ni AB 12 34 56 C|national_id",
      "ni JG103759A|national_id",
  })
  void blocksEachKind(String text, String type) {
    SecurityPlugin filter = create(provider, Map.of());
    PluginResult result = filter.checkRequest(call(text), CONTEXT);
    assertThat(result.decision()).as(text).isEqualTo(Decision.BLOCK);
    assertThat(result.reason()).contains(type);
    assertThat(result.metadata().get("pii_types")).asList().contains(type);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "order 4111 1111 1111 1112 shipped",  // fails Luhn
      "id 12345678901234567",               // a random digit run
      "version 1.2.3 at 12:30:45",          // not an address
      "ssn 000-12-3456 and 666-12-3456 and 900-12-3456 and 123-00-4567", // invalid SSN ranges
      "plain text with no personal data",
      "999.1.1.1 is not an address",
  })
  void allowsLookAlikes(String text) {
    SecurityPlugin filter = create(provider, Map.of());
    assertThat(filter.checkRequest(call(text), CONTEXT).decision()).as(text).isEqualTo(Decision.ALLOW);
  }

  @Test
  void redactsAndAuditOnly() {
    SecurityPlugin redact = create(provider, Map.of("action", "redact"));
    PluginResult result = redact.checkRequest(call("mail bob@example.com or 4111 1111 1111 1111"), CONTEXT);
    assertThat(result.decision()).isEqualTo(Decision.MODIFY);
    assertThat(((JsonRpcRequest) result.message()).params().at("/arguments/text").asText())
        .isEqualTo("mail [REDACTED] or [REDACTED]");

    SecurityPlugin audit = create(provider, Map.of("action", "audit_only"));
    PluginResult seen = audit.checkRequest(call("mail bob@example.com"), CONTEXT);
    assertThat(seen.decision()).isEqualTo(Decision.ALLOW);
    assertThat(seen.metadata().toString()).contains("email").doesNotContain("bob@example.com");
  }

  @Test
  void typesCanBeSwitchedOff() {
    SecurityPlugin filter = create(provider, Map.of("pii_types", Map.of("email", Map.of("enabled", false))));
    assertThat(filter.checkRequest(call("bob@example.com"), CONTEXT).decision()).isEqualTo(Decision.ALLOW);
    assertThat(filter.checkRequest(call("123-45-6789"), CONTEXT).decision()).isEqualTo(Decision.BLOCK);
  }

  @Test
  void reportsEveryOptionProblemAtOnce() {
    assertThatThrownBy(() -> create(provider, Map.of("action", 3, "pii_types", Map.of("emal", Map.of()))))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> {
          assertThat(e.problems()).hasSize(2);
          assertThat(e.getMessage()).contains("'email' (did you mean it?)");
        });
  }

  /** Adversarial 1 MiB texts finish (speed itself is a benchmark's business, not this test's). */
  @Test
  void scansAMebibyteOfAdversarialTextInLinearTime() {
    StringBuilder digits = new StringBuilder();
    StringBuilder mixed = new StringBuilder();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (digits.length() < 1 << 20) {
      digits.append((char) ('0' + random.nextInt(10)));
      mixed.append("a.b-c@d1:2:3 +4 5 ".charAt(random.nextInt(18)));
    }
    SecurityPlugin filter = create(provider, Map.of("action", "redact"));
    org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (String text : new String[] {digits.toString(), mixed.toString(), "a".repeat(1 << 20), "1-".repeat(1 << 19)}) {
        JsonRpcResponse response = JsonRpcResponse.success(RequestId.of(1),
            FilterTestSupport.json("{'content':[{'type':'text','text':''}]}"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) response.result().get("content").get(0)).put("text", text);
        filter.checkResponse(call("x"), response, CONTEXT);
      }
    });
  }
}
