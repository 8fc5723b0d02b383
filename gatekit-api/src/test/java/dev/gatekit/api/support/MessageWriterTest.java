package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
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
  void anErrorThatKillsTheWriterThreadIsReportedAndLaterSendsAreRefused() throws Exception {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch reported = new CountDownLatch(1);
    OutputStream dying =
        new OutputStream() {
          @Override
          public void write(int b) {
            throw new StackOverflowError("injected");
          }
        };
    MessageWriter writer =
        new MessageWriter(
            dying,
            "dying-writer",
            e -> {
              failure.set(e);
              reported.countDown();
            });
    writer.send(new byte[70_000]); // larger than the buffer and the direct limit: the writer thread writes it
    assertThat(reported.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(failure.get()).isInstanceOf(StackOverflowError.class).hasMessage("injected");
    assertThat(writer.send(bytes("late"))).isFalse();
  }

  @Test
  void anErrorInADirectWriteIsReportedAndEndsTheWriter() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream("erring-writer");
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    MessageWriter writer = onKnownThread(out, failures::add);
    awaitIdle(writer, out);
    out.failWith(new OutOfMemoryError("injected"));
    assertThat(writer.send(bytes("first"))).isFalse();
    assertThat(failures).singleElement().isInstanceOf(OutOfMemoryError.class);
    assertThat(writer.send(bytes("second"))).isFalse();
  }

  @Test
  void aFailedWriteIsReportedOnceAndLaterSendsAreRefused() throws Exception {
    AtomicInteger failures = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
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

  // --- Direct writes: a sender writes its message itself when the writer thread is idle and the
  // pipe provably has room; otherwise the writer thread does. -------------------------------------

  @Test
  void aSmallMessageToAnIdleWriterIsWrittenByTheSenderUntilUnreadBytesWouldExceedTheLimit()
      throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream("direct-writer");
    MessageWriter writer = onKnownThread(out, e -> {});
    try {
      Thread writerThread = awaitIdle(writer, out);
      Thread me = Thread.currentThread();
      String line = "d".repeat(99); // 100 bytes with its line break
      int fit = MessageWriter.DIRECT_WRITE_LIMIT / 100; // 40: 4,000 bytes
      for (int i = 0; i < fit; i++) {
        awaitIdle(writer, out);
        assertThat(writer.send(bytes(line))).isTrue();
        // Written and flushed before send returned, by this thread: the writer thread never woke.
        assertThat(out.size()).isEqualTo(100L * (i + 1));
        assertThat(out.lastWrite()).isEqualTo(new Write(me, line + "\n"));
        assertThat(out.lastFlusher()).isSameAs(me);
      }
      // 4,000 bytes written and none known read: 100 more would make 4,100 > 4,096.
      awaitIdle(writer, out);
      assertThat(writer.send(bytes(line))).isTrue();
      awaitUntil("the 41st message written", () -> out.size() == 4_100);
      assertThat(out.lastWrite()).isEqualTo(new Write(writerThread, line + "\n"));
      // Nothing is ever reported read, so from now on even a tiny message is the writer thread's.
      awaitIdle(writer, out);
      assertThat(writer.send(bytes("t"))).isTrue();
      awaitUntil("the tiny message written", () -> out.size() == 4_102);
      assertThat(out.lastWrite()).isEqualTo(new Write(writerThread, "t\n"));
      assertThat(out.writesBy(me)).hasSize(fit);
    } finally {
      closeAndAwait(writer);
    }
  }

  @Test
  void theLimitCountsTheLineBreakAndIsInclusive() throws Exception {
    int limit = MessageWriter.DIRECT_WRITE_LIMIT;
    Thread me = Thread.currentThread();

    ThreadRecordingStream exact = new ThreadRecordingStream("limit-writer-1");
    MessageWriter first = onKnownThread(exact, e -> {});
    try {
      Thread writerThread = awaitIdle(first, exact);
      String fits = "f".repeat(limit - 1); // with its line break: exactly the limit
      assertThat(first.send(bytes(fits))).isTrue();
      assertThat(exact.lastWrite()).isEqualTo(new Write(me, fits + "\n"));
      // One byte more (an empty message is its line break alone) no longer fits.
      awaitIdle(first, exact);
      assertThat(first.send(new byte[0])).isTrue();
      awaitUntil("the empty message written", () -> exact.size() == limit + 1);
      assertThat(exact.lastWrite()).isEqualTo(new Write(writerThread, "\n"));
    } finally {
      closeAndAwait(first);
    }

    ThreadRecordingStream over = new ThreadRecordingStream("limit-writer-2");
    MessageWriter second = onKnownThread(over, e -> {});
    try {
      Thread writerThread = awaitIdle(second, over);
      String tooBig = "b".repeat(limit); // with its line break: one byte over
      assertThat(second.send(bytes(tooBig))).isTrue();
      awaitUntil("the message written", () -> over.size() == limit + 1);
      assertThat(over.writes()).containsExactly(new Write(writerThread, tooBig + "\n"));
    } finally {
      closeAndAwait(second);
    }
  }

  @Test
  void reportsOfWhatThePeerReadLetSendersWriteDirectlyAgainAndOffsetsAreExact() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream("offsets-writer");
    MessageWriter writer = onKnownThread(out, e -> {});
    try {
      Thread writerThread = awaitIdle(writer, out);
      Thread me = Thread.currentThread();
      List<RecordingOutgoing> sent = new ArrayList<>();

      // 40 requests of 100 bytes: each written by its sender, told where it ended.
      for (int i = 0; i < 40; i++) {
        RecordingOutgoing request = new RecordingOutgoing(String.format("r%02d", i) + "-".repeat(96));
        sendIdle(writer, out, request);
        sent.add(request);
        assertThat(request.calls()).containsExactly(new Written(writer, 100L * (i + 1), me));
      }
      // The 41st does not fit (4,000 unread + 100): the writer thread writes it.
      RecordingOutgoing r40 = new RecordingOutgoing("r40" + "-".repeat(96));
      sendIdle(writer, out, r40);
      sent.add(r40);
      awaitUntil("r40 written", () -> out.size() == 4_100);
      assertThat(r40.calls()).containsExactly(new Written(writer, 4_100, writerThread));

      // The peer answered r00, so it has read through offset 100: 4,000 unread. A message of 96
      // bytes (line break included) makes exactly 4,096: the sender writes it.
      writer.consumedThrough(sent.get(0).end());
      RecordingOutgoing exact = new RecordingOutgoing("e".repeat(95));
      sendIdle(writer, out, exact);
      sent.add(exact);
      assertThat(exact.calls()).containsExactly(new Written(writer, 4_196, me));
      // Now nothing more fits, not even an empty message.
      RecordingOutgoing empty = new RecordingOutgoing("");
      sendIdle(writer, out, empty);
      sent.add(empty);
      awaitUntil("the empty message written", () -> out.size() == 4_197);
      assertThat(empty.calls()).containsExactly(new Written(writer, 4_197, writerThread));

      // Everything is read; a late answer to an earlier request must not move that back.
      writer.consumedThrough(empty.end());
      writer.consumedThrough(sent.get(1).end());
      writer.consumedThrough(0);
      RecordingOutgoing after = new RecordingOutgoing("a".repeat(99));
      sendIdle(writer, out, after);
      sent.add(after);
      assertThat(after.calls()).containsExactly(new Written(writer, 4_297, me));

      // Every reported offset is exactly where that message's line ends in the stream.
      assertThat(out.size()).isEqualTo(4_297);
      byte[] data = out.data();
      long start = 0;
      for (RecordingOutgoing message : sent) {
        long end = message.end();
        assertThat(new String(data, (int) start, (int) (end - start), StandardCharsets.UTF_8))
            .isEqualTo(message.text + "\n");
        start = end;
      }
    } finally {
      closeAndAwait(writer);
    }
  }

  @Test
  void sendersNeverWaitForAWriterThreadStuckInAWrite() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream("stuck-writer");
    MessageWriter writer = onKnownThread(out, e -> {});
    Thread writerThread = awaitIdle(writer, out);
    Gate gate = out.holdWriterThread();
    // Too big for a sender to write: the writer thread takes it and is stuck in a full pipe. It is
    // reported read at once, so afterwards only the busy writer thread keeps senders from writing.
    String big = "B".repeat(MessageWriter.DIRECT_WRITE_LIMIT + 100);
    assertThat(writer.send(new RecordingOutgoing(big, (w, end) -> w.consumedThrough(end)))).isTrue();
    assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
    try {
      sendWhileTheWriterThreadIsStuck(writer, out, writerThread, gate, big);
    } finally {
      gate.release.countDown();
    }
  }

  private static void sendWhileTheWriterThreadIsStuck(
      MessageWriter writer, ThreadRecordingStream out, Thread writerThread, Gate gate, String big)
      throws Exception {
    int threads = 4;
    int perThread = 250;
    AtomicInteger refused = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread sender =
          new Thread(
              () -> {
                awaitQuietly(start);
                for (int i = 0; i < perThread; i++) {
                  String text = "{\"t\":" + id + ",\"i\":" + i + "}";
                  boolean accepted =
                      i % 2 == 0 ? writer.send(bytes(text)) : writer.send(new RecordingOutgoing(text));
                  if (!accepted) {
                    refused.incrementAndGet();
                  }
                }
              },
              "stuck-sender-" + t);
      senders.add(sender);
      sender.start();
    }
    start.countDown();
    for (Thread sender : senders) {
      sender.join(10_000);
      assertThat(sender.isAlive()).as("%s returned from every send", sender.getName()).isFalse();
    }
    // All sends returned, all accepted, while the writer thread is still stuck and nobody wrote.
    assertThat(refused).hasValue(0);
    assertThat(gate.release.getCount()).isEqualTo(1);
    assertThat(writerThread.getState()).isEqualTo(Thread.State.WAITING);
    assertThat(out.writes()).isEmpty();

    gate.release.countDown();
    closeAndAwait(writer);
    List<String> lines = out.lines();
    assertThat(lines).hasSize(1 + threads * perThread);
    assertThat(lines.get(0)).isEqualTo(big);
    assertPerSenderOrder(lines.subList(1, lines.size()), threads, perThread);
    assertThat(out.writes()).extracting(Write::thread).containsOnly(writerThread);
  }

  @Test
  void underContentionDirectAndQueuedWritesNeverInterleaveAndEveryOffsetIsExact() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream("contended-writer");
    MessageWriter writer = onKnownThread(out, e -> {});
    Thread writerThread = awaitIdle(writer, out);
    int threads = 8;
    int perThread = 5_000;
    AtomicIntegerArray writtenCalls = new AtomicIntegerArray(threads * perThread);
    AtomicLongArray endOffsets = new AtomicLongArray(threads * perThread);
    // written() is called while the writer's lock is held, so this is the order of the stream.
    ConcurrentLinkedQueue<Long> reportedInOrder = new ConcurrentLinkedQueue<>();
    // The "peer": reads whatever was written, shown by answering requests in any order.
    LinkedBlockingQueue<Long> answers = new LinkedBlockingQueue<>();
    AtomicLong reportedRead = new AtomicLong(); // updated before the writer hears of it
    out.checkDirectWrites(reportedRead::get, MessageWriter.DIRECT_WRITE_LIMIT);
    Thread peer =
        new Thread(
            () -> {
              try {
                for (long end = answers.take(); end >= 0; end = answers.take()) {
                  reportedRead.accumulateAndGet(end, Math::max);
                  writer.consumedThrough(end);
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "contended-peer");
    peer.start();
    AtomicInteger refused = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread sender =
          new Thread(
              () -> {
                awaitQuietly(start);
                for (int i = 0; i < perThread; i++) {
                  String text = "{\"t\":" + id + ",\"i\":" + i + ",\"pad\":\"" + "x".repeat(i % 50) + "\"}";
                  boolean accepted;
                  if (i % 2 == 0) {
                    accepted = writer.send(bytes(text));
                  } else {
                    int slot = id * perThread + i;
                    accepted =
                        writer.send(
                            new RecordingOutgoing(
                                text,
                                (w, end) -> {
                                  writtenCalls.incrementAndGet(slot);
                                  endOffsets.set(slot, end);
                                  reportedInOrder.add(end);
                                  answers.add(end);
                                }));
                  }
                  if (!accepted) {
                    refused.incrementAndGet();
                  }
                }
              },
              "contended-sender-" + t);
      senders.add(sender);
      sender.start();
    }
    start.countDown();
    for (Thread sender : senders) {
      sender.join(30_000);
      assertThat(sender.isAlive()).isFalse();
    }
    answers.add(-1L);
    peer.join(10_000);
    closeAndAwait(writer);

    assertThat(refused).hasValue(0);
    List<String> lines = out.lines();
    assertThat(lines).hasSize(threads * perThread);
    assertPerSenderOrder(lines, threads, perThread);
    // Each Outgoing was told once, exactly where its line ends; byte[] messages were not told.
    long position = 0;
    for (String line : lines) {
      position += line.getBytes(StandardCharsets.UTF_8).length + 1;
      int t = line.charAt(5) - '0';
      int i = Integer.parseInt(line.substring(line.indexOf("\"i\":") + 4, line.indexOf(",\"pad\"")));
      int slot = t * perThread + i;
      if (i % 2 == 0) {
        assertThat(writtenCalls.get(slot)).isZero();
      } else {
        assertThat(writtenCalls.get(slot)).as("written() calls for %s", line).isEqualTo(1);
        assertThat(endOffsets.get(slot)).as("end offset of %s", line).isEqualTo(position);
      }
    }
    assertThat(position).isEqualTo(out.size());
    List<Long> reported = new ArrayList<>(reportedInOrder);
    assertThat(reported).hasSize(threads * perThread / 2).doesNotHaveDuplicates().isSorted();
    assertThat(out.directWritesOverLimit()).as("sender writes beyond what was known read + limit").isEmpty();
    // Both paths were taken: senders wrote themselves, and the writer thread wrote queued bursts.
    List<Write> writes = out.writes();
    assertThat(writes).filteredOn(w -> w.thread() == writerThread).isNotEmpty();
    assertThat(writes).filteredOn(w -> w.thread().getName().startsWith("contended-sender-")).isNotEmpty();
  }

  @Test
  void aFailedDirectWriteIsReportedOnceOnTheSendersThreadAndEndsTheWriter() throws Exception {
    ThreadRecordingStream out = new ThreadRecordingStream("failing-writer");
    ConcurrentLinkedQueue<Thread> reportedOn = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    MessageWriter writer =
        onKnownThread(
            out,
            e -> {
              reportedOn.add(Thread.currentThread());
              failures.add(e);
            });
    Thread writerThread = awaitIdle(writer, out);
    out.failWith(new IOException("Broken pipe"));

    // Small and the writer idle: this thread writes it, and the write fails here.
    assertThat(writer.send(bytes("first"))).isFalse();
    assertThat(failures).singleElement().satisfies(e -> assertThat(e).hasMessage("Broken pipe"));
    assertThat(reportedOn).containsExactly(Thread.currentThread());

    RecordingOutgoing late = new RecordingOutgoing("late");
    assertThat(writer.send(bytes("later"))).isFalse();
    assertThat(writer.send(late)).isFalse();
    assertThat(late.calls()).isEmpty();
    // The writer ends by itself, without close(): the stream is closed.
    writer.awaitTermination(10_000);
    assertThat(out.closed).isTrue();
    assertThat(writerThread.isAlive()).isTrue(); // a thread of the executor's, not the writer's
    assertThat(failures).hasSize(1);
  }

  @Test
  void aFailureRacingManySendersIsReportedExactlyOnceAndEndsTheWriter() throws Exception {
    for (int round = 0; round < 20; round++) {
      String name = "racing-failure-" + round;
      ThreadRecordingStream out = new ThreadRecordingStream(name);
      AtomicInteger failures = new AtomicInteger();
      MessageWriter writer = onKnownThread(out, e -> failures.incrementAndGet());
      Thread writerThread = awaitIdle(writer, out);
      out.failAfter(round % 5, new IOException("Broken pipe")); // on whichever thread writes then
      int threads = 4;
      CountDownLatch start = new CountDownLatch(1);
      AtomicReference<Throwable> unexpected = new AtomicReference<>();
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread sender =
            new Thread(
                () -> {
                  awaitQuietly(start);
                  try {
                    // Until refused. Read at once, so senders keep writing directly, racing the
                    // writer thread to fail.
                    for (int i = 0; ; i++) {
                      String text = id + ":" + i;
                      boolean ok =
                          i % 2 == 0
                              ? writer.send(bytes(text))
                              : writer.send(new RecordingOutgoing(text, (w, end) -> w.consumedThrough(end)));
                      if (!ok) {
                        break;
                      }
                    }
                  } catch (Throwable e) {
                    unexpected.set(e);
                  }
                },
                name + "-sender-" + t);
        senders.add(sender);
        sender.start();
      }
      start.countDown();
      for (Thread sender : senders) {
        sender.join(10_000);
        assertThat(sender.isAlive()).as("%s refused in the end", sender.getName()).isFalse();
      }
      writer.awaitTermination(10_000);
      assertThat(out.closed).isTrue();
      assertThat(unexpected.get()).isNull();
      assertThat(failures).hasValue(1);
    }
  }

  @Test
  void closeRacingSendersWritesExactlyTheAcceptedMessagesAndNothingAfterClosing() throws Exception {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int round = 0; round < 200; round++) {
      String name = "closing-writer-" + round;
      ThreadRecordingStream out = new ThreadRecordingStream(name);
      MessageWriter writer = new MessageWriter(out, name, e -> {});
      boolean reportReads = round % 2 == 0; // with reports, direct writes race close too
      int threads = 4;
      List<List<String>> accepted = new ArrayList<>();
      AtomicInteger acceptedCount = new AtomicInteger();
      AtomicReference<Throwable> unexpected = new AtomicReference<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        List<String> mine = new ArrayList<>();
        accepted.add(mine);
        Thread sender =
            new Thread(
                () -> {
                  awaitQuietly(start);
                  try {
                    for (int i = 0; i < 5_000; i++) { // mostly stopped by close() first
                      String text = id + ":" + i;
                      boolean ok =
                          i % 2 == 0
                              ? writer.send(bytes(text))
                              : writer.send(
                                  new RecordingOutgoing(
                                      text, (w, end) -> {
                                        if (reportReads) {
                                          w.consumedThrough(end);
                                        }
                                      }));
                      if (!ok) {
                        break;
                      }
                      mine.add(text);
                      acceptedCount.incrementAndGet();
                    }
                  } catch (Throwable e) {
                    unexpected.set(e);
                  }
                },
                name + "-sender-" + t);
        senders.add(sender);
        sender.start();
      }
      int closeAfter = random.nextInt(200);
      start.countDown();
      awaitUntil("messages accepted", () -> acceptedCount.get() >= closeAfter);
      writer.close();
      for (Thread sender : senders) {
        sender.join(10_000);
        assertThat(sender.isAlive()).as("%s refused after close", sender.getName()).isFalse();
      }
      writer.awaitTermination(10_000);
      assertThat(unexpected.get()).isNull();
      assertThat(out.closed).isTrue();
      assertThat(out.callsAfterClose).as("writes or flushes after the stream was closed").hasValue(0);
      // Every accepted message was written, in its sender's order, and no refused one.
      List<List<String>> written = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        written.add(new ArrayList<>());
      }
      for (String line : out.lines()) {
        written.get(line.charAt(0) - '0').add(line);
      }
      for (int t = 0; t < threads; t++) {
        assertThat(difference(accepted.get(t), written.get(t)))
            .as("round %d, sender %d: accepted (send returned true) vs written", round, t)
            .isNull();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Returns a writer to {@code out} whose drains run on a thread of the test's own, which {@code
   * out} knows as the writer thread (a single-thread executor, started now).
   */
  private static MessageWriter onKnownThread(ThreadRecordingStream out, Consumer<Throwable> onFailure) {
    AtomicReference<Thread> made = new AtomicReference<>();
    ThreadPoolExecutor drainer =
        new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
          Thread thread = new Thread(task, out.writerThreadName);
          thread.setDaemon(true);
          made.set(thread);
          return thread;
        });
    drainer.prestartCoreThread();
    out.writerThread = made.get();
    return new MessageWriter(out, out.writerThreadName, drainer, onFailure);
  }

  /** Waits until the writer has nothing queued and no drain queued or running; returns its thread. */
  private static Thread awaitIdle(MessageWriter writer, ThreadRecordingStream out) {
    awaitUntil("the writer idle", writer::isIdle);
    return java.util.Objects.requireNonNull(out.writerThread);
  }

  private static void sendIdle(MessageWriter writer, ThreadRecordingStream out, RecordingOutgoing message) {
    awaitIdle(writer, out);
    assertThat(writer.send(message)).isTrue();
  }

  private static void closeAndAwait(MessageWriter writer) throws InterruptedException {
    writer.close();
    writer.awaitTermination(10_000);
  }

  private static void awaitUntil(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      LockSupport.parkNanos(100_000);
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Where two lists first differ, or null if they are equal; short, unlike a full list diff. */
  private static @Nullable String difference(List<String> expected, List<String> actual) {
    for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
      String e = i < expected.size() ? expected.get(i) : null;
      String a = i < actual.size() ? actual.get(i) : null;
      if (e == null || !e.equals(a)) {
        return "at " + i + " of " + expected.size() + "/" + actual.size() + ": expected " + e + ", got " + a;
      }
    }
    return null;
  }

  /** Lines {"t":T,"i":I,...}: each whole, and each sender's in the order it sent them. */
  private static void assertPerSenderOrder(List<String> lines, int threads, int perThread) {
    int[] next = new int[threads];
    for (String line : lines) {
      assertThat(line).matches("\\{\"t\":\\d,\"i\":\\d+(,\"pad\":\"x*\")?}");
      int t = line.charAt(5) - '0';
      int from = line.indexOf("\"i\":") + 4;
      int end = line.indexOf(',', from);
      int i = Integer.parseInt(line.substring(from, end < 0 ? line.length() - 1 : end));
      assertThat(i).as("per-sender order").isEqualTo(next[t]++);
    }
    assertThat(next).containsOnly(perThread);
  }

  private record Write(Thread thread, String text) {}

  private record Written(MessageWriter writer, long endOffset, Thread thread) {}

  private record Gate(CountDownLatch entered, CountDownLatch release) {}

  /** An Outgoing message that records every written() call. */
  private static final class RecordingOutgoing implements MessageWriter.Outgoing {
    final String text;
    private final byte[] bytes;
    private final BiConsumer<MessageWriter, Long> onWritten;
    private final ConcurrentLinkedQueue<Written> calls = new ConcurrentLinkedQueue<>();

    RecordingOutgoing(String text) {
      this(text, (w, end) -> {});
    }

    RecordingOutgoing(String text, BiConsumer<MessageWriter, Long> onWritten) {
      this.text = text;
      this.bytes = MessageWriterTest.bytes(text);
      this.onWritten = onWritten;
    }

    @Override
    public byte[] bytes() {
      return bytes;
    }

    @Override
    public void written(MessageWriter writer, long endOffset) {
      calls.add(new Written(writer, endOffset, Thread.currentThread()));
      onWritten.accept(writer, endOffset);
    }

    List<Written> calls() {
      return List.copyOf(calls);
    }

    long end() {
      assertThat(calls).hasSize(1);
      return calls.peek().endOffset();
    }
  }

  /**
   * Records what reaches the stream and which thread wrote or flushed it; can hold the writer
   * thread inside a write (a full pipe), fail writes, and notes any use after close.
   */
  private static final class ThreadRecordingStream extends OutputStream {
    final String writerThreadName;
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private final List<Write> writes = new ArrayList<>();
    private final AtomicInteger writesLeftBeforeFailing = new AtomicInteger(Integer.MAX_VALUE);
    private volatile @Nullable Throwable failure;
    private volatile @Nullable Gate gate;
    private volatile @Nullable Thread lastFlusher;
    private volatile @Nullable LongSupplier knownRead;
    private int directWriteLimit;
    private final List<String> directWritesOverLimit = new ArrayList<>();
    volatile @Nullable Thread writerThread;
    volatile boolean closed;
    final AtomicInteger callsAfterClose = new AtomicInteger();

    ThreadRecordingStream(String writerThreadName) {
      this.writerThreadName = writerThreadName;
    }

    Gate holdWriterThread() {
      Gate held = new Gate(new CountDownLatch(1), new CountDownLatch(1));
      gate = held;
      return held;
    }

    /**
     * Notes every write by a thread other than the writer thread (a direct write) that leaves more
     * than {@code limit} bytes beyond {@code knownRead} in the stream.
     */
    void checkDirectWrites(LongSupplier knownRead, int limit) {
      this.directWriteLimit = limit;
      this.knownRead = knownRead;
    }

    synchronized List<String> directWritesOverLimit() {
      return List.copyOf(directWritesOverLimit);
    }

    void failWith(Throwable e) {
      failAfter(0, e);
    }

    void failAfter(int writes, Throwable e) {
      failure = e;
      writesLeftBeforeFailing.set(writes);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Thread me = noteCaller();
      Throwable fail = failure;
      if (fail != null && writesLeftBeforeFailing.getAndDecrement() <= 0) {
        if (fail instanceof IOException io) {
          throw io;
        }
        throw (Error) fail;
      }
      Gate held = gate;
      if (held != null && me == writerThread) {
        held.entered.countDown();
        try {
          held.release.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      synchronized (this) {
        data.write(b, off, len);
        writes.add(new Write(me, new String(b, off, len, StandardCharsets.UTF_8)));
        LongSupplier read = knownRead;
        if (read != null && me != writerThread) {
          long unread = data.size() - read.getAsLong();
          if (unread > directWriteLimit) {
            directWritesOverLimit.add(me.getName() + " left " + unread + " bytes unread");
          }
        }
      }
    }

    @Override
    public void flush() {
      lastFlusher = noteCaller();
    }

    @Override
    public void close() {
      closed = true;
    }

    private Thread noteCaller() {
      Thread me = Thread.currentThread();
      if (closed) {
        callsAfterClose.incrementAndGet();
      }
      if (writerThread == null && me.getName().equals(writerThreadName)) {
        writerThread = me;
      }
      return me;
    }

    synchronized long size() {
      return data.size();
    }

    synchronized byte[] data() {
      return data.toByteArray();
    }

    synchronized List<Write> writes() {
      return List.copyOf(writes);
    }

    synchronized List<Write> writesBy(Thread thread) {
      return writes.stream().filter(w -> w.thread() == thread).toList();
    }

    synchronized @Nullable Write lastWrite() {
      return writes.isEmpty() ? null : writes.get(writes.size() - 1);
    }

    @Nullable Thread lastFlusher() {
      return lastFlusher;
    }

    synchronized List<String> lines() {
      String all = data.toString(StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>(List.of(all.split("\n", -1)));
      lines.remove(lines.size() - 1); // after the last line break
      return lines;
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
