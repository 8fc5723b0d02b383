package dev.gatekit.testkit.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TestServerTest {

  private @Nullable Process process;

  @AfterEach
  void destroy() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void commandRunsTheServerClassWithThisJvmAndClassPath() {
    List<String> command = TestServer.command("--garbage", "--exit-after", "3");

    assertThat(command.get(0))
        .isEqualTo(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    assertThat(command.subList(1, 1 + TestServer.DEFAULT_JVM_OPTIONS.size()))
        .isEqualTo(TestServer.DEFAULT_JVM_OPTIONS);
    int cp = command.indexOf("-cp");
    assertThat(command.get(cp + 1)).isEqualTo(System.getProperty("java.class.path"));
    assertThat(command.subList(cp + 2, command.size()))
        .containsExactly(TestMcpServer.class.getName(), "--garbage", "--exit-after", "3");
  }

  @Test
  void extraJvmOptionsFollowTheDefaultsOrReplaceThem() {
    List<String> extra = TestServer.command(List.of("-Xmx64m"), "--unknown-id");
    List<String> bare =
        TestServer.builder()
            .withoutDefaultJvmOptions()
            .jvmOptions("-Xint")
            .args("--garbage")
            .command();

    assertThat(extra.indexOf("-Xmx64m"))
        .isGreaterThan(extra.indexOf(TestServer.DEFAULT_JVM_OPTIONS.get(0)));
    assertThat(extra.indexOf("-Xmx64m")).isLessThan(extra.indexOf("-cp"));
    assertThat(extra).endsWith("--unknown-id");
    assertThat(bare.subList(1, 3)).containsExactly("-Xint", "-cp");
    assertThat(bare).doesNotContainAnyElementsOf(TestServer.DEFAULT_JVM_OPTIONS);
  }

  @Test
  void startedServerAnswersOverItsPipes() throws IOException {
    process = TestServer.builder().stderr(Redirect.DISCARD).start();

    try (OutputStream stdin = process.getOutputStream()) {
      stdin.write(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n".getBytes(StandardCharsets.UTF_8));
    }
    String answer = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(answer).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n");
  }
}
