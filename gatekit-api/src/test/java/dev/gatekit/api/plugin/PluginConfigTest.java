package dev.gatekit.api.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PluginConfigTest {

  private static final String PATH = "plugins.security._global[0].config";
  private static final List<String> ACTIONS = List.of("block", "redact", "audit_only");

  private static PluginConfig config(Map<String, ?> options) {
    return PluginConfig.of("secrets", PATH, options);
  }

  /** A map that keeps insertion order, so problems come out in a predictable order. */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  @Nested
  class FilePaths {
    @Test
    void aRelativePathIsResolvedAgainstTheBaseDirectoryAndAnAbsoluteOneKept() {
      Path base = Path.of("/etc/gatekit");
      PluginConfig config =
          PluginConfig.of("audit", PATH, Map.of("output_file", "logs/../audit/a.jsonl", "other", "/var/log/b.jsonl",
              "nested", Map.of("file", "c.txt")), base);
      assertThat(config.baseDirectory()).isEqualTo(base.toAbsolutePath());
      assertThat(config.filePath("output_file")).isEqualTo(base.resolve("audit/a.jsonl").toAbsolutePath());
      assertThat(config.filePath("other")).isEqualTo(Path.of("/var/log/b.jsonl"));
      assertThat(config.object("nested").filePath("file")).isEqualTo(base.resolve("c.txt").toAbsolutePath());
      assertThat(config.problems()).isEmpty();
    }

    @Test
    void withoutABaseDirectoryPathsAreRelativeToTheWorkingDirectory() {
      PluginConfig config = config(Map.of("output_file", "a.jsonl"));
      assertThat(config.baseDirectory()).isEqualTo(Path.of("").toAbsolutePath());
      assertThat(config.filePath("output_file")).isEqualTo(Path.of("a.jsonl").toAbsolutePath());
    }

    @Test
    void aMissingEmptyOrMistypedPathIsAProblem() {
      PluginConfig config = config(ordered("empty", " ", "number", 3));
      config.filePath("missing");
      config.filePath("empty");
      config.filePath("number");
      assertThat(config.problems())
          .extracting(ConfigProblem::toString)
          .containsExactly(
              PATH + ".missing: expected a string, found missing",
              PATH + ".empty: expected a non-empty string, found an empty string",
              PATH + ".number: expected a string, found 3 (integer)");
    }
  }

  @Nested
  class TypedAccessors {

    @Test
    @DisplayName("absent options give their defaults and record no problem")
    void defaultsWhenAbsent() {
      PluginConfig config = config(Map.of());

      assertThat(config.string("s", "dflt")).isEqualTo("dflt");
      assertThat(config.string("s")).isNull();
      assertThat(config.bool("b", true)).isTrue();
      assertThat(config.integer("i", 7, 0, 10)).isEqualTo(7);
      assertThat(config.number("d", 0.5, 0, 1)).isEqualTo(0.5);
      assertThat(config.choice("action", ACTIONS, "block")).isEqualTo("block");
      assertThat(config.stringList("l")).isEmpty();
      assertThat(config.objectList("o")).isEmpty();
      assertThat(config.object("obj").options()).isEmpty();
      assertThat(config.enabled()).isTrue();
      assertThat(config.priority()).isEqualTo(Plugin.DEFAULT_PRIORITY).isEqualTo(50);
      assertThat(config.critical()).isFalse();
      assertThat(config.problems()).isEmpty();
      assertThatCode(config::validate).doesNotThrowAnyException();
    }

    @Test
    @DisplayName("present options are returned with their types")
    void presentValues() {
      PluginConfig config =
          config(
              ordered(
                  "s", "text",
                  "b", false,
                  "i", 9,
                  "l", 3_000_000_000L,
                  "d", 0.25,
                  "list", List.of("a", "b"),
                  "enabled", false,
                  "priority", 10,
                  "critical", true));

      assertThat(config.string("s", "x")).isEqualTo("text");
      assertThat(config.requireString("s")).isEqualTo("text");
      assertThat(config.bool("b", true)).isFalse();
      assertThat(config.integer("i", 0, 0, 10)).isEqualTo(9);
      assertThat(config.number("d", 0, 0, 1)).isEqualTo(0.25);
      assertThat(config.number("i", 0, 0, 10)).isEqualTo(9.0);
      assertThat(config.stringList("list")).containsExactly("a", "b");
      assertThat(config.enabled()).isFalse();
      assertThat(config.priority()).isEqualTo(10);
      assertThat(config.critical()).isTrue();
      assertThat(config.has("s")).isTrue();
      assertThat(config.has("nope")).isFalse();
      assertThat(config.raw("l")).isEqualTo(3_000_000_000L);
      assertThat(config.problems()).isEmpty();
    }

    @Test
    @DisplayName("an integral floating-point value (YAML 5.0) counts as an integer")
    void integralDoubleIsInteger() {
      PluginConfig config = config(Map.of("i", 5.0, "j", 2.5));

      assertThat(config.integer("i", 0, 0, 10)).isEqualTo(5);
      assertThat(config.problems()).isEmpty();
      assertThat(config.integer("j", 1, 0, 10)).isEqualTo(1);
      assertThat(config.problems()).hasSize(1);
    }

    @Test
    @DisplayName("wrong types record a problem and give the default")
    void wrongTypes() {
      PluginConfig config =
          config(ordered("s", 5, "b", "yes", "i", "ten", "d", "half", "list", "a,b", "obj", List.of()));

      assertThat(config.string("s", "dflt")).isEqualTo("dflt");
      assertThat(config.bool("b", true)).isTrue();
      assertThat(config.integer("i", 3, 0, 10)).isEqualTo(3);
      assertThat(config.number("d", 0.5, 0, 1)).isEqualTo(0.5);
      assertThat(config.stringList("list")).isEmpty();
      assertThat(config.object("obj").options()).isEmpty();

      assertThat(config.problems())
          .extracting(ConfigProblem::path, ConfigProblem::expected, ConfigProblem::found)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(PATH + ".s", "a string", "5 (integer)"),
              org.assertj.core.groups.Tuple.tuple(PATH + ".b", "true or false", "\"yes\""),
              org.assertj.core.groups.Tuple.tuple(PATH + ".i", "an integer from 0 to 10", "\"ten\""),
              org.assertj.core.groups.Tuple.tuple(PATH + ".d", "a number from 0.0 to 1.0", "\"half\""),
              org.assertj.core.groups.Tuple.tuple(PATH + ".list", "a list of strings", "\"a,b\""),
              org.assertj.core.groups.Tuple.tuple(PATH + ".obj", "an object", "a list"));
    }

    @Test
    @DisplayName("out-of-range numbers record a problem naming the range")
    void outOfRange() {
      PluginConfig config = config(Map.of("i", 11, "d", 1.5));

      assertThat(config.integer("i", 3, 0, 10)).isEqualTo(3);
      assertThat(config.number("d", 0.5, 0, 1)).isEqualTo(0.5);
      assertThat(config.problems())
          .extracting(ConfigProblem::expected)
          .containsExactlyInAnyOrder("an integer from 0 to 10", "a number from 0.0 to 1.0");
    }

    @Test
    @DisplayName("an integer too large for a long is out of range, not truncated into it")
    void hugeIntegersAreOutOfRange() {
      BigInteger twoToThe64 = BigInteger.TWO.pow(64); // its low 64 bits are all zero
      PluginConfig config =
          config(
              ordered(
                  "big", twoToThe64,
                  "bigPlusSeven", twoToThe64.add(BigInteger.valueOf(7)),
                  "decimal", new BigDecimal(twoToThe64),
                  "priority", twoToThe64));

      assertThat(config.integer("big", 1, 0, 100)).isEqualTo(1);
      assertThat(config.integer("bigPlusSeven", 1, 0, 100)).isEqualTo(1);
      assertThat(config.integer("decimal", 1, 0, 100)).isEqualTo(1);
      assertThat(config.priority()).isEqualTo(50);
      assertThat(config.problems())
          .extracting(ConfigProblem::path)
          .containsExactly(PATH + ".big", PATH + ".bigPlusSeven", PATH + ".decimal", PATH + ".priority");
    }

    @Test
    @DisplayName("integers at the edges of the range are accepted, whatever their Number type")
    void rangeEdges() {
      PluginConfig config =
          config(
              ordered(
                  "min", Integer.MIN_VALUE,
                  "max", (long) Integer.MAX_VALUE,
                  "bigInt", BigInteger.valueOf(100),
                  "short", (short) 4));

      assertThat(config.integer("min", 0, Integer.MIN_VALUE, 0)).isEqualTo(Integer.MIN_VALUE);
      assertThat(config.integer("max", 0, 0, Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
      assertThat(config.integer("bigInt", 0, 0, 100)).isEqualTo(100);
      assertThat(config.integer("short", 0, 0, 100)).isEqualTo(4);
      assertThat(config.problems()).isEmpty();
      assertThat(config(Map.of("l", Integer.MAX_VALUE + 1L)).integer("l", 0, 0, Integer.MAX_VALUE))
          .isZero();
    }

    @Test
    @DisplayName("requireString records a missing or blank value")
    void requireString() {
      PluginConfig config = config(ordered("blank", "  ", "num", 3));

      assertThat(config.requireString("missing")).isEmpty();
      assertThat(config.requireString("blank")).isEqualTo("  ");
      assertThat(config.requireString("num")).isEmpty();
      assertThat(config.problems())
          .extracting(ConfigProblem::path, ConfigProblem::expected, ConfigProblem::found)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(PATH + ".missing", "a string", "missing"),
              org.assertj.core.groups.Tuple.tuple(PATH + ".blank", "a non-empty string", "an empty string"),
              org.assertj.core.groups.Tuple.tuple(PATH + ".num", "a string", "3 (integer)"));
    }

    @Test
    @DisplayName("a string list reports each element that is not a string, by index")
    void stringListElements() {
      PluginConfig config = config(Map.of("l", List.of("a", 2, "c", true)));

      assertThat(config.stringList("l")).containsExactly("a", "c");
      assertThat(config.problems())
          .extracting(ConfigProblem::path)
          .containsExactly(PATH + ".l[1]", PATH + ".l[3]");
    }

    @Test
    @DisplayName("the options are copied and unmodifiable")
    void optionsCopied() {
      Map<String, Object> source = new HashMap<>(Map.of("a", 1));
      PluginConfig config = config(source);

      source.put("b", 2);

      assertThat(config.options()).containsOnlyKeys("a");
      assertThatThrownBy(() -> config.options().put("c", 3))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThat(config.handler()).isEqualTo("secrets");
      assertThat(config.path()).isEqualTo(PATH);
    }

    @Test
    @DisplayName("empty(handler) has no options and is located at the handler name")
    void empty() {
      PluginConfig config = PluginConfig.empty("pii");

      assertThat(config.options()).isEmpty();
      assertThat(config.path()).isEqualTo("pii");
      assertThat(config.handler()).isEqualTo("pii");
    }
  }

  @Nested
  class Choice {

    @ParameterizedTest
    @ValueSource(strings = {"redact", "REDACT", "Redact", "rEdAcT"})
    @DisplayName("a choice is matched ignoring case and returned as listed")
    void caseInsensitive(String given) {
      PluginConfig config = config(Map.of("action", given));

      assertThat(config.choice("action", ACTIONS, "block")).isEqualTo("redact");
      assertThat(config.problems()).isEmpty();
    }

    @Test
    @DisplayName("a value not among the choices is a problem listing the choices")
    void notAChoice() {
      PluginConfig config = config(Map.of("action", "delete"));

      assertThat(config.choice("action", ACTIONS, "block")).isEqualTo("block");
      assertThat(config.problems())
          .containsExactly(
              new ConfigProblem(PATH + ".action", "one of block, redact, audit_only", "\"delete\""));
    }
  }

  @Nested
  class Validation {

    @Test
    @DisplayName("validate reports every problem at once, in the order found")
    void reportsAllProblems() {
      PluginConfig config =
          config(
              ordered(
                  "action", "delete",
                  "max_length", -4,
                  "enabled", "yes",
                  "priority", 101,
                  "actoin", "block"));

      config.choice("action", ACTIONS, "block");
      config.integer("max_length", 1_000, 1, 1_000_000);
      config.enabled();
      config.priority();
      config.rejectUnknownKeys(Set.of("action", "max_length"));

      PluginConfigException e = catchThrowableOfType(PluginConfigException.class, config::validate);

      assertThat(e).isNotNull();
      assertThat(e.problems())
          .containsExactly(
              new ConfigProblem(
                  "plugins.security._global[0].config.action",
                  "one of block, redact, audit_only",
                  "\"delete\""),
              new ConfigProblem(
                  "plugins.security._global[0].config.max_length",
                  "an integer from 1 to 1000000",
                  "-4 (integer)"),
              new ConfigProblem(
                  "plugins.security._global[0].config.enabled", "true or false", "\"yes\""),
              new ConfigProblem(
                  "plugins.security._global[0].config.priority",
                  "an integer from 0 to 100",
                  "101 (integer)"),
              new ConfigProblem(
                  "plugins.security._global[0].config.actoin",
                  "'action' (did you mean it?)",
                  "unknown key 'actoin'"));
      assertThat(e.getMessage())
          .startsWith("5 problems in plugin configuration:")
          .contains("plugins.security._global[0].config.action: expected one of block, redact,"
              + " audit_only, found \"delete\"");
    }

    @Test
    @DisplayName("a single problem gives a one-line message")
    void singleProblemMessage() {
      PluginConfig config = config(Map.of("priority", -1));
      config.priority();

      assertThatThrownBy(config::validate)
          .isInstanceOf(PluginConfigException.class)
          .hasMessage(
              "Invalid plugin configuration: " + PATH + ".priority: expected an integer from 0 to 100,"
                  + " found -1 (integer)");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 101, 1000, Integer.MIN_VALUE})
    @DisplayName("a priority outside 0..100 is a problem and gives the default")
    void priorityOutOfRange(int priority) {
      PluginConfig config = config(Map.of("priority", priority));

      assertThat(config.priority()).isEqualTo(Plugin.DEFAULT_PRIORITY);
      assertThat(config.problems())
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.path()).isEqualTo(PATH + ".priority");
                assertThat(p.expected()).isEqualTo("an integer from 0 to 100");
              });
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 50, 100})
    @DisplayName("a priority within 0..100 is accepted")
    void priorityInRange(int priority) {
      PluginConfig config = config(Map.of("priority", priority));

      assertThat(config.priority()).isEqualTo(priority);
      assertThat(config.problems()).isEmpty();
    }

    @Test
    @DisplayName("a problem can be recorded by the provider itself")
    void customProblem() {
      PluginConfig config = config(Map.of());
      config.problem("pattern", "a valid regular expression", "\"[a-\"");

      assertThat(config.problems())
          .containsExactly(new ConfigProblem(PATH + ".pattern", "a valid regular expression", "\"[a-\""));
    }

    @Test
    @DisplayName("problems() is a snapshot that callers cannot change")
    void problemsSnapshot() {
      PluginConfig config = config(Map.of("b", 1));
      List<ConfigProblem> before = config.problems();
      config.bool("b", false);

      assertThat(before).isEmpty();
      assertThat(config.problems()).hasSize(1);
      assertThatThrownBy(() -> config.problems().clear())
          .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("an exception needs at least one problem, and copies the list")
    void exceptionNeedsProblems() {
      assertThatThrownBy(() -> new PluginConfigException(List.of()))
          .isInstanceOf(IllegalArgumentException.class);
      List<ConfigProblem> problems = new java.util.ArrayList<>(List.of(new ConfigProblem("a", "b", "c")));
      PluginConfigException e = new PluginConfigException(problems);
      problems.clear();
      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0)).hasToString("a: expected b, found c");
    }

    @Test
    @DisplayName("a problem needs path, expected and found")
    void problemFieldsRequired() {
      assertThatThrownBy(() -> new ConfigProblem(null, "e", "f")).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new ConfigProblem("p", null, "f")).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new ConfigProblem("p", "e", null)).isInstanceOf(NullPointerException.class);
    }
  }

  @Nested
  class NestedConfigs {

    @Test
    @DisplayName("objectList gives each element a path with its index, and shares the problems")
    void objectListPaths() {
      PluginConfig config =
          config(
              Map.of(
                  "tools",
                  List.of(
                      Map.of("tool", "read_file", "action", "allow"),
                      Map.of("tool", 42),
                      "not an object")));

      List<PluginConfig> tools = config.objectList("tools");

      assertThat(tools).hasSize(2);
      assertThat(tools.get(0).path()).isEqualTo(PATH + ".tools[0]");
      assertThat(tools.get(0).requireString("tool")).isEqualTo("read_file");
      assertThat(tools.get(1).path()).isEqualTo(PATH + ".tools[1]");
      assertThat(tools.get(1).requireString("tool")).isEmpty();

      PluginConfigException e = catchThrowableOfType(PluginConfigException.class, config::validate);
      assertThat(e.problems())
          .extracting(ConfigProblem::path, ConfigProblem::expected)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(PATH + ".tools[2]", "an object"),
              org.assertj.core.groups.Tuple.tuple(PATH + ".tools[1].tool", "a string"));
      assertThat(tools.get(0).problems()).isEqualTo(config.problems());
    }

    @Test
    @DisplayName("object gives a nested path; nested problems show up in the parent's validate")
    void objectPaths() {
      PluginConfig config =
          config(Map.of("limits", Map.of("max", "lots", "rules", List.of(Map.of("n", true)))));

      PluginConfig limits = config.object("limits");
      limits.integer("max", 1, 1, 10);
      PluginConfig rule = limits.objectList("rules").get(0);
      rule.string("n");

      assertThat(limits.path()).isEqualTo(PATH + ".limits");
      assertThat(rule.path()).isEqualTo(PATH + ".limits.rules[0]");
      assertThat(rule.handler()).isEqualTo("secrets");
      assertThatThrownBy(config::validate)
          .isInstanceOfSatisfying(
              PluginConfigException.class,
              e ->
                  assertThat(e.problems())
                      .extracting(ConfigProblem::path)
                      .containsExactly(PATH + ".limits.max", PATH + ".limits.rules[0].n"));
      // A nested config validates the same shared list.
      assertThatThrownBy(rule::validate).isInstanceOf(PluginConfigException.class);
    }

    @Test
    @DisplayName("objectList that is not a list is one problem")
    void objectListNotAList() {
      PluginConfig config = config(Map.of("tools", "read_file"));

      assertThat(config.objectList("tools")).isEmpty();
      assertThat(config.problems())
          .containsExactly(new ConfigProblem(PATH + ".tools", "a list of objects", "\"read_file\""));
    }

    @Test
    @DisplayName("non-string keys of a nested map become strings")
    void nestedKeysBecomeStrings() {
      PluginConfig config = config(Map.of("codes", Map.of(404, "not found")));

      assertThat(config.object("codes").string("404")).isEqualTo("not found");
    }
  }

  @Nested
  class UnknownKeys {

    @Test
    @DisplayName("a misspelt key is reported with the close known key as suggestion")
    void suggestsCloseKey() {
      PluginConfig config = config(Map.of("actoin", "block"));

      config.rejectUnknownKeys(Set.of("action", "max_length"));

      assertThat(config.problems())
          .containsExactly(
              new ConfigProblem(PATH + ".actoin", "'action' (did you mean it?)", "unknown key 'actoin'"));
    }

    @Test
    @DisplayName("enabled, priority and critical are known at the top level")
    void commonKeysKnownAtTopLevel() {
      PluginConfig config =
          config(ordered("enabled", true, "priority", 5, "critical", false, "action", "block"));

      config.rejectUnknownKeys(Set.of("action"));

      assertThat(config.problems()).isEmpty();
      assertThat(PluginConfig.COMMON_KEYS).containsExactlyInAnyOrder("enabled", "priority", "critical");
    }

    @Test
    @DisplayName("a misspelt common key is suggested at the top level")
    void suggestsCommonKey() {
      PluginConfig config = config(Map.of("priorty", 5));

      config.rejectUnknownKeys(Set.of("action"));

      assertThat(config.problems())
          .singleElement()
          .extracting(ConfigProblem::expected)
          .isEqualTo("'priority' (did you mean it?)");
    }

    @Test
    @DisplayName("the common keys are not known inside a nested object")
    void commonKeysUnknownWhenNested() {
      PluginConfig config = config(Map.of("tools", List.of(Map.of("tool", "a", "enabled", true))));

      config.objectList("tools").get(0).rejectUnknownKeys(Set.of("tool"));

      assertThat(config.problems())
          .extracting(ConfigProblem::path)
          .containsExactly(PATH + ".tools[0].enabled");
    }

    @Test
    @DisplayName("a key far from every known key lists the known keys instead")
    void listsKnownKeysWhenNothingIsClose() {
      PluginConfig config = config(Map.of("zzzzzzzz", 1));

      config.rejectUnknownKeys(Set.of("action"));

      assertThat(config.problems())
          .containsExactly(
              new ConfigProblem(
                  PATH + ".zzzzzzzz",
                  "one of the keys [action, critical, enabled, priority]",
                  "unknown key 'zzzzzzzz'"));
    }

    @Test
    @DisplayName("every unknown key is reported")
    void everyUnknownKey() {
      PluginConfig config = config(ordered("a1", 1, "action", "x", "b2", 2));

      config.rejectUnknownKeys(Set.of("action"));

      assertThat(config.problems()).extracting(ConfigProblem::path).containsExactly(PATH + ".a1", PATH + ".b2");
    }
  }

  @Test
  @DisplayName("closest is ConfigProblems.closest, kept for plugin authors")
  void closestDelegates() {
    assertThat(PluginConfig.closest("actoin", Set.of("action", "enabled"))).isEqualTo("action");
    assertThat(PluginConfig.closest("zzzzzz", Set.of("action", "enabled"))).isNull();
  }
}
