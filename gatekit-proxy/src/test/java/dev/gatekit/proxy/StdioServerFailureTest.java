package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.initializeResult;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.testkit.MockTransport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A stdio front that can no longer serve ends as a failure, whatever killed it: the writer thread
 * dying of an error, the client closing its end of the output, the reader dying of an error. The
 * failure handler hears of it once, the input is closed so the reader stops, and {@link
 * StdioServer#serve} ends with the failure instead of serving on without a way to answer.
 */
class StdioServerFailureTest {

  private static final String INITIALIZE =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
          + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n";

  private final MockTransport upstream =
      MockTransport.builder().result("initialize", initializeResult("m")).build();
  private final GatekitProxy proxy = GatekitProxy.builder().upstream("m", upstream).build();
  private final CompletableFuture<Throwable> told = new CompletableFuture<>();

  @AfterEach
  void tearDown() {
    proxy.close();
  }

  @Test
  void aWriterThatDiesOfAnErrorEndsTheServer() throws Exception {
    Error death = new OutOfMemoryError("test: the client writer died");
    StdioServer server = new StdioServer(proxy, 1 << 20, Duration.ofSeconds(5)).onFailure(told::complete);
    OpenInput input = new OpenInput(INITIALIZE);

    assertThatThrownBy(() -> server.serve(input, failingOutput(death)))
        .isInstanceOf(IOException.class).hasCause(death);
    assertThat(told.get(30, TimeUnit.SECONDS)).isSameAs(death);
    assertThat(input.closed.getCount()).as("the input was closed to stop the reader").isZero();
  }

  @Test
  void aClientThatClosedItsOutputEndsTheServer() throws Exception {
    IOException brokenPipe = new IOException("Broken pipe");
    StdioServer server = new StdioServer(proxy, 1 << 20, Duration.ofSeconds(5)).onFailure(told::complete);

    assertThatThrownBy(() -> server.serve(new OpenInput(INITIALIZE), failingOutput(brokenPipe)))
        .isInstanceOf(IOException.class).hasCause(brokenPipe);
    assertThat(told.get(30, TimeUnit.SECONDS)).isSameAs(brokenPipe);
  }

  @Test
  void aReaderThatDiesOfAnErrorEndsTheServerAndTellsTheHandler() throws Exception {
    StackOverflowError death = new StackOverflowError("test: the reader died");
    StdioServer server = new StdioServer(proxy, 1 << 20, Duration.ofSeconds(5)).onFailure(told::complete);
    InputStream dying = new InputStream() {
      @Override
      public int read() {
        throw death;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        throw death;
      }
    };

    assertThatThrownBy(() -> server.serve(dying, OutputStream.nullOutputStream())).isSameAs(death);
    assertThat(told.get(30, TimeUnit.SECONDS)).isSameAs(death);
  }

  private static OutputStream failingOutput(Throwable failure) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (failure instanceof IOException io) {
          throw io;
        }
        throw (Error) failure;
      }
    };
  }

  /** A client input that gives one line, then stays open (blocks) until it is closed. */
  private static final class OpenInput extends InputStream {
    final CountDownLatch closed = new CountDownLatch(1);
    private final byte[] first;
    private int position;

    OpenInput(String line) {
      this.first = line.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (position < first.length) {
        int n = Math.min(len, first.length - position);
        System.arraycopy(first, position, b, off, n);
        position += n;
        return n;
      }
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return -1;
    }

    @Override
    public void close() {
      closed.countDown();
    }
  }
}
