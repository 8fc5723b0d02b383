package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TransportOptionsTest {

  @Test
  @DisplayName("defaults: 100 in flight, REJECT, 60 s timeout, queue of 1000")
  void defaults() {
    TransportOptions options = TransportOptions.defaults();

    assertThat(options.maxInFlight()).isEqualTo(100).isEqualTo(TransportOptions.DEFAULT_MAX_IN_FLIGHT);
    assertThat(options.overflowPolicy()).isEqualTo(OverflowPolicy.REJECT);
    assertThat(options.requestTimeout())
        .isEqualTo(Duration.ofSeconds(60))
        .isEqualTo(TransportOptions.DEFAULT_REQUEST_TIMEOUT);
    assertThat(options.maxQueued()).isEqualTo(1000).isEqualTo(TransportOptions.DEFAULT_MAX_QUEUED);
    assertThat(TransportOptions.builder().build()).isEqualTo(options);
  }

  @Test
  @DisplayName("the builder sets every option")
  void builderSetsEverything() {
    TransportOptions options =
        TransportOptions.builder()
            .maxInFlight(4)
            .overflowPolicy(OverflowPolicy.QUEUE)
            .maxQueued(0)
            .requestTimeout(Duration.ofMillis(1))
            .build();

    assertThat(options.maxInFlight()).isEqualTo(4);
    assertThat(options.overflowPolicy()).isEqualTo(OverflowPolicy.QUEUE);
    assertThat(options.maxQueued()).isZero();
    assertThat(options.requestTimeout()).isEqualTo(Duration.ofMillis(1));
  }

  @Test
  @DisplayName("maxInFlight below 1 is refused, naming the value")
  void maxInFlightValidated() {
    assertThatThrownBy(() -> TransportOptions.builder().maxInFlight(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxInFlight")
        .hasMessageContaining("0");
    assertThatThrownBy(() -> TransportOptions.builder().maxInFlight(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-5");
    assertThat(TransportOptions.builder().maxInFlight(1).build().maxInFlight()).isEqualTo(1);
  }

  @Test
  @DisplayName("a negative maxQueued is refused; zero is allowed")
  void maxQueuedValidated() {
    assertThatThrownBy(() -> TransportOptions.builder().maxQueued(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxQueued");
    assertThat(TransportOptions.builder().maxQueued(0).build().maxQueued()).isZero();
  }

  @Test
  @DisplayName("a zero, negative or null request timeout is refused")
  void requestTimeoutValidated() {
    assertThatThrownBy(() -> TransportOptions.builder().requestTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("requestTimeout");
    assertThatThrownBy(() -> TransportOptions.builder().requestTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TransportOptions.builder().requestTimeout(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  @DisplayName("a null overflow policy is refused")
  void overflowPolicyValidated() {
    assertThatThrownBy(() -> TransportOptions.builder().overflowPolicy(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  @DisplayName("a failed setter leaves the builder's earlier value in place")
  void failedSetterKeepsValue() {
    TransportOptions.Builder builder = TransportOptions.builder().maxInFlight(7);
    assertThatThrownBy(() -> builder.maxInFlight(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(builder.build().maxInFlight()).isEqualTo(7);
  }

  @Test
  @DisplayName("toBuilder round-trips, and changing the copy leaves the original alone")
  void toBuilderRoundTrip() {
    TransportOptions original =
        TransportOptions.builder()
            .maxInFlight(3)
            .overflowPolicy(OverflowPolicy.QUEUE)
            .maxQueued(17)
            .requestTimeout(Duration.ofMillis(1500))
            .build();

    assertThat(original.toBuilder().build()).isEqualTo(original).hasSameHashCodeAs(original);

    TransportOptions changed = original.toBuilder().maxInFlight(9).build();
    assertThat(changed.maxInFlight()).isEqualTo(9);
    assertThat(changed.overflowPolicy()).isEqualTo(OverflowPolicy.QUEUE);
    assertThat(changed.maxQueued()).isEqualTo(17);
    assertThat(changed.requestTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(original.maxInFlight()).isEqualTo(3);
  }

  @Test
  @DisplayName("equals and hashCode consider every option")
  void equalsAndHashCode() {
    TransportOptions base = TransportOptions.defaults();

    assertThat(base).isEqualTo(TransportOptions.builder().build());
    assertThat(base.hashCode()).isEqualTo(TransportOptions.builder().build().hashCode());
    assertThat(base).isNotEqualTo(base.toBuilder().maxInFlight(99).build());
    assertThat(base).isNotEqualTo(base.toBuilder().overflowPolicy(OverflowPolicy.QUEUE).build());
    assertThat(base).isNotEqualTo(base.toBuilder().maxQueued(999).build());
    assertThat(base).isNotEqualTo(base.toBuilder().requestTimeout(Duration.ofSeconds(61)).build());
    assertThat(base).isNotEqualTo(null).isNotEqualTo("TransportOptions");
    assertThat(base.toBuilder().requestTimeout(Duration.ofMillis(60_000)).build()).isEqualTo(base);
  }

  @Test
  @DisplayName("toString shows every option")
  void toStringShowsOptions() {
    assertThat(TransportOptions.defaults().toString())
        .contains("maxInFlight=100", "overflowPolicy=REJECT", "maxQueued=1000", "requestTimeout=PT1M");
  }

  @Test
  @DisplayName("under REJECT the overloaded message names the limit and how to raise it or queue")
  void overloadedMessageReject() {
    String message = TransportOptions.builder().maxInFlight(42).build().overloadedMessage();

    assertThat(message)
        .contains("42")
        .contains("max_requests_in_flight")
        .contains("TransportOptions.maxInFlight")
        .contains("overflow_policy: queue");
  }

  @Test
  @DisplayName("under QUEUE the overloaded message names both limits and how to raise them")
  void overloadedMessageQueue() {
    String message =
        TransportOptions.builder()
            .maxInFlight(8)
            .overflowPolicy(OverflowPolicy.QUEUE)
            .maxQueued(250)
            .build()
            .overloadedMessage();

    assertThat(message)
        .contains("8 requests in flight")
        .contains("250 waiting")
        .contains("max_requests_in_flight")
        .contains("max_queued_requests");
  }
}
