package dev.gatekit.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OrderedHandOffTest {

  private static ClientCall call(long id) {
    return new ClientCall(new JsonRpcRequest(RequestId.of(id), "tools/call", null));
  }

  private static long idOf(ClientCall call) {
    return ((RequestId.NumberId) call.request.id()).value();
  }

  @Test
  void aRequestWithNothingBeforeItIsHandedOverAtOnceOnTheCallingThread() {
    Backlog backlog = new Backlog();
    List<Thread> threads = new ArrayList<>();
    OrderedHandOff handOff = new OrderedHandOff(c -> threads.add(Thread.currentThread()), backlog);
    handOff.submit(call(1), CompletableFuture.completedFuture(null));
    assertThat(threads).containsExactly(Thread.currentThread());
    assertThat(handOff.isIdle()).isTrue();
    assertThat(backlog.size()).isZero();
  }

  @Test
  void requestsBehindANotificationWaitForItAndThenGoInOrder() {
    Backlog backlog = new Backlog();
    List<Long> handedOver = new ArrayList<>();
    OrderedHandOff handOff = new OrderedHandOff(c -> handedOver.add(idOf(c)), backlog);
    CompletableFuture<Void> notification = new CompletableFuture<>();
    handOff.submit(call(1), notification);
    handOff.submit(call(2), CompletableFuture.completedFuture(null)); // sent after: must not pass 1
    assertThat(handedOver).isEmpty();
    assertThat(handOff.isIdle()).isFalse();
    assertThat(backlog.size()).isEqualTo(2);

    notification.complete(null);
    assertThat(handedOver).containsExactly(1L, 2L);
    assertThat(handOff.isIdle()).isTrue();
    assertThat(backlog.size()).isZero();
  }

  /**
   * One thread takes requests, every few of them behind a new notification that another thread
   * completes a little later, while the pool drains: every request is handed over exactly once, in
   * the order taken, never before its notification, and a queue of tens of thousands never overflows
   * the stack.
   */
  @Test
  void underContentionEveryRequestIsHandedOverOnceInOrderAndNeverBeforeItsNotification() throws Exception {
    int requests = 50_000;
    Backlog backlog = new Backlog();
    List<Long> handedOver = new ArrayList<>();
    AtomicInteger early = new AtomicInteger();
    List<CompletableFuture<Void>> notifications = new ArrayList<>();
    ExecutorService lane = Executors.newSingleThreadExecutor();
    try {
      OrderedHandOff handOff = new OrderedHandOff(c -> {
        synchronized (handedOver) {
          if (!notifications.get((int) idOf(c)).isDone()) {
            early.incrementAndGet();
          }
          handedOver.add(idOf(c));
        }
      }, backlog);
      CompletableFuture<Void> current = CompletableFuture.completedFuture(null);
      for (int i = 0; i < requests; i++) {
        if (ThreadLocalRandom.current().nextInt(7) == 0) {
          CompletableFuture<Void> next = new CompletableFuture<>();
          lane.execute(() -> {
            if (ThreadLocalRandom.current().nextBoolean()) {
              Thread.yield();
            }
            next.complete(null);
          });
          current = next;
        }
        synchronized (handedOver) {
          notifications.add(current);
        }
        handOff.submit(call(i), current);
      }
      lane.shutdown();
      assertThat(lane.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
      assertThat(handOff.isIdle()).isTrue();
      synchronized (handedOver) {
        assertThat(handedOver).hasSize(requests);
        for (int i = 0; i < requests; i++) {
          assertThat(handedOver.get(i)).isEqualTo(i);
        }
      }
      assertThat(early).hasValue(0);
      assertThat(backlog.size()).isZero();
    } finally {
      lane.shutdownNow();
    }
  }
}
