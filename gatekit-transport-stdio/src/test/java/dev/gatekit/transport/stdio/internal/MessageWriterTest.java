package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MessageWriterTest {

  @Test
  void aBurstCostsFarFewerFlushesThanMessages() throws Exception {
    CountDownLatch firstWriteStarted = new CountDownLatch(1);
    CountDownLatch releaseFirstWrite = new CountDownLatch(1);
    RecordingStream out = new RecordingStream(firstWriteStarted, releaseFirstWrite);
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});

    // Larger than a sender may write itself, so the writer thread takes it.
    String first = "m0" + " ".repeat(MessageWriter.DIRECT_WRITE_LIMIT);
    writer.send(bytes(first));
    assertThat(firstWriteStarted.await(10, TimeUnit.SECONDS)).isTrue();
    // While the writer is stuck in a write (a full pipe), a burst piles up...
    for (int i = 1; i <= 1000; i++) {
      writer.send(bytes("m" + i));
    }
    releaseFirstWrite.countDown();
    writer.close();
    writer.awaitTermination(10_000);

    List<String> lines = out.lines();
    assertThat(lines).hasSize(1001);
    assertThat(lines.get(0)).isEqualTo(first);
    for (int i = 1; i <= 1000; i++) {
      assertThat(lines.get(i)).isEqualTo("m" + i);
    }
    // ...and is written with a handful of flushes (the buffer is 64 KiB), not one per message.
    assertThat(out.flushes.get()).isLessThanOrEqualTo(5);
  }

  @Test
  void concurrentSendersNeverInterleave() throws Exception {
    RecordingStream out = new RecordingStream(new CountDownLatch(0), new CountDownLatch(0));
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});
    int threads = 8;
    int perThread = 5_000;
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread sender =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  writer.send(bytes("{\"t\":" + id + ",\"i\":" + i + ",\"pad\":\"" + "x".repeat(i % 50) + "\"}"));
                }
              });
      senders.add(sender);
      sender.start();
    }
    for (Thread sender : senders) {
      sender.join();
    }
    writer.close();
    writer.awaitTermination(10_000);

    List<String> lines = out.lines();
    assertThat(lines).hasSize(threads * perThread);
    int[] next = new int[threads];
    for (String line : lines) {
      assertThat(line).matches("\\{\"t\":\\d,\"i\":\\d+,\"pad\":\"x*\"}");
      int t = line.charAt(5) - '0';
      int i = Integer.parseInt(line.substring(line.indexOf("\"i\":") + 4, line.indexOf(",\"pad\"")));
      assertThat(i).as("per-sender order").isEqualTo(next[t]++);
    }
  }

  @Test
  void aFailedWriteIsReportedOnceAndLaterSendsAreRefused() throws Exception {
    AtomicInteger failures = new AtomicInteger();
    AtomicReference<IOException> failure = new AtomicReference<>();
    CountDownLatch reported = new CountDownLatch(1);
    OutputStream broken =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }
        };
    MessageWriter writer =
        new MessageWriter(
            broken,
            "test-writer",
            e -> {
              failures.incrementAndGet();
              failure.set(e);
              reported.countDown();
            });
    writer.send(new byte[70_000]); // larger than the buffer: written through at once
    assertThat(reported.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(writer.send(bytes("late"))).isFalse();
    writer.close();
    writer.awaitTermination(10_000);
    assertThat(failures).hasValue(1);
    assertThat(failure.get()).hasMessage("Broken pipe");
  }

  @Test
  void closeWritesWhatIsQueuedThenClosesTheStream() throws Exception {
    RecordingStream out = new RecordingStream(new CountDownLatch(0), new CountDownLatch(0));
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});
    writer.send(bytes("a"));
    writer.send(bytes("b"));
    writer.close();
    assertThat(writer.send(bytes("c"))).isFalse();
    writer.awaitTermination(10_000);
    assertThat(out.lines()).containsExactly("a", "b");
    assertThat(out.closed).isTrue();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Records bytes and flushes; its first write can be held to simulate a full pipe. */
  private static final class RecordingStream extends OutputStream {
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final AtomicInteger flushes = new AtomicInteger();
    final CountDownLatch firstWriteStarted;
    final CountDownLatch releaseFirstWrite;
    volatile boolean closed;
    private boolean first = true;

    RecordingStream(CountDownLatch firstWriteStarted, CountDownLatch releaseFirstWrite) {
      this.firstWriteStarted = firstWriteStarted;
      this.releaseFirstWrite = releaseFirstWrite;
    }

    @Override
    public synchronized void write(int b) {
      data.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (first) {
        first = false;
        firstWriteStarted.countDown();
        try {
          releaseFirstWrite.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      synchronized (this) {
        data.write(b, off, len);
      }
    }

    @Override
    public void flush() {
      flushes.incrementAndGet();
    }

    @Override
    public void close() {
      closed = true;
    }

    synchronized List<String> lines() {
      String all = data.toString(StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>(List.of(all.split("\n", -1)));
      lines.remove(lines.size() - 1); // after the last line break
      return lines;
    }
  }
}
