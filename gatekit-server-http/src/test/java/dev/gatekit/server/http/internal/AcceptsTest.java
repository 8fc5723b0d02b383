package dev.gatekit.server.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AcceptsTest {

  @Test
  void readsBothMediaTypesWildcardsAndRefusals() {
    assertThat(Accepts.of(List.of("application/json, text/event-stream"))).isEqualTo(new Accepts(true, true));
    assertThat(Accepts.of(List.of("application/json", "text/event-stream"))).isEqualTo(new Accepts(true, true));
    assertThat(Accepts.of(List.of("Application/JSON; charset=utf-8"))).isEqualTo(new Accepts(true, false));
    assertThat(Accepts.of(List.of("text/event-stream"))).isEqualTo(new Accepts(false, true));
    assertThat(Accepts.of(List.of("*/*"))).isEqualTo(new Accepts(true, true));
    assertThat(Accepts.of(List.of("application/*, text/*"))).isEqualTo(new Accepts(true, true));
    assertThat(Accepts.of(List.of("application/json, text/event-stream;q=0"))).isEqualTo(new Accepts(true, false));
    assertThat(Accepts.of(List.of("text/html"))).isEqualTo(new Accepts(false, false));
    assertThat(Accepts.of(List.of())).isEqualTo(new Accepts(false, false));
    assertThat(Accepts.of(List.of())).extracting(Accepts::any).isEqualTo(false);
  }
}
