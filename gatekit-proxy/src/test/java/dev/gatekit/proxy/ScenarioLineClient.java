package dev.gatekit.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw client of a {@link StdioServer} run in this JVM: it writes bytes (well-formed or not) into the
 * server's input and reads the server's output line by line as JSON trees, so that a test sees
 * exactly what went over the wire ({@code "id": null} included).
 */
final class ScenarioLineClient implements AutoCloseable {

  /** An in-memory pipe: what is written to {@link #out} is read from {@link #in}, in order. */
  static final class Pipe {
    private static final byte[] EOF = new byte[0];
    private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private volatile boolean closed;

    final OutputStream out =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
              throw new IOException("pipe closed");
            }
            if (len > 0) {
              chunks.add(Arrays.copyOfRange(b, off, off + len));
            }
          }

          @Override
          public void close() {
            if (!closed) {
              closed = true;
              chunks.add(EOF);
            }
          }
        };

    final InputStream in =
        new InputStream() {
          private byte[] current;
          private int position;
          private boolean ended;

          @Override
          public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
              return 0;
            }
            if (ended) {
              return -1;
            }
            if (current == null || position == current.length) {
              try {
                current = chunks.take();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted");
              }
              position = 0;
              if (current == EOF) {
                ended = true;
                return -1;
              }
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
          }
        };
  }

  private final Pipe toServer = new Pipe();
  private final Pipe fromServer = new Pipe();
  private final LinkedBlockingQueue<JsonNode> lines = new LinkedBlockingQueue<>();
  private final CountDownLatch outputEnded = new CountDownLatch(1);
  private final CompletableFuture<Void> served = new CompletableFuture<>();

  /** Starts serving {@code server} on a thread of its own, and reading its output on another. */
  ScenarioLineClient(StdioServer server) {
    Thread serving = new Thread(() -> {
      try {
        server.serve(toServer.in, fromServer.out);
        served.complete(null);
      } catch (Throwable e) {
        served.completeExceptionally(e);
      }
    }, "scenario-stdio-server");
    serving.setDaemon(true);
    serving.start();
    Thread reading = new Thread(this::readOutput, "scenario-line-client-reader");
    reading.setDaemon(true);
    reading.start();
  }

  private void readOutput() {
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(fromServer.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(JsonRpcCodec.get().mapper().readTree(line));
      }
    } catch (IOException e) {
      lines.add(JsonRpcCodec.get().mapper().createObjectNode().put("readerFailure", e.toString()));
    } finally {
      outputEnded.countDown();
    }
  }

  /** Writes a line of UTF-8 text and its line break. */
  void sendLine(String line) {
    sendRaw((line + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Writes bytes as they are. */
  void sendRaw(byte[] bytes) {
    try {
      toServer.out.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the server's input, as a client that exits does. */
  void closeInput() {
    try {
      toServer.out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Takes the next line the server wrote, waiting up to {@link ScenarioRequests#WAIT}. */
  JsonNode next() {
    try {
      JsonNode line = lines.poll(ScenarioRequests.WAIT.toSeconds(), TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("the server wrote nothing for " + ScenarioRequests.WAIT.toSeconds() + " s");
      }
      return line;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Returns the next line if the server wrote one already, else null. */
  JsonNode poll() {
    return lines.poll();
  }

  /** Waits for the server to close its output; returns whether it did within {@code timeout}. */
  boolean awaitOutputEnd(Duration timeout) throws InterruptedException {
    return outputEnded.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Completes when {@link StdioServer#serve} returns (exceptionally if it threw). */
  CompletableFuture<Void> served() {
    return served;
  }

  @Override
  public void close() {
    closeInput();
  }
}
