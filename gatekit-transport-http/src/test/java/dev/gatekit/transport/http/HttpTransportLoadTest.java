package dev.gatekit.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.TransportOptions;
import java.util.Map;
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
    }
  }
}
