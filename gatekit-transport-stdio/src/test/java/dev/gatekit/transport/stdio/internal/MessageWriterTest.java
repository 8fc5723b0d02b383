package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
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

  @Test
  void aSenderWritesItselfOnlyWhileThePipeProvablyHasRoom() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream();
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});
    Thread me = Thread.currentThread();

    writer.send(bytes("first"));
    assertThat(out.writers).containsOnly(me); // nothing read yet, but far under the limit

    // Untracked messages are never known read: past the limit, the writer thread takes over.
    byte[] big = bytes("x".repeat(MessageWriter.DIRECT_WRITE_LIMIT / 2));
    writer.send(big);
    writer.send(big);
    awaitLines(out, 3);
    assertThat(out.writers).anySatisfy(t -> assertThat(t.getName()).isEqualTo("test-writer"));

    writer.close();
    writer.awaitTermination(10_000);
    assertThat(out.lines()).hasSize(3);
  }

  @Test
  void trackedMessagesLearnTheirEndOffsetsAndReadReportsReopenTheDirectPath() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream();
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});
    Thread me = Thread.currentThread();
    long expectedEnd = 0;
    for (int i = 0; i < 50; i++) {
      Tracked message = new Tracked(bytes("m" + i + " ".repeat(1000)));
      out.writers.clear();
      assertThat(writer.send(message)).isTrue();
      expectedEnd += message.bytes().length + 1;
      assertThat(message.end).as("end offset of message %d", i).isEqualTo(expectedEnd);
      assertThat(message.writer).isSameAs(writer);
      assertThat(out.writers).as("message %d written by the sender", i).containsOnly(me);
      writer.consumedThrough(message.end); // the peer answered it
    }
    writer.consumedThrough(5); // an older report never moves the mark back
    Tracked next = new Tracked(bytes("y".repeat(3000)));
    out.writers.clear();
    writer.send(next);
    assertThat(out.writers).containsOnly(me);
    writer.close();
    writer.awaitTermination(10_000);
  }

  @Test
  void sendersNeverBlockWhileTheWriterIsStuckAndOrderPerSenderHolds() throws Exception {
    CountDownLatch firstWriteStarted = new CountDownLatch(1);
    CountDownLatch releaseFirstWrite = new CountDownLatch(1);
    RecordingStream out = new RecordingStream(firstWriteStarted, releaseFirstWrite);
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});
    // Over the limit, so the writer thread takes it and sticks in the write (a full pipe).
    writer.send(bytes("stuck" + " ".repeat(MessageWriter.DIRECT_WRITE_LIMIT)));
    assertThat(firstWriteStarted.await(10, TimeUnit.SECONDS)).isTrue();
    int threads = 4;
    int perThread = 2_000;
    CountDownLatch sent = new CountDownLatch(threads);
    for (int t = 0; t < threads; t++) {
      int id = t;
      new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  writer.send(bytes(id + ":" + i));
                }
                sent.countDown();
              })
          .start();
    }
    assertThat(sent.await(10, TimeUnit.SECONDS)).as("every send returned with the writer stuck").isTrue();
    releaseFirstWrite.countDown();
    writer.close();
    writer.awaitTermination(10_000);
    List<String> lines = out.lines();
    assertThat(lines).hasSize(1 + threads * perThread);
    int[] next = new int[threads];
    for (String line : lines.subList(1, lines.size())) {
      int t = line.charAt(0) - '0';
      assertThat(Integer.parseInt(line.substring(2))).isEqualTo(next[t]++);
    }
  }

  @Test
  void directAndQueuedWritesMixUnderContentionWithoutInterleavingOrReordering() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream();
    MessageWriter writer = new MessageWriter(out, "test-writer", e -> {});
    int threads = 8;
    int perThread = 5_000;
    ConcurrentLinkedQueue<Tracked> tracked = new ConcurrentLinkedQueue<>();
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread sender =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  byte[] line = bytes(id + ":" + i + ":" + "p".repeat(i % 40));
                  if (i % 2 == 0) {
                    Tracked message = new Tracked(line);
                    tracked.add(message);
                    writer.send(message);
                    if (message.end > 0) {
                      writer.consumedThrough(message.end); // as an answer would report it
                    }
                  } else {
                    writer.send(line);
                  }
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
    long offset = 0;
    java.util.Map<String, Long> ends = new java.util.HashMap<>();
    for (String line : lines) {
      assertThat(line).matches("\\d:\\d+:p*");
      int t = line.charAt(0) - '0';
      int i = Integer.parseInt(line.substring(2, line.indexOf(':', 2)));
      assertThat(i).as("per-sender order").isEqualTo(next[t]++);
      offset += line.length() + 1;
      ends.put(t + ":" + i, offset);
    }
    for (Tracked message : tracked) {
      String line = new String(message.bytes(), StandardCharsets.UTF_8);
      String key = line.substring(0, line.indexOf(':', 2));
      assertThat(message.calls).as("written() calls for %s", key).hasValue(1);
      assertThat(message.end).as("end offset of %s", key).isEqualTo(ends.get(key));
    }
    assertThat(out.writers).as("both paths were taken").hasSizeGreaterThan(1)
        .anySatisfy(t -> assertThat(t.getName()).isEqualTo("test-writer"));
  }

  @Test
  void aFailedDirectWriteIsReportedOnceAndTheWriterStops() throws Exception {
    AtomicInteger failures = new AtomicInteger();
    OutputStream broken =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("Broken pipe");
          }

          @Override
          public void flush() throws IOException {
            throw new IOException("Broken pipe");
          }
        };
    MessageWriter writer = new MessageWriter(broken, "test-writer", e -> failures.incrementAndGet());
    assertThat(writer.send(bytes("small"))).isFalse(); // written directly, and failed
    assertThat(writer.send(bytes("later"))).isFalse();
    writer.awaitTermination(10_000);
    assertThat(failures).hasValue(1);
  }

  /** A message that records where the writer put it. */
  private static final class Tracked implements MessageWriter.Outgoing {
    final byte[] bytes;
    final AtomicInteger calls = new AtomicInteger();
    volatile long end;
    volatile MessageWriter writer;

    Tracked(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public byte[] bytes() {
      return bytes;
    }

    @Override
    public void written(MessageWriter by, long endOffset) {
      calls.incrementAndGet();
      end = endOffset;
      writer = by;
    }
  }

  /** Records bytes and the threads that wrote them. */
  private static final class ThreadRecordingStream extends OutputStream {
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final java.util.Set<Thread> writers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public synchronized void write(int b) {
      writers.add(Thread.currentThread());
      data.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      writers.add(Thread.currentThread());
      data.write(b, off, len);
    }

    synchronized List<String> lines() {
      String all = data.toString(StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>(List.of(all.split("\n", -1)));
      lines.remove(lines.size() - 1);
      return lines;
    }
  }

  private static void awaitLines(ThreadRecordingStream out, int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (out.lines().size() < count) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(1);
    }
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
