package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.TransportState;
import dev.gatekit.testkit.server.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * No process outlives the gateway: a grandchild the upstream orphans at once (re-parented at once,
 * so no walk of the upstream's descendants can find it) ends with its upstream — on close, on
 * restart, and when the upstream exits by itself.
 */
class StdioTransportProcessTreeTest {

  @TempDir Path dir;

  private StdioTransport transport;

  @AfterEach
  void close() throws IOException {
    if (transport != null) {
      transport.close();
    }
    // Whatever a failed test left behind.
    for (long pid : orphans()) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @ParameterizedTest(name = "on {0}")
  @ValueSource(strings = {"close", "exit", "restart"})
  void aGrandchildOrphanedAtOnceEndsWithItsUpstream(String when) throws Exception {
    // The subshell starts the grandchild and exits at once: it is re-parented before the server
    // even starts. It keeps the server's stdout and stderr open, as careless children do.
    Path pids = dir.resolve("orphans");
    String server =
        TestServer.command("--exit-after", "1").stream().map(a -> "'" + a + "'").collect(Collectors.joining(" "));
    StdioTransport.Builder builder =
        StdioTransport.builder("/bin/sh", "-c", "(sleep 1000 & echo $! >> '" + pids + "'); exec " + server)
            .name("orphaning")
            .shutdownGracePeriods(Duration.ofSeconds(5), Duration.ofSeconds(5));
    if (when.equals("restart")) {
      builder.restartPolicy(new RestartPolicy(1, Duration.ofMillis(10), Duration.ofMillis(10)));
    }
    transport = builder.build();
    transport.start();
    long firstPid = transport.pid();
    assertThat(text(transport.sendAndReceive(call(1, "echo", "text", "x")).get(30, TimeUnit.SECONDS))).isEqualTo("x");
    long orphan = orphans().get(0);
    assertThat(ProcessHandle.of(orphan).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
        .as("re-parented away from the upstream")
        .isNotEqualTo(Optional.of(firstPid));

    switch (when) {
      case "close" -> transport.close();
      case "exit" -> TestUpstream.await("the exit noticed", () -> transport.state() == TransportState.FAILED);
      default -> TestUpstream.await(
          "restarted", () -> transport.state() == TransportState.RUNNING && transport.pid() != firstPid);
    }
    TestUpstream.await("the orphan ended", () -> ProcessHandle.of(orphan).map(p -> !p.isAlive()).orElse(true));
    if (when.equals("restart")) {
      // The new run orphaned a grandchild of its own; close ends that one too.
      TestUpstream.await("the second run's orphan is known", () -> orphans().size() == 2);
      long second = orphans().get(1);
      assertThat(ProcessHandle.of(second).map(ProcessHandle::isAlive)).hasValue(true);
      transport.close();
      TestUpstream.await("the second orphan ended", () -> ProcessHandle.of(second).map(p -> !p.isAlive()).orElse(true));
    }
  }

  private List<Long> orphans() {
    Path pids = dir.resolve("orphans");
    try {
      if (!Files.exists(pids)) {
        return List.of();
      }
      return Files.readAllLines(pids).stream().filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.trim())).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
