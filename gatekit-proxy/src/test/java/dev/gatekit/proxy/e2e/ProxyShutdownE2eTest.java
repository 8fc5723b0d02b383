package dev.gatekit.proxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The MCP stdio way to end a session: the client closes the server's input. (The SDK client ends
 * its server with a signal instead; every other e2e class checks on closing its client that the
 * proxy and all its upstreams exited.)
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ProxyShutdownE2eTest {

  @Test
  void whenTheClientClosesItsInputGatekitAnswersWhatIsInFlightExitsWithZeroAndStopsItsUpstream()
      throws Exception {
    List<String> command = E2eCommands.gatekit(E2eCommands.testKitServer());
    Process gatekit = new ProcessBuilder(command).redirectError(Redirect.INHERIT).start();
    try {
      OutputStream stdin = gatekit.getOutputStream();
      BufferedReader stdout =
          new BufferedReader(new InputStreamReader(gatekit.getInputStream(), StandardCharsets.UTF_8));
      stdin.write(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
          + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"}}}\n")
          .getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      String answer = CompletableFuture.supplyAsync(() -> readLine(stdout)).get(60, TimeUnit.SECONDS);
      assertThat(answer).contains("\"id\":1").contains("\"protocolVersion\":\"2025-11-25\"");
      List<ProcessHandle> upstreams = gatekit.descendants().toList();
      assertThat(upstreams).as("the test kit server").isNotEmpty();

      stdin.write(("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
          + "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"sleep\","
          + "\"arguments\":{\"ms\":300}}}\n").getBytes(StandardCharsets.UTF_8));
      stdin.close(); // the MCP stdio way to end a session, here with a call in flight

      String last = CompletableFuture.supplyAsync(() -> readLine(stdout)).get(60, TimeUnit.SECONDS);
      assertThat(last).as("the call in flight is answered before gatekit exits")
          .contains("\"id\":2").contains("slept 300 ms");
      assertThat(CompletableFuture.supplyAsync(() -> readLine(stdout)).get(60, TimeUnit.SECONDS))
          .as("then the output ends").isNull();

      assertThat(gatekit.waitFor(60, TimeUnit.SECONDS)).as("gatekit exited").isTrue();
      assertThat(gatekit.exitValue()).isZero();
      for (ProcessHandle upstream : upstreams) {
        upstream.onExit().get(60, TimeUnit.SECONDS);
      }
    } finally {
      gatekit.descendants().forEach(ProcessHandle::destroyForcibly);
      gatekit.destroyForcibly();
    }
  }

  private static String readLine(BufferedReader reader) {
    try {
      return reader.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
