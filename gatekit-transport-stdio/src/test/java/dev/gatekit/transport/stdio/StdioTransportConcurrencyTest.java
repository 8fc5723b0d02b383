package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.OverloadedException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The seed's concurrency scenarios through a real pipe to a real subprocess. */
class StdioTransportConcurrencyTest {

  private StdioTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
  }

  @ParameterizedTest(name = "{0} concurrent sleep-50 calls are all in flight together")
  @ValueSource(ints = {10, 50, 100})
  void concurrentCallsAreAllInFlightTogether(int n) throws Exception {
    transport = TestUpstream.start(TransportOptions.builder().maxInFlight(n).build());
    TestUpstream.resetServerStats(transport);

    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      // gate n: the server starts the 50 ms clocks only once all n calls are with it, which only a
      // transport that really keeps n in flight achieves (a sequential one would time out).
      futures.add(transport.sendAndReceive(call(RequestId.of("call-" + i), "sleep", "ms", 50, "gate", n)));
    }
    for (int i = 0; i < n; i++) {
      JsonRpcResponse response = futures.get(i).get(30, TimeUnit.SECONDS);
      assertThat(response.id()).isEqualTo(RequestId.of("call-" + i));
      assertThat(text(response)).isEqualTo("slept 50 ms");
    }

    JsonNode seen = TestUpstream.serverStats(transport);
    assertThat(seen.get("maxInFlight").asInt()).as("most calls the server held at once").isEqualTo(n);
    TransportStats stats = transport.stats();
    assertThat(stats.maxInFlight()).isGreaterThanOrEqualTo(n);
    assertThat(stats.inFlight()).isZero();
    assertThat(transport.pendingCount()).isZero();
  }

  @Test
  void callersUsingTheSameIdEachGetTheirOwnAnswer() throws Exception {
    transport = TestUpstream.start(TransportOptions.builder().maxInFlight(500).build());
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      futures.add(transport.sendAndReceive(call(1, "echo", "text", "caller " + i)));
    }
    for (int i = 0; i < 500; i++) {
      JsonRpcResponse response = futures.get(i).get(30, TimeUnit.SECONDS);
      assertThat(response.id()).isEqualTo(RequestId.of(1));
      assertThat(text(response)).isEqualTo("caller " + i);
    }
  }

  @Test
  void numericAndStringIdsKeepTheirType() throws Exception {
    transport = TestUpstream.start();
    CompletableFuture<JsonRpcResponse> number = transport.sendAndReceive(call(RequestId.of(1), "echo", "text", "n"));
    CompletableFuture<JsonRpcResponse> string = transport.sendAndReceive(call(RequestId.of("1"), "echo", "text", "s"));
    assertThat(number.get(30, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of(1));
    assertThat(string.get(30, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of("1"));
    assertThat(text(number.get())).isEqualTo("n");
    assertThat(text(string.get())).isEqualTo("s");
  }

  @Test
  void rejectFailsExactlyTheOverflowWithAnActionableMessage() throws Exception {
    transport = TestUpstream.start(TransportOptions.builder().maxInFlight(10).build());
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      futures.add(transport.sendAndReceive(call(i, "sleep", "ms", 300)));
    }
    int ok = 0;
    int overloaded = 0;
    for (CompletableFuture<JsonRpcResponse> future : futures) {
      try {
        future.get(30, TimeUnit.SECONDS);
        ok++;
      } catch (ExecutionException e) {
        assertThat(e.getCause())
            .isInstanceOf(OverloadedException.class)
            .hasMessageContaining("10 requests")
            .hasMessageContaining("max_requests_in_flight");
        overloaded++;
      }
    }
    assertThat(ok).isEqualTo(10);
    assertThat(overloaded).isEqualTo(15);
    assertThat(transport.stats().rejected()).isEqualTo(15);
  }

  @Test
  void queueCompletesEverythingWithNeverMoreThanTheLimitInFlight() throws Exception {
    transport =
        TestUpstream.start(
            TransportOptions.builder().maxInFlight(10).overflowPolicy(OverflowPolicy.QUEUE).build());
    TestUpstream.resetServerStats(transport);
    List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
    for (int i = 0; i < 35; i++) {
      futures.add(transport.sendAndReceive(call(i, "sleep", "ms", 20)));
    }
    for (int i = 0; i < 35; i++) {
      assertThat(futures.get(i).get(30, TimeUnit.SECONDS).id()).isEqualTo(RequestId.of(i));
    }
    assertThat(TestUpstream.serverStats(transport).get("maxInFlight").asInt()).isEqualTo(10);
    assertThat(transport.stats().maxInFlight()).isEqualTo(10);
    assertThat(transport.stats().queued()).isZero();
  }

  @Test
  void aSlowCallerStageDoesNotHoldBackOtherResponses() throws Exception {
    transport = TestUpstream.start();
    CompletableFuture<Void> release = new CompletableFuture<>();
    // The first caller's stage blocks until the second answer has arrived.
    CompletableFuture<JsonRpcResponse> second;
    CompletableFuture<String> first =
        transport
            .sendAndReceive(call(1, "echo", "text", "first"))
            .thenApply(
                response -> {
                  release.join();
                  return text(response);
                });
    second = transport.sendAndReceive(call(2, "sleep", "ms", 10));
    assertThat(text(second.get(30, TimeUnit.SECONDS))).isEqualTo("slept 10 ms");
    release.complete(null);
    assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("first");
  }

  @Test
  void anErrorResponseIsANormalCompletion() throws Exception {
    transport = TestUpstream.start();
    JsonRpcResponse response =
        transport.sendAndReceive(call(5, "fail", "code", -32042, "message", "nope")).get(30, TimeUnit.SECONDS);
    assertThat(response.isError()).isTrue();
    assertThat(response.error().code()).isEqualTo(-32042);
    assertThat(response.error().message()).isEqualTo("nope");
    assertThat(response.id()).isEqualTo(RequestId.of(5));
  }

  @Test
  void sendingBeforeStartFailsFast() {
    transport = TestUpstream.builder().build();
    assertThatThrownBy(() -> transport.sendAndReceive(call(1, "echo", "text", "x")).get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(dev.gatekit.api.TransportClosedException.class)
        .hasMessageContaining("not started");
  }
}
