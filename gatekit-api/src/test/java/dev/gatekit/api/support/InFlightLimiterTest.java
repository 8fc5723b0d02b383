package dev.gatekit.api.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.support.InFlightLimiter.Admission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class InFlightLimiterTest {

  private static InFlightLimiter limiter(int limit, OverflowPolicy policy, int maxQueued) {
    return new InFlightLimiter(
        TransportOptions.builder()
            .maxInFlight(limit)
            .overflowPolicy(policy)
            .maxQueued(maxQueued)
            .build());
  }

  /** An action that records its name when it runs, and checks the limiter never exceeds its limit. */
  private static final class Recorder {
    final List<String> ran = Collections.synchronizedList(new ArrayList<>());
    final InFlightLimiter limiter;
    final int limit;

    Recorder(InFlightLimiter limiter, int limit) {
      this.limiter = limiter;
      this.limit = limit;
    }

    InFlightLimiter.Action action(String name) {
      return () -> {
        assertThat(limiter.inFlight()).as("in flight while %s runs", name).isBetween(1, limit);
        ran.add(name);
        return true;
      };
    }
  }

  @Test
  @DisplayName("REJECT runs actions up to the limit on the caller's thread and refuses the rest")
  void rejectRefusesPastLimit() {
    InFlightLimiter limiter = limiter(2, OverflowPolicy.REJECT, 10);
    Recorder recorder = new Recorder(limiter, 2);
    Thread caller = Thread.currentThread();
    AtomicInteger onCaller = new AtomicInteger();

    assertThat(limiter.admit(() -> onCaller.addAndGet(Thread.currentThread() == caller ? 1 : 0) >= 0))
        .isEqualTo(Admission.RAN);
    assertThat(limiter.admit(recorder.action("b"))).isEqualTo(Admission.RAN);
    assertThat(limiter.admit(recorder.action("c"))).isEqualTo(Admission.REJECTED);
    assertThat(limiter.admit(recorder.action("d"))).isEqualTo(Admission.REJECTED);

    assertThat(onCaller).hasValue(1);
    assertThat(recorder.ran).containsExactly("b");
    assertThat(limiter.inFlight()).isEqualTo(2);
    assertThat(limiter.queued()).isZero();

    limiter.release();
    assertThat(limiter.inFlight()).isEqualTo(1);
    assertThat(limiter.admit(recorder.action("e"))).isEqualTo(Admission.RAN);
    assertThat(recorder.ran).containsExactly("b", "e");
    assertThat(limiter.inFlight()).isEqualTo(2);
  }

  @Test
  @DisplayName("QUEUE runs queued actions in arrival order as slots are released, never past the limit")
  void queueRunsFifoOnRelease() {
    InFlightLimiter limiter = limiter(2, OverflowPolicy.QUEUE, 10);
    Recorder recorder = new Recorder(limiter, 2);

    assertThat(limiter.admit(recorder.action("r1"))).isEqualTo(Admission.RAN);
    assertThat(limiter.admit(recorder.action("r2"))).isEqualTo(Admission.RAN);
    for (int i = 1; i <= 5; i++) {
      assertThat(limiter.admit(recorder.action("q" + i))).isEqualTo(Admission.QUEUED);
    }
    assertThat(recorder.ran).containsExactly("r1", "r2");
    assertThat(limiter.queued()).isEqualTo(5);
    assertThat(limiter.inFlight()).isEqualTo(2);

    for (int i = 1; i <= 5; i++) {
      limiter.release();
      assertThat(limiter.inFlight()).as("the slot passes to the queued action").isEqualTo(2);
      assertThat(limiter.queued()).isEqualTo(5 - i);
    }
    assertThat(recorder.ran).containsExactly("r1", "r2", "q1", "q2", "q3", "q4", "q5");

    limiter.release();
    limiter.release();
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.maxInFlight()).isEqualTo(2);
  }

  @Test
  @DisplayName("a queued action runs on the thread that releases the slot")
  void queuedActionRunsOnReleasingThread() throws InterruptedException {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 1);
    List<Thread> ranOn = Collections.synchronizedList(new ArrayList<>());
    limiter.admit(() -> true);
    limiter.admit(() -> ranOn.add(Thread.currentThread()));

    Thread releaser = new Thread(limiter::release, "releaser");
    releaser.start();
    releaser.join();

    assertThat(ranOn).containsExactly(releaser);
  }

  @Test
  @DisplayName("a full queue refuses further actions")
  void queueBoundRespected() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 2);
    Recorder recorder = new Recorder(limiter, 1);

    assertThat(limiter.admit(recorder.action("a"))).isEqualTo(Admission.RAN);
    assertThat(limiter.admit(recorder.action("b"))).isEqualTo(Admission.QUEUED);
    assertThat(limiter.admit(recorder.action("c"))).isEqualTo(Admission.QUEUED);
    assertThat(limiter.admit(recorder.action("d"))).isEqualTo(Admission.REJECTED);
    assertThat(limiter.queued()).isEqualTo(2);

    limiter.release(); // b takes the slot, freeing a place in the queue
    assertThat(limiter.admit(recorder.action("e"))).isEqualTo(Admission.QUEUED);
    assertThat(limiter.admit(recorder.action("f"))).isEqualTo(Admission.REJECTED);

    limiter.release();
    limiter.release();
    limiter.release();
    assertThat(recorder.ran).containsExactly("a", "b", "c", "e");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.queued()).isZero();
  }

  @Test
  @DisplayName("QUEUE with a queue of 0 behaves like REJECT")
  void zeroQueue() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 0);

    assertThat(limiter.admit(() -> true)).isEqualTo(Admission.RAN);
    assertThat(limiter.admit(() -> true)).isEqualTo(Admission.REJECTED);
    assertThat(limiter.queued()).isZero();
  }

  @Test
  @DisplayName("a withdrawn queued action never runs and owes no release")
  void withdrawQueued() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 5);
    Recorder recorder = new Recorder(limiter, 1);
    InFlightLimiter.Action first = recorder.action("first");
    InFlightLimiter.Action waiting = recorder.action("waiting");
    InFlightLimiter.Action other = recorder.action("other");
    limiter.admit(first);
    limiter.admit(waiting);
    limiter.admit(other);

    assertThat(limiter.withdraw(waiting)).isTrue();
    assertThat(limiter.queued()).isEqualTo(1);
    assertThat(limiter.withdraw(waiting)).as("already withdrawn").isFalse();
    assertThat(limiter.withdraw(first)).as("already ran").isFalse();
    assertThat(limiter.withdraw(() -> true)).as("never offered").isFalse();

    limiter.release();
    limiter.release();

    assertThat(recorder.ran).containsExactly("first", "other");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.queued()).isZero();
  }

  @Test
  @DisplayName("withdraw after the action was handed a slot returns false; the action then owes a release")
  void withdrawAfterRun() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 5);
    InFlightLimiter.Action queued = () -> true;
    limiter.admit(() -> true);
    limiter.admit(queued);
    limiter.release();

    assertThat(limiter.withdraw(queued)).isFalse();
    assertThat(limiter.inFlight()).isEqualTo(1);
    limiter.release();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  @DisplayName("drainQueue returns every queued action in order and runs none of them")
  void drainQueue() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 5);
    Recorder recorder = new Recorder(limiter, 1);
    limiter.admit(recorder.action("running"));
    InFlightLimiter.Action a = recorder.action("a");
    InFlightLimiter.Action b = recorder.action("b");
    InFlightLimiter.Action c = recorder.action("c");
    limiter.admit(a);
    limiter.admit(b);
    limiter.admit(c);

    List<InFlightLimiter.Action> drained = limiter.drainQueue();

    assertThat(drained).containsExactly(a, b, c);
    assertThat(limiter.queued()).isZero();
    assertThat(limiter.inFlight()).isEqualTo(1);
    assertThat(limiter.drainQueue()).isEmpty();
    limiter.release();
    assertThat(recorder.ran).containsExactly("running");
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  @DisplayName("release without a matching admission throws")
  void releaseWithoutAdmissionThrows() {
    InFlightLimiter limiter = limiter(2, OverflowPolicy.QUEUE, 5);

    assertThatThrownBy(limiter::release)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without a matching admission");

    limiter.admit(() -> true);
    limiter.release();
    assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  @DisplayName("a refused action owes no release")
  void rejectedOwesNothing() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.REJECT, 0);
    limiter.admit(() -> true);
    limiter.admit(() -> true);

    limiter.release();

    assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class);
  }

  @Test
  @DisplayName("actions that finish at once decline their slot, which passes down the queue")
  void synchronousCompletion() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 10);
    List<String> ran = new ArrayList<>();
    limiter.admit(() -> ran.add("blocker"));
    for (int i = 0; i < 5; i++) {
      String name = "sync" + i;
      limiter.admit(
          () -> {
            ran.add(name);
            return false; // declines: the slot goes on to the next, in the limiter's loop
          });
    }

    limiter.release();

    assertThat(ran).containsExactly("blocker", "sync0", "sync1", "sync2", "sync3", "sync4");
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.queued()).isZero();
    assertThat(limiter.admit(() -> false)).isEqualTo(Admission.RAN);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  @DisplayName("maxInFlight is the high-water mark of admitted actions")
  void highWaterMark() {
    InFlightLimiter limiter = limiter(5, OverflowPolicy.REJECT, 0);
    assertThat(limiter.maxInFlight()).isZero();

    limiter.admit(() -> true);
    limiter.admit(() -> true);
    limiter.admit(() -> true);
    limiter.release();
    limiter.release();
    limiter.admit(() -> true);

    assertThat(limiter.inFlight()).isEqualTo(2);
    assertThat(limiter.maxInFlight()).isEqualTo(3);
  }

  @Test
  @DisplayName("actions that decline their slot hand it on in a loop: 100,000 of them do not overflow the stack")
  void decliningActionsHandTheSlotOnWithoutRecursion() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.QUEUE, 200_000);
    assertThat(limiter.admit(() -> true)).isEqualTo(Admission.RAN);
    AtomicInteger declined = new AtomicInteger();
    for (int i = 0; i < 100_000; i++) {
      limiter.admit(() -> declined.incrementAndGet() < 0);
    }
    List<String> last = new ArrayList<>();
    limiter.admit(() -> last.add("kept"));
    limiter.release();
    assertThat(declined).hasValue(100_000);
    assertThat(last).containsExactly("kept");
    assertThat(limiter.inFlight()).isEqualTo(1);
    assertThat(limiter.queued()).isZero();
    limiter.release();
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  @DisplayName("an action that declines when admitted directly frees its slot")
  void anActionDecliningAtAdmissionFreesItsSlot() {
    InFlightLimiter limiter = limiter(1, OverflowPolicy.REJECT, 0);
    assertThat(limiter.admit(() -> false)).isEqualTo(Admission.RAN);
    assertThat(limiter.inFlight()).isZero();
    assertThat(limiter.admit(() -> true)).isEqualTo(Admission.RAN);
  }
}
