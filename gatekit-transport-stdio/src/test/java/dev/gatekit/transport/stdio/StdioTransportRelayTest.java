package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.WAIT;
import static dev.gatekit.transport.stdio.TestUpstream.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.RequestTimeoutException;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.support.JsonRpcLineScanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link StdioTransport#relay}: requests as lines, answers as lines under the caller's id bytes,
 * completed on the thread that learns the outcome — against the real test kit server.
 */
class StdioTransportRelayTest {

  private static final JsonRpcCodec codec = JsonRpcCodec.get();

  private static String line(String id, String tool, String arguments) {
    return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool
        + "\",\"arguments\":" + arguments + "}}";
  }

  private static CompletableFuture<byte[]> relay(StdioTransport transport, String line, Duration timeout) {
    byte[] padded = ("  " + line + "xx").getBytes(StandardCharsets.UTF_8); // a slice, as a reader's buffer
    int length = padded.length - 4;
    JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(padded, 2, length);
    assertThat(members).as(line).isNotNull();
    CompletableFuture<byte[]> answer = transport.relay(padded, 2, length, members, timeout);
    java.util.Arrays.fill(padded, (byte) 'z'); // the transport may not keep the caller's buffer
    return answer;
  }

  private static CompletableFuture<byte[]> relay(StdioTransport transport, String line) {
    return relay(transport, line, Duration.ofSeconds(30));
  }

  private static JsonNode tree(byte[] line) throws IOException {
    return codec.mapper().readTree(line);
  }

  /** The answer's id as written, after checking that the answer reads as JSON with that id. */
  private static String idOf(byte[] answer) {
    String text = new String(answer, StandardCharsets.UTF_8);
    String written;
    try {
      written = codec.mapper().writeValueAsString(tree(answer).get("id"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    assertThat(text).contains("\"id\":" + written);
    return written;
  }

  @Test
  void answersUnderTheCallersIdBytesOfEveryType() throws Exception {
    try (StdioTransport transport = TestUpstream.start()) {
      for (String id : List.of("7", "-3", "0", "999999999999999999", "\"abc\"", "\"7\"", "\"é 😀\"", "\"\"")) {
        byte[] answer = relay(transport, line(id, "echo", "{\"text\":\"hi " + id.length() + "\"}"))
            .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(idOf(answer)).isEqualTo(id);
        JsonRpcResponse response = (JsonRpcResponse) codec.decode(answer);
        assertThat(TestUpstream.text(response)).isEqualTo("hi " + id.length());
      }
      assertThat(transport.pendingCount()).isZero();
    }
  }

  @Test
  void anErrorAnswerComesBackEncodedUnderTheCallersId() throws Exception {
    try (StdioTransport transport = TestUpstream.start()) {
      byte[] answer = relay(transport, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"no/such\"}")
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      JsonRpcResponse response = (JsonRpcResponse) codec.decode(answer);
      assertThat(response.id()).isEqualTo(RequestId.of("x"));
      assertThat(response.isError()).isTrue();
    }
  }

  @Test
  void anInvalidAnswerFailsTheRelayedRequest() throws Exception {
    try (StdioTransport transport = TestUpstream.start()) {
      CompletableFuture<byte[]> answer = relay(transport, line("1", "invalid_answer", "{\"kind\":\"both\"}"));
      assertThatThrownBy(() -> answer.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .hasCauseInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void completesOnTheReaderAfterTheProgressReadBeforeIt() throws Exception {
    try (StdioTransport transport = TestUpstream.builder().build()) {
      List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
      transport.setInboundHandler(new InboundHandler() {
        @Override
        public void onNotification(JsonRpcNotification notification) {
          events.add(notification.method());
        }

        @Override
        public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
          return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }
      });
      transport.start();
      AtomicReference<String> thread = new AtomicReference<>();
      byte[] answer = relay(transport, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":"
          + "\"progress\",\"arguments\":{\"steps\":3},\"_meta\":{\"progressToken\":\"t\"}}}")
          .whenComplete((line, failure) -> {
            thread.set(Thread.currentThread().getName());
            events.add("answer");
          })
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(idOf(answer)).isEqualTo("5");
      assertThat(events).containsExactly("notifications/progress", "notifications/progress",
          "notifications/progress", "answer");
      // A call that takes a while, so that the callback is attached before the answer comes (an
      // answer already there would run it on this thread).
      byte[] quick = relay(transport, line("6", "sleep", "{\"ms\":300}"))
          .whenComplete((line, failure) -> thread.set(Thread.currentThread().getName()))
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(idOf(quick)).isEqualTo("6");
      assertThat(thread.get()).contains("reader");
    }
  }

  @Test
  void manyThreadsRelayAndCallAtOnceAndEveryAnswerFindsItsCaller() throws Exception {
    try (StdioTransport transport = TestUpstream.start(TransportOptions.builder().maxInFlight(64).overflowPolicy(dev.gatekit.api.OverflowPolicy.QUEUE).maxQueued(100_000).build())) {
      int threads = 8;
      int perThread = 400;
      CountDownLatch start = new CountDownLatch(1);
      List<CompletableFuture<Void>> workers = new ArrayList<>();
      AtomicInteger answered = new AtomicInteger();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        workers.add(CompletableFuture.runAsync(() -> {
          try {
            start.await();
            List<CompletableFuture<?>> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
              String text = "t" + thread + "-" + i;
              if (i % 3 == 0) {
                // the ordinary way, same ids: the transport's wire ids keep them apart
                mine.add(transport.sendAndReceive(TestUpstream.call(RequestId.of(text), "echo", "text", text))
                    .thenAccept(response -> {
                      assertThat(response.id()).isEqualTo(RequestId.of(text));
                      assertThat(TestUpstream.text(response)).isEqualTo(text);
                      answered.incrementAndGet();
                    }));
              } else {
                String id = i % 2 == 0 ? "\"" + text + "\"" : Integer.toString(i);
                mine.add(relay(transport, line(id, "echo", "{\"text\":\"" + text + "\"}")).thenAccept(answer -> {
                  assertThat(idOf(answer)).isEqualTo(id);
                  assertThat(TestUpstream.text((JsonRpcResponse) codec.decode(answer))).isEqualTo(text);
                  answered.incrementAndGet();
                }));
              }
            }
            CompletableFuture.allOf(mine.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        }));
      }
      start.countDown();
      CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      assertThat(answered.get()).isEqualTo(threads * perThread);
      assertThat(transport.pendingCount()).isZero();
      assertThat(transport.stats().inFlight()).isZero();
    }
  }

  private static TransportOptions many() {
    return TransportOptions.builder().maxInFlight(10_000).build();
  }

  @Test
  void aTimeoutRacingTheAnswerEndsEachRequestExactlyOnce() throws Exception {
    try (StdioTransport transport = TestUpstream.start(many())) {
      List<CompletableFuture<byte[]>> answers = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        answers.add(relay(transport, line(Integer.toString(i), "sleep", "{\"ms\":" + (i % 4) + "}"),
            Duration.ofMillis(1 + i % 5)));
      }
      int ok = 0;
      int timedOut = 0;
      for (CompletableFuture<byte[]> answer : answers) {
        try {
          answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
          ok++;
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(RequestTimeoutException.class);
          timedOut++;
        }
      }
      assertThat(ok + timedOut).isEqualTo(300);
      await("nothing pending", () -> transport.pendingCount() == 0 && transport.stats().inFlight() == 0);
      // the connection is fine afterwards
      assertThat(idOf(relay(transport, line("\"after\"", "echo", "{\"text\":\"a\"}")).get(WAIT.toSeconds(),
          TimeUnit.SECONDS))).isEqualTo("\"after\"");
    }
  }

  @Test
  void cancellingARelayedRequestCancelsItUpstream() throws Exception {
    try (StdioTransport transport = TestUpstream.start()) {
      CompletableFuture<byte[]> answer = relay(transport, line("\"slow\"", "sleep", "{\"ms\":60000}"));
      await("the server has the call", () -> {
        try {
          return TestUpstream.serverStats(transport).get("inFlight").asInt() == 1;
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      assertThat(answer.cancel(true)).isTrue();
      await("the server saw the cancellation", () -> {
        try {
          return !TestUpstream.cancelledIds(transport).isEmpty();
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      assertThat(transport.pendingCount()).isZero();
    }
  }

  @Test
  void aServerThatDiesFailsEveryRelayedRequestAtOnce() throws Exception {
    try (StdioTransport transport = TestUpstream.start(many(), "--exit-after", "1")) {
      CompletableFuture<byte[]> last = relay(transport, line("1", "sleep", "{\"ms\":500}"));
      List<CompletableFuture<byte[]>> slow = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        slow.add(relay(transport, line(Integer.toString(100 + i), "sleep", "{\"ms\":60000}")));
      }
      assertThat(idOf(last.get(WAIT.toSeconds(), TimeUnit.SECONDS))).isEqualTo("1");
      for (CompletableFuture<byte[]> answer : slow) {
        assertThatThrownBy(() -> answer.get(WAIT.toSeconds(), TimeUnit.SECONDS))
            .hasCauseInstanceOf(TransportClosedException.class);
      }
      assertThat(transport.pendingCount()).isZero();
      assertThatThrownBy(() -> relay(transport, line("2", "echo", "{\"text\":\"x\"}")).get(WAIT.toSeconds(),
          TimeUnit.SECONDS)).hasCauseInstanceOf(TransportClosedException.class);
    }
  }

  @Test
  void closeRacingRelaysLeavesNoRequestWithoutAnEnd() throws Exception {
    for (int round = 0; round < 5; round++) {
      StdioTransport transport = TestUpstream.start(many());
      List<CompletableFuture<byte[]>> answers = java.util.Collections.synchronizedList(new ArrayList<>());
      CountDownLatch sending = new CountDownLatch(1);
      CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 2_000; i++) {
          answers.add(relay(transport, line(Integer.toString(i), "echo", "{\"text\":\"x\"}")));
          if (i == 100) {
            sending.countDown();
          }
        }
      });
      sending.await();
      transport.close();
      sender.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      for (CompletableFuture<byte[]> answer : answers) {
        try {
          answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(TransportClosedException.class);
        }
      }
      assertThat(transport.pendingCount()).isZero();
    }
  }

  @Test
  void refusesWhatCannotBeRelayed() throws Exception {
    try (StdioTransport transport = TestUpstream.start()) {
      for (String refused : List.of(
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
          "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}",
          "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}")) {
        byte[] bytes = refused.getBytes(StandardCharsets.UTF_8);
        JsonRpcLineScanner.Members members = JsonRpcLineScanner.scan(bytes, 0, bytes.length);
        assertThatThrownBy(() -> transport.relay(bytes, 0, bytes.length, members, Duration.ofSeconds(1)))
            .isInstanceOf(IllegalArgumentException.class);
      }
    }
  }
}
