package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.ConfigProblems;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentExpanderTest {

  private final EnvironmentExpander expander = new EnvironmentExpander(Map.of("A", "1", "EMPTY", "", "DIR", "/my dir"));
  private final ConfigProblems problems = new ConfigProblems();

  private String expand(String text) {
    return expander.expand(text, "p", problems);
  }

  @Test
  void variablesAreReplacedByTheirValues() {
    assertThat(expand("${A}")).isEqualTo("1");
    assertThat(expand("${DIR}/x-${A}")).isEqualTo("/my dir/x-1");
    assertThat(expand("${EMPTY}")).isEmpty();
    assertThat(expand("no variables")).isEqualTo("no variables");
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void aDefaultAppliesWhenTheVariableIsUnsetOrEmpty() {
    assertThat(expand("${NOPE:-fallback}")).isEqualTo("fallback");
    assertThat(expand("${EMPTY:-fallback}")).isEqualTo("fallback");
    assertThat(expand("${A:-fallback}")).isEqualTo("1");
    assertThat(expand("${NOPE:-}")).isEmpty();
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void twoDollarsAreOneAndALoneDollarStays() {
    assertThat(expand("$${A}")).isEqualTo("${A}");
    assertThat(expand("cost$$5")).isEqualTo("cost$5");
    assertThat(expand("$A $ end$")).isEqualTo("$A $ end$");
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void everyUnsetVariableIsAProblemAtThePath() {
    assertThat(expand("${NOPE}-${A}-${ALSO:-}-${GONE}")).isNull();
    assertThat(problems.toList()).containsExactly(
        new ConfigProblem("p", "environment variable NOPE to be set (for ${NOPE})", "it unset"),
        new ConfigProblem("p", "environment variable GONE to be set (for ${GONE})", "it unset"));
  }

  @Test
  void anUnclosedReferenceIsAProblem() {
    assertThat(expand("x ${A")).isNull();
    assertThat(problems.toList()).containsExactly(new ConfigProblem("p", "a closing '}' after '${'", "\"x ${A\""));
  }

  @Test
  void getReadsOneVariable() {
    assertThat(expander.get("A")).isEqualTo("1");
    assertThat(expander.get("NOPE")).isNull();
  }
}
