package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void aTaskThatThrowsAnErrorDoesNotStallTheLane() throws Exception {
    SerialExecutor lane = new SerialExecutor(pool);
    List<String> ran = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    lane.execute(() -> ran.add("first"));
    lane.execute(() -> {
      throw new StackOverflowError("injected");
    });
    lane.execute(() -> ran.add("after the error"));
    lane.execute(done::countDown);
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(ran).containsExactly("first", "after the error");
  }

  @Test
  void aDelegateThatFailsWithAnErrorLeavesTheLaneUsable() throws Exception {
    boolean[] fail = {true};
    SerialExecutor lane =
        new SerialExecutor(
            task -> {
              if (fail[0]) {
                fail[0] = false;
                throw new StackOverflowError("injected");
              }
              pool.execute(task);
            });
    assertThatThrownBy(() -> lane.execute(() -> {})).isInstanceOf(StackOverflowError.class);
    assertThat(lane.isIdle()).isTrue();
    CountDownLatch ran = new CountDownLatch(1);
    lane.execute(ran::countDown);
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
