package dev.gatekit.api.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigProblemsTest {

  @Test
  void problemsAreKeptInTheOrderFound() {
    ConfigProblems problems = new ConfigProblems();
    assertThat(problems.isEmpty()).isTrue();
    problems.add("b", "x", "y");
    problems.addAll(List.of(new ConfigProblem("a", "1", "2"), new ConfigProblem("c", "3", "4")));
    assertThat(problems.size()).isEqualTo(3);
    assertThat(problems.isEmpty()).isFalse();
    assertThat(problems.toList()).extracting(ConfigProblem::path).containsExactly("b", "a", "c");
    assertThat(problems.toList().get(0)).hasToString("b: expected x, found y");
  }

  @Test
  void toListIsASnapshotCallersCannotChange() {
    ConfigProblems problems = new ConfigProblems();
    problems.add("a", "b", "c");
    List<ConfigProblem> before = problems.toList();
    problems.add("d", "e", "f");
    assertThat(before).hasSize(1);
    assertThatThrownBy(() -> problems.toList().clear()).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void pathsAreSpelledWithDotsAndIndexes() {
    assertThat(ConfigProblems.key("", "proxy")).isEqualTo("proxy");
    assertThat(ConfigProblems.key("proxy", "upstreams")).isEqualTo("proxy.upstreams");
    assertThat(ConfigProblems.index("proxy.upstreams", 1)).isEqualTo("proxy.upstreams[1]");
    assertThat(ConfigProblems.key(ConfigProblems.index("proxy.upstreams", 1), "command"))
        .isEqualTo("proxy.upstreams[1].command");
  }

  @Nested
  class Closest {

    @Test
    @DisplayName("closest finds a likely typo")
    void findsTypos() {
      Set<String> keys = Set.of("action", "max_length", "enabled", "priority", "critical");

      assertThat(ConfigProblems.closest("actoin", keys)).isEqualTo("action");
      assertThat(ConfigProblems.closest("acton", keys)).isEqualTo("action");
      assertThat(ConfigProblems.closest("max_lenght", keys)).isEqualTo("max_length");
      assertThat(ConfigProblems.closest("enabeld", keys)).isEqualTo("enabled");
      assertThat(ConfigProblems.closest("ACTION", keys)).isEqualTo("action");
      assertThat(ConfigProblems.closest("action", keys)).isEqualTo("action");
    }

    @ParameterizedTest
    @ValueSource(strings = {"zzzzzz", "timeout", "x", "completely_different", "mode"})
    @DisplayName("closest returns null for words far from every candidate")
    void nullForFarWords(String word) {
      assertThat(ConfigProblems.closest(word, Set.of("action", "max_length", "enabled"))).isNull();
    }

    @Test
    @DisplayName("closest returns null without candidates")
    void nullWithoutCandidates() {
      assertThat(ConfigProblems.closest("action", Set.of())).isNull();
    }

    @Test
    @DisplayName("the allowed distance is a third of the word's length, at least 1 and at most 3")
    void allowedDistance() {
      assertThat(ConfigProblems.closest("ab", Set.of("xb"))).isEqualTo("xb"); // 1 allowed
      assertThat(ConfigProblems.closest("ab", Set.of("xy"))).isNull();
      assertThat(ConfigProblems.closest("abcdef", Set.of("abcdxy"))).isEqualTo("abcdxy"); // 2 allowed
      assertThat(ConfigProblems.closest("abcdef", Set.of("abcxyz"))).isNull();
      assertThat(ConfigProblems.closest("abcdefghijklmnop", Set.of("abcdefghijklmxyz")))
          .isEqualTo("abcdefghijklmxyz"); // capped at 3
      assertThat(ConfigProblems.closest("abcdefghijklmnop", Set.of("abcdefghijklwxyz"))).isNull();
    }
  }
}
