package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A run whose reader, writer or stderr drain dies of an Error ends at once, and says so. */
class UpstreamProcessTest {

  /** Echoes each line of stdin to stdout and to stderr. */
  private static final List<String> ECHO_BOTH =
      List.of("/bin/sh", "-c", "while IFS= read -r l; do echo \"$l\"; echo \"$l\" >&2; done");

  private UpstreamProcess upstream;

  @AfterEach
  void stop() {
    if (upstream != null) {
      upstream.shutDown(Duration.ZERO, Duration.ofSeconds(5));
    }
  }

  @ParameterizedTest(name = "the {0} thread")
  @ValueSource(strings = {"reader", "writer", "stderr"})
  void aThreadThatDiesOfAnErrorEndsTheRunAtOnce(String thread) throws Exception {
    AtomicBoolean armed = new AtomicBoolean();
    Process process = new ProcessBuilder(ECHO_BOTH).start();
    CompletableFuture<UpstreamProcess.Ending> ended = new CompletableFuture<>();
    CompletableFuture<String> firstLine = new CompletableFuture<>();
    upstream =
        UpstreamProcess.adopt(
            "faulty",
            new FaultyProcess(process, thread, armed),
            1024 * 1024,
            5,
            new UpstreamProcess.Listener() {
              @Override
              public void onLine(UpstreamProcess source, byte[] buffer, int offset, int length) {
                firstLine.complete(new String(buffer, offset, length, StandardCharsets.UTF_8));
              }

              @Override
              public void onOversizeLine(UpstreamProcess source, long length) {}

              @Override
              public void onEnd(UpstreamProcess source, UpstreamProcess.Ending ending) {
                ended.complete(ending);
              }
            });
    assertThat(upstream.write(bytes("hello"))).isTrue();
    assertThat(firstLine.get(30, TimeUnit.SECONDS)).isEqualTo("hello");

    armed.set(true);
    // A large message goes through the writer thread; the echo wakes the reader and the drain.
    upstream.write(new byte[8192]);

    UpstreamProcess.Ending ending = ended.get(30, TimeUnit.SECONDS);
    assertThat(ending.how()).isEqualTo("failed: its " + thread + " thread died of java.lang.OutOfMemoryError");
    assertThat(ending.exitCode()).isNull();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** A process whose stdout, stdin or stderr throws an OutOfMemoryError once armed. */
  private static final class FaultyProcess extends Process {
    private final Process process;
    private final String faulty;
    private final AtomicBoolean armed;

    FaultyProcess(Process process, String faulty, AtomicBoolean armed) {
      this.process = process;
      this.faulty = faulty;
      this.armed = armed;
    }

    private void maybeDie(String stream) {
      if (stream.equals(faulty) && armed.get()) {
        throw new OutOfMemoryError("injected into the " + stream);
      }
    }

    @Override
    public OutputStream getOutputStream() {
      return new FilterOutputStream(process.getOutputStream()) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          maybeDie("writer");
          out.write(b, off, len);
        }
      };
    }

    @Override
    public InputStream getInputStream() {
      return dyingAfterRead(process.getInputStream(), "reader");
    }

    @Override
    public InputStream getErrorStream() {
      return dyingAfterRead(process.getErrorStream(), "stderr");
    }

    private InputStream dyingAfterRead(InputStream in, String stream) {
      return new FilterInputStream(in) {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = super.read(b, off, len);
          maybeDie(stream);
          return n;
        }
      };
    }

    @Override
    public int waitFor() throws InterruptedException {
      return process.waitFor();
    }

    @Override
    public int exitValue() {
      return process.exitValue();
    }

    @Override
    public void destroy() {
      process.destroy();
    }

    @Override
    public Process destroyForcibly() {
      process.destroyForcibly();
      return this;
    }

    @Override
    public boolean isAlive() {
      return process.isAlive();
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public ProcessHandle toHandle() {
      return process.toHandle();
    }

    @Override
    public CompletableFuture<Process> onExit() {
      return process.onExit().thenApply(p -> this);
    }

    @Override
    public java.util.stream.Stream<ProcessHandle> descendants() {
      return process.descendants();
    }
  }
}
