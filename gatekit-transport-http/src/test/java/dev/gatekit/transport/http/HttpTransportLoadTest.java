package dev.gatekit.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.transport.http.internal.HttpClients;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Many requests kept in flight against the SDK server: none may fail, every one gets its own answer. */
@Timeout(120)
class HttpTransportLoadTest {

  @Test
  void twoThousandRequestsWithAHundredInFlight() throws Exception {
    try (SdkServer server = new SdkServer();
        HttpTransport transport =
            HttpTransport.builder(server.uri()).options(TransportOptions.builder().maxInFlight(100).build()).build()) {
      transport.start();
      Mcp.handshake(transport, McpMethods.LATEST_PROTOCOL_VERSION);
      int total = 2_000;
      AtomicInteger next = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(total);
      Map<String, Integer> failures = new ConcurrentHashMap<>();
      Set<String> completionThreads = ConcurrentHashMap.newKeySet();
      Runnable[] send = new Runnable[1];
      send[0] =
          () -> {
            int n = next.getAndIncrement();
            if (n >= total) {
              return;
            }
            transport
                .sendAndReceive(Mcp.call(1, "echo", "{\"text\":\"t" + n + "\"}"))
                .whenComplete(
                    (JsonRpcResponse response, Throwable error) -> {
                      completionThreads.add(Thread.currentThread().getName());
                      if (error != null) {
                        failures.merge(String.valueOf(error.getMessage()), 1, Integer::sum);
                      } else if (!Mcp.text(response).equals("t" + n)) {
                        failures.merge("wrong answer", 1, Integer::sum);
                      }
                      done.countDown();
                      send[0].run();
                    });
          };
      for (int i = 0; i < 100; i++) {
        send[0].run();
      }
      assertThat(done.await(100, TimeUnit.SECONDS)).isTrue();
      assertThat(failures).isEmpty();
      assertThat(transport.stats().completed()).isEqualTo(total + 1);
      // The HTTP client runs its listeners on its selector thread: callers' code must never run there.
      assertThat(completionThreads).isNotEmpty().noneMatch(name -> name.startsWith(HttpClients.THREAD_NAME));
    }
  }

  /**
   * Two transports to one server share the HTTP client and its selector thread. A caller that blocks
   * in its completion holds a callback thread, never the selector: the other transport's answers
   * keep coming.
   */
  @Test
  void aCallerThatBlocksInItsCompletionHoldsUpNoOtherAnswer() throws Exception {
    try (SdkServer server = new SdkServer();
        HttpTransport blocked = HttpTransport.builder(server.uri()).build();
        HttpTransport other = HttpTransport.builder(server.uri()).build()) {
      blocked.start();
      other.start();
      Mcp.handshake(blocked, McpMethods.LATEST_PROTOCOL_VERSION);
      Mcp.handshake(other, McpMethods.LATEST_PROTOCOL_VERSION);
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch blocking = new CountDownLatch(1);
      CompletableFuture<Boolean> blockedCaller =
          blocked
              .sendAndReceive(Mcp.call(1, "echo", "{\"text\":\"held\"}"))
              .thenApply(
                  response -> {
                    blocking.countDown();
                    try {
                      return release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                      return false;
                    }
                  });
      assertThat(blocking.await(30, TimeUnit.SECONDS)).isTrue();
      try {
        List<CompletableFuture<JsonRpcResponse>> answers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          answers.add(other.sendAndReceive(Mcp.call(2 + i, "echo", "{\"text\":\"o" + i + "\"}")));
        }
        for (int i = 0; i < answers.size(); i++) {
          assertThat(Mcp.text(answers.get(i).get(30, TimeUnit.SECONDS))).isEqualTo("o" + i);
        }
        assertThat(blockedCaller).isNotDone();
      } finally {
        release.countDown();
      }
      assertThat(blockedCaller.get(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
