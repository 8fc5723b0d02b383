package dev.gatekit.transport.stdio;

import static dev.gatekit.transport.stdio.TestUpstream.call;
import static dev.gatekit.transport.stdio.TestUpstream.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportClosedException;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.TransportState;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream stderr is logged through a bounded hand-off: a log that cannot keep up (here: the
 * gateway's own stderr, which nobody reads) never stops the drain, and so never the upstream.
 */
class StdioTransportStderrTest {

  private static final String NAME = "blocked-log";

  private StdioTransport transport;

  @AfterEach
  void close() {
    if (transport != null) {
      transport.close();
    }
  }

  @Test
  void aLogThatBlocksStopsNeitherTheDrainNorTheRequests() throws Exception {
    // slf4j-simple writes to whatever System.err is at the time; the upstream's lines at info.
    System.setProperty("org.slf4j.simpleLogger.log.dev.gatekit.upstream." + NAME, "info");
    PrintStream original = System.err;
    StuckStream stuck = new StuckStream();
    System.setErr(new PrintStream(stuck, true, StandardCharsets.UTF_8));
    try {
      // 5 MiB of stderr at start, then a line per request, against a pipe of 64 KiB.
      transport =
          TestUpstream.builder("--stderr-flood", String.valueOf(5 * 1024 * 1024))
              .name(NAME)
              .options(TransportOptions.builder().overflowPolicy(OverflowPolicy.QUEUE).build())
              .build();
      transport.start();
      assertThat(stuck.entered.await(30, TimeUnit.SECONDS)).as("the log is stuck").isTrue();

      List<CompletableFuture<JsonRpcResponse>> futures = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        futures.add(transport.sendAndReceive(call(i, "echo", "text", "m" + i)));
      }
      for (int i = 0; i < 200; i++) {
        assertThat(text(futures.get(i).get(30, TimeUnit.SECONDS))).isEqualTo("m" + i);
      }
      assertThat(stuck.entered.getCount()).isZero();

      // The drain kept the tail for error messages itself, log or no log.
      ProcessHandle.of(transport.pid()).orElseThrow().destroyForcibly();
      TestUpstream.await("the death noticed", () -> transport.state() == TransportState.FAILED);
      TransportClosedException failure = closedFailure();
      assertThat(failure.stderrTail()).anySatisfy(line -> assertThat(line).contains("request 200: tools/call"));

      stuck.release.countDown();
      TestUpstream.await(
          "a warning with the count of dropped lines",
          () -> stuck.text().matches("(?s).*Dropped \\d+ stderr lines of upstream '" + NAME + "'.*"));
    } finally {
      stuck.release.countDown();
      System.setErr(original);
      System.clearProperty("org.slf4j.simpleLogger.log.dev.gatekit.upstream." + NAME);
    }
  }

  private TransportClosedException closedFailure() throws Exception {
    try {
      transport.sendAndReceive(call(999, "echo", "text", "x")).get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(TransportClosedException.class);
      return (TransportClosedException) e.getCause();
    }
    throw new AssertionError("the call after the death succeeded");
  }

  /** A stream nobody reads: every write waits until released, then is kept. */
  private static final class StuckStream extends OutputStream {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    private final ByteArrayOutputStream written = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      entered.countDown();
      boolean interrupted = false;
      while (true) {
        try {
          release.await();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      synchronized (written) {
        written.write(bytes, offset, length);
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }

    String text() {
      synchronized (written) {
        return written.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
