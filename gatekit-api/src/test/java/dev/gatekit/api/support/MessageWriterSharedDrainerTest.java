package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link MessageWriter}s whose drains run on an executor shared by many writers. */
class MessageWriterSharedDrainerTest {

  private final List<ExecutorService> pools = new ArrayList<>();

  @AfterEach
  void shutDownPools() {
    pools.forEach(ExecutorService::shutdownNow);
  }

  @Test
  void anIdleWriterWithAThreadOfItsOwnHoldsNoThreadAndItsThreadEndsWithIt() throws Exception {
    String name = "lazy-own-writer-" + System.nanoTime();
    Stream out = new Stream();
    MessageWriter writer = new MessageWriter(out, name, e -> {});
    assertThat(writer.send(bytes("small"))).isTrue(); // written directly by this thread
    assertThat(threadsNamed(name)).isZero();

    assertThat(writer.send(new byte[MessageWriter.DIRECT_WRITE_LIMIT])).isTrue(); // over the limit: queued
    awaitUntil("the queued message written", () -> out.lines().size() == 2);
    assertThat(out.threads).extracting(Thread::getName).contains(name);
    writer.close();
    writer.awaitTermination(10_000);
    assertThat(out.closed).isTrue();
    awaitUntil("the writer's thread ended", () -> threadsNamed(name) == 0);
  }

  @Test
  void manyWritersOnTwoThreadsKeepEverySendersOrderAndNeverInterleave() throws Exception {
    ThreadPoolExecutor pool = pool(2);
    int writers = 40;
    int senders = 4;
    int perSender = 2_000;
    List<Stream> streams = new ArrayList<>();
    List<MessageWriter> all = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    for (int w = 0; w < writers; w++) {
      Stream out = new Stream();
      streams.add(out);
      all.add(new MessageWriter(out, "shared-" + w, pool, failures::add));
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> unexpected = new AtomicReference<>();
    for (int s = 0; s < senders; s++) {
      int id = s;
      Thread sender = new Thread(() -> {
        try {
          start.await();
          ThreadLocalRandom random = ThreadLocalRandom.current();
          for (int i = 0; i < perSender; i++) {
            // Every writer gets every message of every sender, some of them too big to write directly.
            String pad = random.nextInt(10) == 0 ? "x".repeat(5_000) : "";
            for (MessageWriter writer : all) {
              if (!writer.send(bytes(id + ":" + i + ":" + pad))) {
                throw new AssertionError("refused");
              }
            }
          }
        } catch (Throwable e) {
          unexpected.set(e);
        }
      }, "shared-sender-" + s);
      threads.add(sender);
      sender.start();
    }
    start.countDown();
    for (Thread sender : threads) {
      sender.join(60_000);
      assertThat(sender.isAlive()).isFalse();
    }
    assertThat(unexpected.get()).isNull();
    all.forEach(MessageWriter::close);
    for (MessageWriter writer : all) {
      writer.awaitTermination(10_000);
    }
    assertThat(failures).isEmpty();
    for (Stream out : streams) {
      assertThat(out.closed).isTrue();
      List<String> lines = out.lines();
      assertThat(lines).hasSize(senders * perSender);
      int[] next = new int[senders];
      for (String line : lines) {
        String[] parts = line.split(":", -1);
        assertThat(parts).hasSize(3);
        int sender = Integer.parseInt(parts[0]);
        assertThat(Integer.parseInt(parts[1])).as("per-sender order").isEqualTo(next[sender]++);
        assertThat(parts[2]).matches("(x{5000})?");
      }
      // Batched: one flush per drained batch, not one per message.
      assertThat(out.flushes.get()).isLessThan(senders * perSender);
    }
    assertThat(pool.getLargestPoolSize()).isEqualTo(2);
  }

  @Test
  void aWriterStuckOnAFullPipeHoldsOneThreadAndOnlyWritersQueuedBehindItWait() throws Exception {
    ThreadPoolExecutor single = pool(1);
    Stream stuckOut = new Stream();
    CountDownLatch release = stuckOut.holdWrites();
    MessageWriter stuck = new MessageWriter(stuckOut, "stuck", single, e -> {});
    Stream otherOut = new Stream();
    MessageWriter other = new MessageWriter(otherOut, "other", single, e -> {});

    byte[] big = new byte[MessageWriter.DIRECT_WRITE_LIMIT]; // too big to write directly: queued
    assertThat(stuck.send(big)).isTrue(); // returns at once: the caller only enqueues
    awaitUntil("the drain blocked in its write", () -> stuckOut.held.getCount() == 0);
    // With one thread, the other writer's drain waits in the pool's queue behind the blocked write...
    assertThat(other.send(big)).isTrue();
    awaitUntil("the other drain queued", () -> single.getQueue().size() == 1);
    assertThat(otherOut.lines()).isEmpty();
    // ...and is written once the pipe takes the stuck write.
    release.countDown();
    awaitUntil("the other writer's message written", () -> otherOut.lines().size() == 1);
    awaitUntil("the stuck writer's message written", () -> stuckOut.lines().size() == 1);

    // With a thread to spare, a writer never waits for another's blocked write.
    ThreadPoolExecutor two = pool(2);
    Stream stuckAgain = new Stream();
    CountDownLatch releaseAgain = stuckAgain.holdWrites();
    MessageWriter stuck2 = new MessageWriter(stuckAgain, "stuck-2", two, e -> {});
    Stream freeOut = new Stream();
    MessageWriter free = new MessageWriter(freeOut, "free", two, e -> {});
    assertThat(stuck2.send(big)).isTrue();
    awaitUntil("the drain blocked in its write", () -> stuckAgain.held.getCount() == 0);
    for (int i = 0; i < 100; i++) {
      assertThat(stuck2.send(bytes("queued behind " + i))).isTrue(); // queued, never blocks
      assertThat(free.send(big)).isTrue();
    }
    awaitUntil("the free writer's messages written", () -> freeOut.lines().size() == 100);
    assertThat(stuckAgain.lines()).isEmpty();
    releaseAgain.countDown();
    awaitUntil("the stuck writer's messages written", () -> stuckAgain.lines().size() == 101);
    assertThat(stuckAgain.lines().get(100)).isEqualTo("queued behind 99");
  }

  @Test
  void anExecutorThatRefusesTheDrainFailsTheWriterOnce() throws Exception {
    Stream out = new Stream();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger offered = new AtomicInteger();
    MessageWriter writer = new MessageWriter(out, "refused", task -> {
      offered.incrementAndGet();
      throw new RejectedExecutionException("shut down");
    }, failures::add);
    assertThat(writer.send(bytes("direct"))).isTrue(); // small: written by this thread, no drain needed
    writer.send(new byte[MessageWriter.DIRECT_WRITE_LIMIT]);
    assertThat(failures).singleElement().isInstanceOf(RejectedExecutionException.class);
    assertThat(writer.send(new byte[MessageWriter.DIRECT_WRITE_LIMIT])).isFalse();
    assertThat(writer.send(bytes("late"))).isFalse();
    writer.close();
    writer.awaitTermination(10_000);
    assertThat(offered).hasValue(1);
    assertThat(out.closed).isTrue();
    assertThat(out.lines()).containsExactly("direct");
  }

  @Test
  void aFailingStreamIsReportedOnceOnAPoolThreadAndEndsOnlyItsWriter() throws Exception {
    ThreadPoolExecutor pool = pool(2);
    for (int round = 0; round < 50; round++) {
      Stream failing = new Stream();
      failing.failAfter(round % 4);
      Stream healthy = new Stream();
      ConcurrentLinkedQueue<Thread> reportedOn = new ConcurrentLinkedQueue<>();
      MessageWriter bad = new MessageWriter(failing, "bad", pool, e -> reportedOn.add(Thread.currentThread()));
      MessageWriter good = new MessageWriter(healthy, "good", pool, e -> {
        throw new AssertionError("the healthy writer failed", e);
      });
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        Thread sender = new Thread(() -> {
          for (int i = 0; i < 200; i++) {
            bad.send(new byte[MessageWriter.DIRECT_WRITE_LIMIT]); // queued: a pool thread writes it
            good.send(bytes("ok"));
          }
        });
        senders.add(sender);
        sender.start();
      }
      for (Thread sender : senders) {
        sender.join(10_000);
      }
      bad.awaitTermination(10_000);
      assertThat(reportedOn).hasSize(1);
      assertThat(reportedOn.peek().getName()).startsWith("pool-");
      assertThat(failing.closed).isTrue();
      assertThat(bad.send(bytes("late"))).isFalse();
      good.close();
      good.awaitTermination(10_000);
      assertThat(healthy.lines()).hasSize(600).containsOnly("ok");
    }
  }

  @Test
  void closeRacingSendsOnASharedPoolWritesExactlyTheAcceptedMessages() throws Exception {
    ThreadPoolExecutor pool = pool(2);
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int round = 0; round < 100; round++) {
      Stream out = new Stream();
      MessageWriter writer = new MessageWriter(out, "closing-" + round, pool, e -> {});
      int threads = 3;
      List<ConcurrentLinkedQueue<String>> accepted = new ArrayList<>();
      AtomicInteger count = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        ConcurrentLinkedQueue<String> mine = new ConcurrentLinkedQueue<>();
        accepted.add(mine);
        Thread sender = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < 5_000; i++) {
            String text = id + ":" + i + (i % 7 == 0 ? ":" + "y".repeat(5_000) : "");
            if (!writer.send(bytes(text))) {
              return;
            }
            mine.add(text);
            count.incrementAndGet();
          }
        });
        senders.add(sender);
        sender.start();
      }
      int closeAfter = random.nextInt(300);
      start.countDown();
      awaitUntil("messages accepted", () -> count.get() >= closeAfter);
      writer.close();
      for (Thread sender : senders) {
        sender.join(10_000);
        assertThat(sender.isAlive()).isFalse();
      }
      writer.awaitTermination(10_000);
      assertThat(out.closed).isTrue();
      assertThat(out.callsAfterClose).hasValue(0);
      List<List<String>> written = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        written.add(new ArrayList<>());
      }
      for (String line : out.lines()) {
        written.get(line.charAt(0) - '0').add(line);
      }
      for (int t = 0; t < threads; t++) {
        assertThat(written.get(t)).as("round %d, sender %d", round, t).containsExactlyElementsOf(accepted.get(t));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  private ThreadPoolExecutor pool(int threads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
    pools.add(pool);
    return pool;
  }

  private static long threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && t.getName().equals(name)).count();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void awaitUntil(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out waiting for: " + what);
      }
      Thread.sleep(1); // polling a condition, not waiting a fixed time
    }
  }

  /** Records lines, flushes and writing threads; can hold writes (a full pipe) or fail them. */
  private static final class Stream extends OutputStream {
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger callsAfterClose = new AtomicInteger();
    private final AtomicInteger writesBeforeFailing = new AtomicInteger(Integer.MAX_VALUE);
    volatile CountDownLatch held = new CountDownLatch(1);
    private volatile CountDownLatch release = new CountDownLatch(0);
    volatile boolean closed;

    /** Holds the next writes until the returned latch is counted down; {@link #held} tells when one is held. */
    CountDownLatch holdWrites() {
      held = new CountDownLatch(1);
      release = new CountDownLatch(1);
      return release;
    }

    void failAfter(int writes) {
      writesBeforeFailing.set(writes);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        callsAfterClose.incrementAndGet();
      }
      threads.add(Thread.currentThread());
      if (writesBeforeFailing.getAndDecrement() <= 0) {
        throw new IOException("Broken pipe");
      }
      held.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      synchronized (this) {
        data.write(b, off, len);
      }
    }

    @Override
    public void flush() {
      if (closed) {
        callsAfterClose.incrementAndGet();
      }
      flushes.incrementAndGet();
    }

    @Override
    public void close() {
      closed = true;
    }

    synchronized List<String> lines() {
      String all = data.toString(StandardCharsets.UTF_8);
      List<String> lines = new ArrayList<>(List.of(all.split("\n", -1)));
      lines.remove(lines.size() - 1);
      return lines;
    }
  }
}
