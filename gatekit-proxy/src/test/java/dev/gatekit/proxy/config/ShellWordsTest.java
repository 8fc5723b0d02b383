package dev.gatekit.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ShellWordsTest {

  @Test
  void commandLinesSplitLikeAShell() {
    assertThat(ShellWords.split("  a  b\tc ")).containsExactly("a", "b", "c");
    assertThat(ShellWords.split("a 'b c' \"d e\"")).containsExactly("a", "b c", "d e");
    assertThat(ShellWords.split("x\"y z\"'w'")).containsExactly("xy zw");
    assertThat(ShellWords.split("'a\\b' \"c\\\"d\\\\e\\n\"")).containsExactly("a\\b", "c\"d\\e\\n");
    assertThat(ShellWords.split("a\\ b \\'c")).containsExactly("a b", "'c");
    assertThat(ShellWords.split("'' \"\"")).containsExactly("", "");
    assertThat(ShellWords.split("echo $(rm -rf /) ; ls | wc")).containsExactly("echo", "$(rm", "-rf", "/)", ";", "ls", "|", "wc");
    assertThatThrownBy(() -> ShellWords.split("a 'b")).hasMessageContaining("single quote");
    assertThatThrownBy(() -> ShellWords.split("a \"b")).hasMessageContaining("double quote");
    assertThatThrownBy(() -> ShellWords.split("a \\")).hasMessageContaining("backslash");
  }

  @Test
  void quotesAndEscapesJoinOneWordAndBlanksAloneGiveNone() {
    assertThat(ShellWords.split("")).isEmpty();
    assertThat(ShellWords.split(" \t\n ")).isEmpty();
    assertThat(ShellWords.split("--opt=\"a b\"'c d'")).containsExactly("--opt=a bc d");
    assertThat(ShellWords.split("\"it's\" 'say \"hi\"'")).containsExactly("it's", "say \"hi\"");
    assertThat(ShellWords.split("\"\\$HOME \\`x\\`\"")).containsExactly("$HOME `x`");
    assertThat(ShellWords.split("*.txt ~ a&&b")).containsExactly("*.txt", "~", "a&&b");
  }

  @Test
  void theProblemSaysWhereTheQuoteOpened() {
    assertThatThrownBy(() -> ShellWords.split("ab 'c")).hasMessage("unterminated single quote at character 4");
    assertThatThrownBy(() -> ShellWords.split("\"")).hasMessage("unterminated double quote at character 1");
    assertThatThrownBy(() -> ShellWords.split("x\\")).hasMessage("a backslash at the end");
  }
}
