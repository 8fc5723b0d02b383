package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What threads a stdio upstream holds of its own: no stdin writer, busy or idle. */
class StdioTransportThreadsTest {

  private final List<StdioTransport> transports = new ArrayList<>();

  @AfterEach
  void close() {
    transports.forEach(StdioTransport::close);
  }

  @Test
  void upstreamsWrittenInBurstsOnTheSharedPoolHoldOnlyAReaderAndAStderrDrainOfTheirOwn() throws Exception {
    int upstreams = 6;
    int perUpstream = 300;
    for (int u = 0; u < upstreams; u++) {
      transports.add(TestUpstream.start(TransportOptions.builder().maxInFlight(perUpstream).build()));
    }
    // Bursts with messages over the direct-write limit: queued, drained by the shared pool.
    List<CompletableFuture<JsonRpcResponse>> answers = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    String pad = "p".repeat(5_000);
    for (int i = 0; i < perUpstream; i++) {
      for (int u = 0; u < upstreams; u++) {
        String text = u + "-" + i + (i % 3 == 0 ? pad : "");
        expected.add(text);
        answers.add(transports.get(u).sendAndReceive(call(RequestId.of(u + "/" + i), "echo", "text", text)));
      }
    }
    for (int i = 0; i < answers.size(); i++) {
      assertThat(text(answers.get(i).get(30, TimeUnit.SECONDS))).isEqualTo(expected.get(i));
    }
    for (StdioTransport transport : transports) {
      String prefix = "gatekit-" + transport.name() + "-" + transport.pid() + "-";
      TestUpstream.await("only the reader and the stderr drain of " + prefix,
          () -> threadsNamed(prefix).equals(Set.of(prefix + "reader", prefix + "stderr")));
    }
  }

  private static Set<String> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
        .map(Thread::getName)
        .collect(Collectors.toSet());
  }
}
