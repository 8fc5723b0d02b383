package dev.gatekit.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransportClosedExceptionTest {

  @Test
  void anUpstreamThatEndedQuotesItsStderrOnlyInTheEmbeddersMessage() {
    List<String> tail = new ArrayList<>(List.of("connecting to db", "password=hunter2 rejected"));
    TransportClosedException e =
        TransportClosedException.upstreamEnded("Upstream 'files' exited with code 1", 1, tail);
    tail.clear(); // a copy was kept

    assertThat(e.clientMessage()).isEqualTo("Upstream 'files' exited with code 1");
    assertThat(e.getMessage())
        .isEqualTo(
            "Upstream 'files' exited with code 1; last stderr lines:\n"
                + "  connecting to db\n  password=hunter2 rejected");
    assertThat(e.exitCode()).hasValue(1);
    assertThat(e.stderrTail()).containsExactly("connecting to db", "password=hunter2 rejected");
    assertThatThrownBy(() -> e.stderrTail().add("x")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(e.errorCode()).isEqualTo(ErrorCodes.UPSTREAM_UNAVAILABLE);
  }

  @Test
  void withoutStderrTheMessageSaysSoAndTheExitCodeMayBeUnknown() {
    TransportClosedException e =
        TransportClosedException.upstreamEnded("Upstream 'files' closed its stdout", null, List.of());
    assertThat(e.getMessage()).isEqualTo("Upstream 'files' closed its stdout (it wrote nothing to stderr)");
    assertThat(e.clientMessage()).isEqualTo("Upstream 'files' closed its stdout");
    assertThat(e.exitCode()).isEmpty();
    assertThat(e.stderrTail()).isEmpty();
  }

  @Test
  void aMessageOfOurOwnIsTheClientMessageToo() {
    TransportClosedException e = new TransportClosedException("Transport to upstream 'x' is closed");
    assertThat(e.clientMessage()).isEqualTo(e.getMessage());
    assertThat(e.exitCode()).isEmpty();
    assertThat(e.stderrTail()).isEmpty();
  }

  @Test
  void aSuffixGoesOnBothMessagesAndKeepsTheParts() {
    TransportClosedException e =
        TransportClosedException.upstreamEnded("Upstream 'files' exited with code 3", 3, List.of("boom"))
            .withSuffix(" (restarting)");
    assertThat(e.clientMessage()).isEqualTo("Upstream 'files' exited with code 3 (restarting)");
    assertThat(e.getMessage()).startsWith("Upstream 'files' exited with code 3; last").endsWith("boom (restarting)");
    assertThat(e.exitCode()).hasValue(3);
    assertThat(e.stderrTail()).containsExactly("boom");
  }

  @Test
  void itSurvivesSerialization() throws Exception {
    TransportClosedException e =
        TransportClosedException.upstreamEnded("Upstream 'files' exited with code 2", 2, List.of("a", "b"));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(e);
    }
    TransportClosedException copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (TransportClosedException) in.readObject();
    }
    assertThat(copy.clientMessage()).isEqualTo(e.clientMessage());
    assertThat(copy.getMessage()).isEqualTo(e.getMessage());
    assertThat(copy.exitCode()).hasValue(2);
    assertThat(copy.stderrTail()).containsExactly("a", "b");
  }
}
