package dev.gatekit.testkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CommandLineTest {

  @Test
  void noArgumentsMeanNoFaults() throws UsageException {
    assertThat(CommandLine.parse()).isEqualTo(ServerOptions.NONE);
  }

  @Test
  void everyFlagIsReadAndTheyCombine() throws UsageException {
    ServerOptions options =
        CommandLine.parse(
            "--exit-after",
            "10",
            "--exit-code",
            "9",
            "--exit-now",
            "0",
            "--garbage",
            "--invalid-utf8",
            "--oversize-line",
            "1048576",
            "--unknown-id",
            "--duplicate-id",
            "--stderr-flood",
            "0",
            "--start-delay",
            "250",
            "--never-answer",
            "sleep",
            "--never-answer",
            "echo");

    assertThat(options)
        .isEqualTo(
            new ServerOptions(
                OptionalLong.of(10),
                9,
                OptionalInt.of(0),
                true,
                true,
                OptionalLong.of(1_048_576),
                true,
                true,
                OptionalLong.of(0),
                250,
                Set.of("sleep", "echo")));
  }

  @Test
  void exitAfterDefaultsToCodeThree() throws UsageException {
    assertThat(CommandLine.parse("--exit-after", "1").exitAfterCode()).isEqualTo(3);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--bogus                          | unknown argument '--bogus'",
        "--exit-after                     | --exit-after needs a value",
        "--exit-after --garbage           | --exit-after needs a value",
        "--exit-after 0                   | --exit-after must be at least 1",
        "--exit-after ten                 | --exit-after needs a whole number",
        "--exit-after 1 --exit-code 256   | --exit-code must be from 0 to 255",
        "--exit-code 4                    | --exit-code needs --exit-after",
        "--exit-now -1                    | --exit-now must be from 0 to 255",
        "--oversize-line 0                | --oversize-line must be at least 1",
        "--stderr-flood -5                | --stderr-flood must be at least 0",
        "--start-delay 1.5                | --start-delay needs a whole number",
        "--garbage --garbage              | --garbage is given twice",
        "--never-answer                   | --never-answer needs a value",
      })
  void badCommandLinesAreRefusedWithAReason(String args, String reason) {
    assertThatThrownBy(() -> CommandLine.parse(args.trim().split(" +")))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining(reason.trim());
  }

  @Test
  void helpIsRecognised() {
    assertThat(CommandLine.asksForHelp("--garbage", "--help")).isTrue();
    assertThat(CommandLine.asksForHelp("-h")).isTrue();
    assertThat(CommandLine.asksForHelp("--garbage")).isFalse();
    assertThat(CommandLine.USAGE).contains("--exit-after", "--never-answer", "--stderr-flood");
  }
}
