package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import dev.gatekit.testkit.server.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start, restart, close, unasked messages from the server, and the process environment. */
class StdioTransportLifecycleTest {

  private StdioTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
  }

  @Test
  void progressNotificationsReachTheHandlerInOrderBeforeTheAnswer() throws Exception {
    ConcurrentLinkedQueue<JsonRpcNotification> seen = new ConcurrentLinkedQueue<>();
    transport = TestUpstream.builder().build();
    transport.setInboundHandler(recording(seen));
    transport.start();

    for (int round = 0; round < 20; round++) {
      seen.clear();
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      params.put("name", "progress");
      params.putObject("arguments").put("steps", 50);
      params.putObject("_meta").put("progressToken", "token-" + round);
      JsonRpcResponse response =
          transport
              .sendAndReceive(new JsonRpcRequest(RequestId.of(round), McpMethods.TOOLS_CALL, params))
              .get(30, TimeUnit.SECONDS);

      assertThat(text(response)).isEqualTo("done 50 steps");
      // Already all there when the answer arrives: the server wrote them first.
      List<JsonRpcNotification> progress = new ArrayList<>(seen);
      assertThat(progress).hasSize(50);
      for (int i = 0; i < 50; i++) {
        assertThat(progress.get(i).method()).isEqualTo(McpMethods.NOTIFICATIONS_PROGRESS);
        assertThat(progress.get(i).params().get("progressToken").asText()).isEqualTo("token-" + round);
        assertThat(progress.get(i).params().get("progress").asInt()).isEqualTo(i + 1);
      }
    }
  }

  @Test
  void aServerToClientRequestIsAnsweredByTheHandlerUnderTheServersId() throws Exception {
    transport = TestUpstream.builder().build();
    ConcurrentLinkedQueue<JsonRpcRequest> asked = new ConcurrentLinkedQueue<>();
    transport.setInboundHandler(
        new InboundHandler() {
          @Override
          public void onNotification(JsonRpcNotification notification) {}

          @Override
          public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
            asked.add(request);
            ObjectNode result = JsonNodeFactory.instance.objectNode();
            result.put("role", "assistant");
            result.put("model", "test-model");
            result.putObject("content").put("type", "text").put("text", "sampled: " + request.params().get("messages").get(0).get("content").get("text").asText());
            // A deliberately wrong id: the transport must answer under the server's own id.
            return CompletableFuture.supplyAsync(() -> JsonRpcResponse.success(RequestId.of("wrong"), result));
          }
        });
    transport.start();
    List<CompletableFuture<JsonRpcResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      calls.add(transport.sendAndReceive(call(i, "sample", "prompt", "p" + i)));
    }
    for (int i = 0; i < 20; i++) {
      assertThat(text(calls.get(i).get(30, TimeUnit.SECONDS))).isEqualTo("sampled: p" + i);
    }
    assertThat(asked).hasSize(20).allSatisfy(r -> assertThat(r.method()).isEqualTo(McpMethods.SAMPLING_CREATE_MESSAGE));
  }

  @Test
  void aHandlerThatThrowsAnswersTheServerWithAnInternalError() throws Exception {
    transport = TestUpstream.builder().build();
    transport.setInboundHandler(
        new InboundHandler() {
          @Override
          public void onNotification(JsonRpcNotification notification) {}

          @Override
          public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
            throw new IllegalStateException("no sampling here");
          }
        });
    transport.start();
    JsonRpcResponse response = transport.sendAndReceive(call(1, "sample", "prompt", "x")).get(30, TimeUnit.SECONDS);
    // The test server turns the client's error into an error tool result or a JSON-RPC error.
    assertThat(response.toString()).contains("no sampling here");
  }

  @Test
  void manyNotificationsArriveInOrder() throws Exception {
    ConcurrentLinkedQueue<JsonRpcNotification> seen = new ConcurrentLinkedQueue<>();
    transport = TestUpstream.builder().build();
    transport.setInboundHandler(recording(seen));
    transport.start();
    transport.sendAndReceive(call(1, "notify", "count", 1000)).get(30, TimeUnit.SECONDS);
    TestUpstream.await("1000 notifications", () -> seen.size() == 1000);
    List<String> data = seen.stream().map(n -> n.params().get("data").asText()).toList();
    for (int i = 0; i < 1000; i++) {
      assertThat(data.get(i)).isEqualTo("notification " + (i + 1) + " of 1000");
    }
  }

  @Test
  void aRestartPolicyBringsTheServerBackAndReplaysTheHandshake() throws Exception {
    // The server exits after its second request; the policy starts it again.
    transport =
        TestUpstream.builder("--exit-after", "2")
            .restartPolicy(new RestartPolicy(3, Duration.ofMillis(10), Duration.ofMillis(100)))
            .build();
    transport.start();
    long firstPid = transport.pid();
    JsonRpcResponse init = transport.sendAndReceive(initialize(1)).get(30, TimeUnit.SECONDS);
    assertThat(init.isError()).isFalse();
    transport.sendNotification(new JsonRpcNotification(McpMethods.NOTIFICATIONS_INITIALIZED, null));
    // Request 2: answered, then the server exits.
    assertThat(text(transport.sendAndReceive(call(2, "echo", "text", "before")).get(30, TimeUnit.SECONDS))).isEqualTo("before");

    TestUpstream.await(
        "restarted and running",
        () -> transport.stats().restarts() == 1 && transport.state() == TransportState.RUNNING);
    assertThat(transport.pid()).isNotEqualTo(firstPid);
    // The new server got the initialize replayed (its request 1), so this is its request 2.
    assertThat(text(transport.sendAndReceive(call(3, "echo", "text", "after")).get(30, TimeUnit.SECONDS))).isEqualTo("after");
  }

  @Test
  void withoutARestartPolicyADeadServerStaysFailed() throws Exception {
    transport = TestUpstream.start("--exit-after", "1");
    transport.sendAndReceive(call(1, "echo", "text", "x")).get(30, TimeUnit.SECONDS);
    TestUpstream.await("failed", () -> transport.state() == TransportState.FAILED);
    assertThat(transport.stats().restarts()).isZero();
  }

  @Test
  void closeRacingManySendsOnlyEverFailsWithTransportClosedAndLeavesNoThreads() throws Exception {
    transport =
        TestUpstream.start(
            TransportOptions.builder().maxInFlight(50).overflowPolicy(OverflowPolicy.QUEUE).build());
    String threadPrefix = "gatekit-test-" + transport.pid() + "-";
    int senders = 8;
    CountDownLatch running = new CountDownLatch(senders);
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<CompletableFuture<JsonRpcResponse>> futures = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < senders; t++) {
      Thread thread =
          new Thread(
              () -> {
                running.countDown();
                // Each sender keeps up to 10 calls outstanding, so the limits are never the story.
                Semaphore outstanding = new Semaphore(10);
                int i = 0;
                while (!stop.get()) {
                  try {
                    if (!outstanding.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                      continue;
                    }
                    i++;
                    JsonRpcRequest request =
                        i % 2 == 0 ? call(i, "echo", "text", "x") : call(i, "sleep", "ms", 5);
                    CompletableFuture<JsonRpcResponse> future = transport.sendAndReceive(request);
                    future.whenComplete((r, e) -> outstanding.release());
                    futures.add(future);
                  } catch (Throwable e) {
                    unexpected.add(e); // sendAndReceive itself must never throw
                  }
                }
              });
      threads.add(thread);
      thread.start();
    }
    running.await();
    TestUpstream.await("traffic flowing", () -> transport.stats().completed() > 200);
    transport.close();
    stop.set(true);
    for (Thread thread : threads) {
      thread.join();
    }
    for (CompletableFuture<JsonRpcResponse> future : futures) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TransportClosedException)) {
          unexpected.add(e.getCause());
        }
      }
    }
    assertThat(unexpected).isEmpty();
    assertThat(transport.pendingCount()).isZero();
    assertThat(transport.stats().inFlight()).isZero();
    assertThat(transport.stats().queued()).isZero();
    TestUpstream.await("no thread of the transport left", () -> threadsNamed(threadPrefix).isEmpty());
    transport.close(); // idempotent
    assertThat(transport.state()).isEqualTo(TransportState.CLOSED);
  }

  @Test
  void closeEndsTheServerAndItsDescendants() throws Exception {
    // A launcher that keeps a child, as npx does: sh runs the Java server as its child.
    String server = TestServer.command().stream().map(a -> "'" + a + "'").collect(Collectors.joining(" "));
    transport =
        StdioTransport.builder("/bin/sh", "-c", server + "; exit 0")
            .name("launcher")
            .shutdownGracePeriods(Duration.ofSeconds(5), Duration.ofSeconds(5))
            .build();
    transport.start();
    assertThat(text(transport.sendAndReceive(call(1, "echo", "text", "x")).get(30, TimeUnit.SECONDS))).isEqualTo("x");
    ProcessHandle launcher = ProcessHandle.of(transport.pid()).orElseThrow();
    List<ProcessHandle> children = launcher.descendants().toList();
    assertThat(children).isNotEmpty();

    transport.close();

    assertThat(launcher.isAlive()).isFalse();
    TestUpstream.await("no descendant left", () -> children.stream().noneMatch(ProcessHandle::isAlive));
  }

  @Test
  void closeTerminatesAServerThatIgnoresItsClosedStdin() throws Exception {
    // sh ignores EOF while it sleeps; close must fall back to terminate.
    transport =
        StdioTransport.builder("/bin/sh", "-c", "trap '' HUP; sleep 60")
            .name("stubborn")
            .shutdownGracePeriods(Duration.ofMillis(100), Duration.ofSeconds(5))
            .build();
    transport.start();
    ProcessHandle process = ProcessHandle.of(transport.pid()).orElseThrow();
    List<ProcessHandle> children = process.descendants().toList();
    transport.close();
    assertThat(process.isAlive()).isFalse();
    TestUpstream.await("no descendant left", () -> children.stream().noneMatch(ProcessHandle::isAlive));
  }

  @Test
  void theEnvironmentAndWorkingDirectoryReachTheServer(@TempDir Path directory) throws Exception {
    Files.writeString(directory.resolve("marker.txt"), "here");
    // A one-shot upstream: answers the first request (wire id 1) with what it sees.
    String script =
        "read line; printf '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"foo\":\"%s\",\"home\":\"%s\",\"marker\":\"%s\"}}\\n'"
            + " \"$GATEKIT_FOO\" \"$HOME\" \"$(cat marker.txt)\"; read rest";
    transport =
        StdioTransport.builder("/bin/sh", "-c", script)
            .inheritEnvironment(false)
            .environment(Map.of("GATEKIT_FOO", "bar", "PATH", "/usr/bin:/bin"))
            .directory(directory)
            .build();
    transport.start();
    JsonRpcResponse response =
        transport.sendAndReceive(new JsonRpcRequest(RequestId.of("x"), "whoami", null)).get(30, TimeUnit.SECONDS);
    assertThat(response.id()).isEqualTo(RequestId.of("x"));
    assertThat(response.result().get("foo").asText()).isEqualTo("bar");
    assertThat(response.result().get("home").asText()).as("not inherited").isEmpty();
    assertThat(response.result().get("marker").asText()).isEqualTo("here");
  }

  @Test
  void startingAClosedTransportFails() {
    transport = TestUpstream.builder().build();
    transport.close();
    assertThatThrownBy(transport::start).isInstanceOf(TransportClosedException.class);
  }

  private static JsonRpcRequest initialize(long id) {
    ObjectNode params = JsonNodeFactory.instance.objectNode();
    params.put("protocolVersion", McpMethods.LATEST_PROTOCOL_VERSION);
    params.putObject("capabilities");
    params.putObject("clientInfo").put("name", "test").put("version", "1");
    return new JsonRpcRequest(RequestId.of(id), McpMethods.INITIALIZE, params);
  }

  private static InboundHandler recording(ConcurrentLinkedQueue<JsonRpcNotification> seen) {
    return new InboundHandler() {
      @Override
      public void onNotification(JsonRpcNotification notification) {
        seen.add(notification);
      }

      @Override
      public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
        return InboundHandler.REFUSE_ALL.onRequest(request);
      }
    };
  }

  private static Set<String> threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .map(Thread::getName)
        .filter(name -> name.startsWith(prefix))
        .collect(Collectors.toSet());
  }
}
