package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportStats;
import dev.gatekit.transport.stdio.internal.SharedExecutors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 100,000 requests with 100 in flight: everything is answered, each with its own answer, and the
 * transport keeps nothing afterwards — no pending entry, no timer, no slot.
 */
class StdioTransportSoakTest {

  private static final int REQUESTS = 100_000;
  private static final int IN_FLIGHT = 100;

  @Test
  void aHundredThousandRequestsLeaveNothingBehind() throws Exception {
    try (StdioTransport transport = TestUpstream.start()) {
      Semaphore slots = new Semaphore(IN_FLIGHT);
      ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
      CompletableFuture<?>[] last = new CompletableFuture<?>[IN_FLIGHT];
      for (int i = 0; i < REQUESTS; i++) {
        assertThat(slots.tryAcquire(30, TimeUnit.SECONDS)).as("a slot within 30 s").isTrue();
        String text = "m" + i;
        CompletableFuture<JsonRpcResponse> future = transport.sendAndReceive(call(i % 7, "echo", "text", text));
        last[i % IN_FLIGHT] =
            future.whenComplete(
                (response, error) -> {
                  if (error != null || !TestUpstream.text(response).equals(text)) {
                    wrong.add(text + ": " + (error != null ? error : response));
                  }
                  slots.release();
                });
      }
      CompletableFuture.allOf(last).get(60, TimeUnit.SECONDS);
      assertThat(slots.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS)).isTrue();

      assertThat(wrong).isEmpty();
      TransportStats stats = transport.stats();
      assertThat(stats.sent()).isEqualTo(REQUESTS);
      assertThat(stats.completed()).isEqualTo(REQUESTS);
      assertThat(stats.failed() + stats.timedOut() + stats.cancelled() + stats.rejected()).isZero();
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.maxInFlight()).isLessThanOrEqualTo(IN_FLIGHT);
      assertThat(transport.pendingCount()).as("pending map").isZero();
      assertThat(((ScheduledThreadPoolExecutor) SharedExecutors.timeouts()).getQueue())
          .as("timeout tasks left (the scheduler's own heartbeat aside)")
          .filteredOn(task -> !((RunnableScheduledFuture<?>) task).isPeriodic())
          .isEmpty();
    }
  }
}
