package dev.gatekit.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.testkit.ForwardingTransport;
import dev.gatekit.testkit.MockTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A client that sends thousands of requests with large answers and does not read for a while: the
 * server stops reading the client's input once its bound of queued answers is reached, so what the
 * gateway holds stays near that bound instead of growing with every request; once the client
 * reads, every answer arrives, each once.
 */
class StdioServerBackpressureTest {

  private static final int REQUESTS = 5_000;
  private static final int ANSWER_BYTES = 64 * 1024;
  private static final long BOUND = 2L * 1024 * 1024;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aClientThatDoesNotReadHoldsBackItsOwnRequestsAndGetsEveryAnswerOnceItReads() throws Exception {
    String big = "x".repeat(ANSWER_BYTES);
    MockTransport upstream = MockTransport.builder()
        .result("initialize", JsonRpcCodec.get().mapper().readTree(
            "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"serverInfo\":{\"name\":\"m\",\"version\":\"1\"}}"))
        .handle("tools/call", request -> JsonRpcResponse.success(request.id(), text(big)))
        .build();
    GatekitProxy proxy = GatekitProxy.builder().upstream("big", upstream).build();
    StdioServer server = new StdioServer(proxy, 1 << 20, Duration.ofSeconds(30), BOUND);
    Requests input = new Requests();
    GatedOutput output = new GatedOutput();
    CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
      try {
        server.serve(input, output);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });

    awaitCondition("the server stops reading a client that does not read",
        () -> server.isWaitingForClient() && proxy.stats().inFlight() == 0);
    int taken = upstream.requests().size();
    // Answers queued before the reader stopped, the ones in flight then, the writer's buffer.
    assertThat(taken).as("requests taken while the client did not read").isLessThan(200);
    assertThat(input.sent.get()).as("requests the server read").isLessThan(REQUESTS / 10);
    assertThat(server.queuedBytes()).isLessThanOrEqualTo(BOUND + 150L * (ANSWER_BYTES + 64));

    output.open.countDown();
    awaitCondition("every answer arrives once the client reads", () -> output.answers() == REQUESTS + 1);
    input.end();
    served.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(output.distinctIds()).hasSize(REQUESTS + 1);
    assertThat(upstream.requests()).hasSize(REQUESTS + 1);
  }

  @Test
  void aClientFasterThanTheGatewayIsReadOnlyAsFarAsTheBacklogAllows() throws Exception {
    MockTransport mock = MockTransport.builder()
        .result("initialize", JsonRpcCodec.get().mapper().readTree(
            "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"serverInfo\":{\"name\":\"m\",\"version\":\"1\"}}"))
        .handle("tools/call", request -> JsonRpcResponse.success(request.id(), text("ok")))
        .build();
    HeldNotifications upstream = new HeldNotifications(mock);
    GatekitProxy proxy = GatekitProxy.builder().upstream("slow", upstream).build();
    StdioServer server = new StdioServer(proxy, 1 << 20, Duration.ofSeconds(30));
    Requests input = new Requests();
    GatedOutput output = new GatedOutput();
    output.open.countDown();
    AtomicReference<Thread> reader = new AtomicReference<>();
    CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
      reader.set(Thread.currentThread());
      try {
        server.serve(input, output);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });

    // notifications/initialized is held on its way upstream, so every request after it has to wait.
    awaitCondition("the reader stops while the requests behind the notification wait",
        () -> isWaitingForTheBacklog(reader.get()));
    assertThat(input.sent.get()).as("requests read while the notification is held")
        .isBetween(StdioServer.MAX_BACKLOG, StdioServer.MAX_BACKLOG + 2);
    assertThat(mock.requests()).as("nothing overtook the notification").hasSize(1); // initialize

    upstream.release.countDown();
    awaitCondition("every answer arrives once the notification has gone", () -> output.answers() == REQUESTS + 1);
    input.end();
    served.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(output.distinctIds()).hasSize(REQUESTS + 1);
    List<String> order = mock.requests().stream().skip(1).map(request -> request.id().toString()).toList();
    assertThat(order).as("the upstream saw the client's order")
        .isEqualTo(IntStream.range(0, REQUESTS).mapToObj(i -> RequestId.of(i).toString()).toList());
  }

  /** Whether {@code thread} is waiting in the gateway's backlog, not reading the client. */
  private static boolean isWaitingForTheBacklog(@Nullable Thread thread) {
    if (thread == null || thread.getState() != Thread.State.WAITING) {
      return false;
    }
    return Arrays.stream(thread.getStackTrace())
        .anyMatch(frame -> frame.getMethodName().equals("awaitBacklogAtMost"));
  }

  private static ObjectNode text(String value) {
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    result.putArray("content").addObject().put("type", "text").put("text", value);
    return result;
  }

  /** The client's input: initialize, initialized, then the calls, produced as they are read. */
  private static final class Requests extends InputStream {
    final AtomicInteger sent = new AtomicInteger(-2);
    private final CountDownLatch ended = new CountDownLatch(1);
    private byte[] line = new byte[0];
    private int position;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position == line.length) {
        int n = sent.getAndIncrement();
        if (n >= REQUESTS) {
          try {
            ended.await(); // the client keeps its input open until it has read everything
          } catch (InterruptedException e) {
            throw new InterruptedIOException();
          }
          return -1;
        }
        String json = n == -2
            ? "{\"jsonrpc\":\"2.0\",\"id\":\"init\",\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"
            : n == -1
                ? "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"
                : "{\"jsonrpc\":\"2.0\",\"id\":" + n + ",\"method\":\"tools/call\",\"params\":{\"name\":\"big\",\"arguments\":{}}}";
        line = (json + "\n").getBytes(StandardCharsets.UTF_8);
        position = 0;
      }
      int count = Math.min(len, line.length - position);
      System.arraycopy(line, position, b, off, count);
      position += count;
      return count;
    }

    void end() {
      ended.countDown();
    }
  }

  /**
   * The client's end of the output, like a pipe whose reader is away: takes up to a pipe's capacity
   * (64 KiB), then blocks every write until the client starts reading.
   */
  private static final class GatedOutput extends OutputStream {
    private static final int PIPE_CAPACITY = 64 * 1024;
    final CountDownLatch open = new CountDownLatch(1);
    private long buffered;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final Set<String> ids = new HashSet<>();
    private int answers;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      boolean fits;
      synchronized (this) {
        fits = buffered + len <= PIPE_CAPACITY;
        if (fits) {
          buffered += len;
        }
      }
      if (!fits) {
        try {
          open.await();
        } catch (InterruptedException e) {
          throw new InterruptedIOException();
        }
      }
      synchronized (this) {
        for (int i = off; i < off + len; i++) {
          if (b[i] == '\n') {
            JsonNode answer = JsonRpcCodec.get().mapper().readTree(partial.toByteArray());
            ids.add(answer.path("id").toString());
            answers++;
            partial.reset();
          } else {
            partial.write(b[i]);
          }
        }
      }
    }

    synchronized int answers() {
      return answers;
    }

    synchronized Set<String> distinctIds() {
      return new HashSet<>(ids);
    }
  }

  /** An upstream that holds {@code notifications/initialized} until released. */
  private static final class HeldNotifications extends ForwardingTransport {
    final CountDownLatch release = new CountDownLatch(1);

    HeldNotifications(MockTransport mock) {
      super(mock);
    }

    @Override
    public void sendNotification(JsonRpcNotification notification) {
      if (McpMethods.NOTIFICATIONS_INITIALIZED.equals(notification.method())) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      super.sendNotification(notification);
    }

    @Override
    public void close() {
      release.countDown();
      super.close();
    }
  }

  private static void awaitCondition(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }
}
