package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.ConfigProblems;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ConfigNodeTest {

  private final ConfigProblems problems = new ConfigProblems();

  private ConfigNode parse(String yaml) throws Exception {
    return ConfigNode.root(new YAMLMapper().readTree(yaml), problems, new EnvironmentExpander(Map.of("V", "v")));
  }

  private List<String> found() {
    return problems.toList().stream().map(ConfigProblem::toString).toList();
  }

  @Test
  void childrenKnowTheirPath() throws Exception {
    ConfigNode root = parse("proxy: {upstreams: [{name: a}, {name: b, command: x}]}");
    ConfigNode command = root.get("proxy").get("upstreams").at(1).get("command");
    assertThat(root.path()).isEmpty();
    assertThat(command.path()).isEqualTo("proxy.upstreams[1].command");
    assertThat(command.string()).isEqualTo("x");
    assertThat(root.get("proxy").get("nope").at(3).get("deeper").path()).isEqualTo("proxy.nope[3].deeper");
  }

  @Test
  void missingIsNotTheSameAsNull() throws Exception {
    ConfigNode root = parse("a: null\nb: 1\n");
    assertThat(root.get("a").isMissing()).isFalse();
    assertThat(root.get("a").isAbsent()).isTrue();
    assertThat(root.get("c").isMissing()).isTrue();
    assertThat(root.get("c").isAbsent()).isTrue();
    assertThat(root.get("b").isAbsent()).isFalse();
    assertThat(root.get("a").describe()).isEqualTo("nothing (null)");
    assertThat(root.get("c").describe()).isEqualTo("missing");
  }

  @Test
  void aMissingValueReadsAsNullWithoutAProblem() throws Exception {
    ConfigNode absent = parse("{}").get("x");
    assertThat(absent.integer(0)).isNull();
    assertThat(absent.bool()).isNull();
    assertThat(absent.seconds()).isNull();
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void typedReadersReadGoodValues() throws Exception {
    ConfigNode root = parse("s: \"${V}-x\"\nn: 5\nb: true\nt: 1.5\nl: [a, 2, \"${V}\"]\nnum: 42\n");
    assertThat(root.get("s").string()).isEqualTo("v-x");
    assertThat(root.get("num").string()).isEqualTo("42");
    assertThat(root.get("n").integer(1)).isEqualTo(5);
    assertThat(root.get("b").bool()).isTrue();
    assertThat(root.get("t").seconds()).isEqualTo(Duration.ofMillis(1500));
    assertThat(root.get("l").stringList()).containsExactly("a", "2", "v");
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void wrongValuesAreProblemsAtTheirPathsAllCollected() throws Exception {
    ConfigNode root = parse("s: [1]\nn: 0\nb: yes please\nt: -1\nl: [a, {b: c}]\nbig: 5000000000\n");
    assertThat(root.get("s").string()).isNull();
    assertThat(root.get("n").integer(1)).isNull();
    assertThat(root.get("b").bool()).isNull();
    assertThat(root.get("t").seconds()).isNull();
    assertThat(root.get("l").stringList()).isNull();
    assertThat(root.get("big").integer(0)).isNull();
    assertThat(found()).containsExactly(
        "s: expected a string, found a list",
        "n: expected a whole number of at least 1, found number 0",
        "b: expected true or false, found \"yes please\"",
        "t: expected a positive number of seconds, found number -1",
        "l[1]: expected a string, found a mapping",
        "big: expected a whole number of at least 0, found number 5000000000");
  }

  @Test
  void unknownKeysAreProblemsWithDidYouMean() throws Exception {
    ConfigNode section = parse("logging: {levl: info, colour: red, level: debug}").get("logging");
    section.rejectUnknownKeys(Set.of("level", "file"));
    assertThat(found()).containsExactly(
        "logging.levl: expected one of the keys file, level, found unknown key \"levl\"; did you mean 'level'?",
        "logging.colour: expected one of the keys file, level, found unknown key \"colour\"");
  }

  @Test
  void aMappingBecomesPlainValuesWithVariablesExpanded() throws Exception {
    ConfigNode config = parse("c: {s: \"${V}\", i: 1, l: 5000000000, d: 1.5, b: false, list: [x, {y: z}]}").get("c");
    assertThat(config.toMap()).isEqualTo(Map.of("s", "v", "i", 1, "l", 5_000_000_000L, "d", 1.5, "b", false,
        "list", List.of("x", Map.of("y", "z"))));
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void aNullOrAnUnsetVariableInsideAMappingIsAProblemAndNoMap() throws Exception {
    ConfigNode config = parse("c: {a: null, b: [1, \"${NOPE}\"]}").get("c");
    assertThat(config.toMap()).isNull();
    assertThat(problems.toList()).extracting(ConfigProblem::path).containsExactly("c.a", "c.b[1]");
  }

  @Test
  void descriptionsNameTheKindAndTheValue() throws Exception {
    ConfigNode root = parse("m: {}\ne: []\nl: [1]\ns: x\nn: 2.5\nb: false\n");
    assertThat(List.of("m", "e", "l", "s", "n", "b")).extracting(k -> root.get(k).describe())
        .containsExactly("a mapping", "an empty list", "a list", "\"x\"", "number 2.5", "boolean false");
  }
}
