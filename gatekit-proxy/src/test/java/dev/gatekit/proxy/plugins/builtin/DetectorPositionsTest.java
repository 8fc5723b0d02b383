package dev.gatekit.proxy.plugins.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcError;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.testkit.plugin.PluginTester;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every built-in secret type and PII type, in every position a string can take in a message, in
 * every kind of message in both directions, bare and glued to other characters: blocked in
 * {@code block} mode; in {@code redact} mode redacted (or blocked where it cannot be: the method and
 * the id); reported and let through in {@code audit_only} mode.
 */
class DetectorPositionsTest {

  /** One value of one type; {@code core} must not survive redaction. */
  record Sample(PluginProvider provider, String typesKey, String type, String value, String core) {
    @Override
    public String toString() {
      return type + " '" + value.replace("\n", "\\n") + "'";
    }
  }

  static final List<String> SECRET_TYPES = List.of(
      "aws_access_keys", "github_tokens", "slack_tokens", "bearer_tokens", "jwt_tokens", "private_keys");
  static final List<String> PII_TYPES = List.of("email", "phone", "credit_card", "ip_address", "national_id");

  static final String JWT =
      "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

  static Stream<Sample> samples() {
    PluginProvider secrets = new SecretsFilterProvider();
    PluginProvider pii = new PiiFilterProvider();
    return Stream.of(
        new Sample(secrets, "secret_types", "aws_access_keys", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        new Sample(secrets, "secret_types", "aws_access_keys", "ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
        new Sample(secrets, "secret_types", "github_tokens", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
            "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
        new Sample(secrets, "secret_types", "github_tokens", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        new Sample(secrets, "secret_types", "slack_tokens", "xoxb-123456789012-abcdefABCDEF", "123456789012-abcdefABCDEF"),
        new Sample(secrets, "secret_types", "bearer_tokens", "Bearer abcdefABCDEF0123456789.xyz", "abcdefABCDEF0123456789"),
        new Sample(secrets, "secret_types", "jwt_tokens", JWT, "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
        new Sample(secrets, "secret_types", "private_keys",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA==\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA=="),
        new Sample(secrets, "secret_types", "high_entropy_strings", "q8Zr3Lk0Vx7Pm2Nw9Bt4Yc6Hd1Js5Gf0Qa8Ue3Wo7Ki2",
            "q8Zr3Lk0Vx7Pm2Nw9Bt4Yc6Hd1Js5Gf0Qa8Ue3Wo7Ki2"),
        new Sample(pii, "pii_types", "email", "jane.doe@example.co.uk", "jane.doe@example.co.uk"),
        new Sample(pii, "pii_types", "phone", "(555) 123-4567", "123-4567"),
        new Sample(pii, "pii_types", "phone", "+44 20 7946 0958", "7946 0958"),
        new Sample(pii, "pii_types", "credit_card", "4111 1111 1111 1111", "4111 1111 1111 1111"),
        new Sample(pii, "pii_types", "ip_address", "192.168.10.4", "192.168.10.4"),
        new Sample(pii, "pii_types", "ip_address", "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334"),
        new Sample(pii, "pii_types", "ip_address", "fe80:0:0:0:202:b3ff:fe1e:8329", "fe80:0:0:0:202:b3ff:fe1e:8329"),
        new Sample(pii, "pii_types", "national_id", "123-45-6789", "123-45-6789"),
        new Sample(pii, "pii_types", "national_id", "AB 12 34 56 C", "AB 12 34 56 C"),
        new Sample(pii, "pii_types", "national_id", "JG103759A", "JG103759A"));
  }

  /**
   * How a value is embedded in a string: bare; after {@code token=}; between underscored words;
   * glued to letters that cannot continue it (lower case and not hex digits, so that an IPv6 address
   * or a national insurance number stays what it is); glued to digits, for secrets only (digits glued
   * to a number make another number).
   */
  enum Glue {
    BARE("", ""), ASSIGNED("token=", ";"), UNDERSCORED("key_", "_end"), LETTERS("qz", "qz"), DIGITS("42", "42");

    final String before;
    final String after;

    Glue(String before, String after) {
      this.before = before;
      this.after = after;
    }

    boolean appliesTo(Sample sample) {
      return this != DIGITS || sample.typesKey().equals("secret_types");
    }
  }

  /** Where the text sits. */
  enum Position {
    MEMBER_VALUE, MEMBER_NAME, NESTED_ARRAY_ELEMENT, NESTED_MEMBER_NAME, METHOD, STRING_ID, ERROR_MESSAGE, ERROR_DATA,
    ERROR_DATA_MEMBER_NAME;

    /** A method or an id: cannot be redacted. */
    boolean fixed() {
      return this == METHOD || this == STRING_ID;
    }

    boolean inError() {
      return name().startsWith("ERROR_");
    }
  }

  /** Which message, which way. */
  enum Kind {
    CLIENT_REQUEST, SERVER_TO_CLIENT_REQUEST, RESPONSE, CLIENT_ANSWER, CLIENT_NOTIFICATION, SERVER_NOTIFICATION;

    boolean appliesTo(Position p) {
      return switch (this) {
        case CLIENT_REQUEST, SERVER_TO_CLIENT_REQUEST -> !p.inError();
        case RESPONSE, CLIENT_ANSWER -> p != Position.METHOD;
        case CLIENT_NOTIFICATION, SERVER_NOTIFICATION -> !p.inError() && p != Position.STRING_ID;
      };
    }
  }

  static Stream<Arguments> samplesAndActions() {
    return samples().flatMap(s -> Stream.of("block", "redact", "audit_only").map(a -> Arguments.of(s, a)));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("samplesAndActions")
  void everyTypeInEveryPositionOfEveryMessage(Sample sample, String action) {
    Plugin filter = filterFor(sample, action);
    List<String> failures = new ArrayList<>();
    int cases = 0;
    for (Glue glue : Glue.values()) {
      if (!glue.appliesTo(sample)) {
        continue;
      }
      String text = glue.before + sample.value() + glue.after;
      for (Position position : Position.values()) {
        for (Kind kind : Kind.values()) {
          if (!kind.appliesTo(position)) {
            continue;
          }
          cases++;
          PluginTester.Outcome outcome = run(PluginTester.of(filter).upstream("files"), kind, position, text);
          String problem = problem(sample, action, position, outcome);
          if (problem != null) {
            failures.add(kind + " " + position + " " + glue + ": " + problem);
          }
        }
      }
    }
    assertThat(cases).isGreaterThan(100);
    assertThat(failures).as("%s with action %s: %d of %d cases wrong", sample, action, failures.size(), cases)
        .isEmpty();
  }

  private static String problem(Sample sample, String action, Position position, PluginTester.Outcome outcome) {
    AuditEvent.Outcome expected = switch (action) {
      case "block" -> AuditEvent.Outcome.BLOCKED;
      case "redact" -> position.fixed() ? AuditEvent.Outcome.BLOCKED : AuditEvent.Outcome.MODIFIED;
      default -> AuditEvent.Outcome.ALLOWED;
    };
    if (outcome.outcome() != expected) {
      return "expected " + expected + " but was " + outcome.outcome() + " (" + outcome.reason() + ")";
    }
    Object types = outcome.metadata().get(sample.typesKey());
    if (!(types instanceof List<?> list) || !list.contains(sample.type())) {
      return "metadata " + outcome.metadata() + " does not name " + sample.type();
    }
    if (expected != AuditEvent.Outcome.ALLOWED // the tester keeps no reason of an allowed message
        && (outcome.reason() == null || !outcome.reason().contains(sample.type()) || outcome.reason().contains(sample.core()))) {
      return "reason " + outcome.reason() + " should name the type, not the value";
    }
    if (expected == AuditEvent.Outcome.MODIFIED) {
      String left = allText(outcome.message());
      if (left.contains(sample.core())) {
        return "redacted message still holds the value: " + left;
      }
    }
    return null;
  }

  static Plugin filterFor(Sample sample, String action) {
    Map<String, Object> types = new LinkedHashMap<>();
    List<String> all = sample.typesKey().equals("secret_types") ? SECRET_TYPES : PII_TYPES;
    all.forEach(t -> types.put(t, Map.of("enabled", t.equals(sample.type()))));
    Map<String, Object> options = new LinkedHashMap<>();
    options.put("action", action);
    options.put(sample.typesKey(), types);
    if (sample.type().equals("high_entropy_strings")) {
      options.put("entropy_detection", Map.of("enabled", true));
    }
    return PluginTester.create(sample.provider(), options);
  }

  /** Runs one message of {@code kind} with {@code text} at {@code position} through the tester. */
  static PluginTester.Outcome run(PluginTester tester, Kind kind, Position position, String text) {
    RequestId id = position == Position.STRING_ID ? RequestId.of(text) : RequestId.of("req-1");
    String method = position == Position.METHOD ? text : kind.name().endsWith("NOTIFICATION")
        ? "notifications/message" : "tools/call";
    JsonNode body = body(position, text);
    return switch (kind) {
      case CLIENT_REQUEST -> tester.request(new JsonRpcRequest(id, method, body));
      case SERVER_TO_CLIENT_REQUEST -> tester.serverRequest(new JsonRpcRequest(id,
          position == Position.METHOD ? text : "sampling/createMessage", body));
      case RESPONSE -> tester.response(new JsonRpcRequest(id, "tools/call", null), response(id, position, text, body));
      case CLIENT_ANSWER -> tester.clientAnswer(new JsonRpcRequest(id, "sampling/createMessage", null),
          response(id, position, text, body));
      case CLIENT_NOTIFICATION -> tester.notification(new JsonRpcNotification(method, body), false);
      case SERVER_NOTIFICATION -> tester.notification(new JsonRpcNotification(method, body), true);
    };
  }

  private static JsonRpcResponse response(RequestId id, Position position, String text, JsonNode body) {
    return switch (position) {
      case ERROR_MESSAGE -> JsonRpcResponse.failure(id, new JsonRpcError(-32603, "failed: " + text, null));
      case ERROR_DATA, ERROR_DATA_MEMBER_NAME -> JsonRpcResponse.failure(id, new JsonRpcError(-32603, "failed", body));
      default -> JsonRpcResponse.success(id, body);
    };
  }

  /** Params, a result or error data holding {@code text} where {@code position} says (nowhere for the others). */
  private static JsonNode body(Position position, String text) {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", "echo");
    ObjectNode arguments = body.putObject("arguments").put("path", "/tmp/a");
    switch (position) {
      case MEMBER_VALUE, ERROR_DATA -> arguments.put("text", text);
      case MEMBER_NAME, ERROR_DATA_MEMBER_NAME -> arguments.put(text, 1);
      case NESTED_ARRAY_ELEMENT -> arguments.putArray("list").add(1).addArray().addObject().putArray("deep").add(true).add(text);
      case NESTED_MEMBER_NAME -> body.putObject("structuredContent").putArray("rows").addObject().put(text, "x");
      default -> {}
    }
    return body;
  }

  /** Every string of a message, member names included, joined. */
  static String allText(JsonRpcMessage message) {
    StringBuilder out = new StringBuilder();
    collect(JsonRpcCodec.get().toTree(message), out);
    return out.toString();
  }

  private static void collect(JsonNode node, StringBuilder out) {
    if (node.isTextual()) {
      out.append(node.textValue()).append('\u0000');
    }
    for (Map.Entry<String, JsonNode> member : node.properties()) {
      out.append(member.getKey()).append('\u0000');
      collect(member.getValue(), out);
    }
    if (node.isArray()) {
      node.forEach(element -> collect(element, out));
    }
  }

  /**
   * {@code isSensitive} answers true for a text a filter would block or redact (actions {@code block}
   * and {@code redact}), false in {@code audit_only} mode and when the type is switched off.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void isSensitiveFindsEveryTypeTheFilterWouldBlockOrRedact(Sample sample) {
    SecurityPlugin block = (SecurityPlugin) filterFor(sample, "block");
    SecurityPlugin redact = (SecurityPlugin) filterFor(sample, "redact");
    SecurityPlugin auditOnly = (SecurityPlugin) filterFor(sample, "audit_only");
    Map<String, Object> othersOn = new LinkedHashMap<>();
    othersOn.put(sample.typesKey(), sample.type().equals("high_entropy_strings") ? Map.of()
        : Map.of(sample.type(), Map.of("enabled", false)));
    SecurityPlugin switchedOff = (SecurityPlugin) PluginTester.create(sample.provider(), othersOn);
    for (Glue glue : Glue.values()) {
      if (glue.appliesTo(sample)) {
        String text = glue.before + sample.value() + glue.after;
        assertThat(block.isSensitive(text)).as("block: %s", text).isTrue();
        assertThat(redact.isSensitive(text)).as("redact: %s", text).isTrue();
        assertThat(auditOnly.isSensitive(text)).as("audit_only: %s", text).isFalse();
        assertThat(switchedOff.isSensitive(text)).as("type off: %s", text).isFalse();
      }
    }
  }

  /** On the wire a value may be written with JSON escapes; the filters see it decoded. */
  @ParameterizedTest
  @ValueSource(strings = {
      "{'jsonrpc':'2.0','id':1,'method':'tools/call','params':{'arguments':{'t':'\\\\u0041KIAIOSFODNN7EXAMPLE'}}}",
      "{'jsonrpc':'2.0','id':1,'method':'tools/call','params':{'arguments':{'\\\\u0041KIAIOSFODNN7EXAMPLE':1}}}",
      "{'jsonrpc':'2.0','id':'\\\\u0041KIAIOSFODNN7EXAMPLE','method':'tools/call','params':{}}",
      "{'jsonrpc':'2.0','id':1,'method':'x/\\\\u0041KIAIOSFODNN7EXAMPLE','params':{}}",
      "{'jsonrpc':'2.0','id':1,'method':'tools/call','params':{'a':'key_\\\\u0041KIAIOSFODNN7EXAMPLE\\\\u005fx'}}",
  })
  void jsonEscapesHideNothing(String wire) {
    JsonRpcMessage message = JsonRpcCodec.get().decode(wire.replace('\'', '"').replace("\\\\", "\\"));
    SecurityPlugin filter = (SecurityPlugin) PluginTester.create(new SecretsFilterProvider(), Map.of());
    PluginTester.of(filter).request((JsonRpcRequest) message).assertBlocked("aws_access_keys");
  }

  /** Ordinary prose, code and MCP vocabulary, in every position: nothing found with every type on. */
  @ParameterizedTest
  @ValueSource(strings = {
      "hello world, list the files in /tmp please",
      "let x = Rc::clone(&a); self::dbg!(x); std::vector<int> v; Vec::new();",
      "the pallbearer /home/user/documents/reports and the cupbearer abcdefghijklmnopqrstuvwxyz",
      "surveyJobs_something.internal_package.implementation",
      "daily_highs_temperatureReadingsForTheLastThirtyDays",
      "ORDER123456A and SKU99AB123456CD",
      "version 1.2.3 at 12:30:45 on 2026-12-03T12:30:45Z",
      "dGhpcyBpcyBhIHRlc3Qgb2YgYmFzZTY0IHRleHQ=",
      "notifications/resources/list_changed",
      "structuredContent nextCursor progressToken _meta isError",
      "ASIAN markets and AKIAN words; ghp_short; xoxb-short",
  })
  void ordinaryTextIsNotFoundAnywhere(String text) {
    Plugin secrets = PluginTester.create(new SecretsFilterProvider(), Map.of());
    Plugin pii = PluginTester.create(new PiiFilterProvider(), Map.of());
    for (Position position : Position.values()) {
      for (Kind kind : Kind.values()) {
        if (kind.appliesTo(position)) {
          assertThat(run(PluginTester.of(secrets, pii), kind, position, text).outcome())
              .as("%s %s", kind, position).isEqualTo(AuditEvent.Outcome.ALLOWED);
        }
      }
    }
    assertThat(((SecurityPlugin) secrets).isSensitive(text)).isFalse();
    assertThat(((SecurityPlugin) pii).isSensitive(text)).isFalse();
  }

  /** Redacting member names keeps every member, in order, under unique names. */
  @Test
  void redactedMemberNamesStayUniqueAndInOrder() {
    SecurityPlugin filter = (SecurityPlugin) PluginTester.create(new SecretsFilterProvider(), Map.of("action", "redact"));
    JsonNode params = PluginTester.json("{'arguments':{'a':1,'AKIAIOSFODNN7EXAMPLE':2,'[REDACTED]':3,"
        + "'ASIAY34FZKBOKMUTVV7A':4,'[REDACTED] (2)':5,'x_AKIAIOSFODNN7EXAMPLE':{'AKIAIOSFODNN7EXAMPLE':6}}}");
    JsonRpcRequest request = PluginTester.of(filter)
        .request(new JsonRpcRequest(RequestId.of(1), "tools/call", params)).assertModified().request();
    List<String> names = new ArrayList<>();
    request.params().get("arguments").fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactly("a", "[REDACTED] (3)", "[REDACTED]", "[REDACTED] (4)", "[REDACTED] (2)",
        "x_[REDACTED]");
    Function<String, Integer> at = path -> request.params().at(path).asInt();
    assertThat(at.apply("/arguments/[REDACTED] (3)")).isEqualTo(2);
    assertThat(at.apply("/arguments/[REDACTED]")).isEqualTo(3);
    assertThat(at.apply("/arguments/[REDACTED] (4)")).isEqualTo(4);
    assertThat(at.apply("/arguments/x_[REDACTED]/[REDACTED]")).isEqualTo(6);
    assertThat(params.toString()).contains("AKIAIOSFODNN7EXAMPLE"); // the original is untouched
  }
}
