package dev.gatekit.transport.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {

  private final List<SseEvent> events = new ArrayList<>();
  private final SseParser parser = new SseParser(1024, events::add);

  private List<String> data() {
    return events.stream().map(SseEvent::dataAsString).toList();
  }

  @Test
  void dispatchesOnEmptyLineAndDropsOneLeadingSpace() {
    parser.feed("data: hello\n\ndata:world\n\ndata:  two spaces\n\n");
    assertThat(data()).containsExactly("hello", "world", " two spaces");
    assertThat(events).allSatisfy(e -> assertThat(e.type()).isEqualTo("message"));
  }

  @Test
  void joinsMultiLineDataWithLf() {
    parser.feed("data: a\ndata: b\ndata\ndata: c\n\n");
    assertThat(data()).containsExactly("a\nb\n\nc");
  }

  @Test
  void acceptsCrLfCrAndLfLineEndsEvenSplitAcrossChunks() {
    parser.feed("data: one\r\n\r\n");
    parser.feed("data: two\r\r");
    parser.feed("data: three\r");
    parser.feed("\n\r");
    parser.feed("\n");
    assertThat(data()).containsExactly("one", "two", "three");
  }

  @Test
  void ignoresCommentsAndUnknownFields() {
    parser.feed(": keep-alive\nfoo: bar\ndata: x\n: another\n\n");
    assertThat(data()).containsExactly("x");
  }

  @Test
  void eventTypeAppliesToOneEventAndEmptyEventsAreNotDispatched() {
    parser.feed("event: ping\n\nevent: custom\ndata: 1\n\ndata: 2\n\n");
    assertThat(events).extracting(SseEvent::type).containsExactly("custom", "message");
  }

  @Test
  void lastEventIdPersistsAcrossEventsAndAnIdAloneIsKept() {
    parser.feed("id: 7\ndata: a\n\ndata: b\n\nid: 8\n\n");
    assertThat(events).extracting(SseEvent::lastEventId).containsExactly("7", "7");
    assertThat(parser.lastEventId()).isEqualTo("8");
    parser.feed("id: with\0nul\n\n");
    assertThat(parser.lastEventId()).isEqualTo("8");
    parser.feed("id\n\n");
    assertThat(parser.lastEventId()).isEmpty();
  }

  @Test
  void retryTakesOnlyDigits() {
    assertThat(parser.retryMillis()).isEqualTo(-1);
    parser.feed("retry: 1500\n\n");
    assertThat(parser.retryMillis()).isEqualTo(1500);
    parser.feed("retry: 12a\nretry: -5\nretry:\n\n");
    assertThat(parser.retryMillis()).isEqualTo(1500);
  }

  @Test
  void fieldWithoutColonHasEmptyValue() {
    parser.feed("data\n\n");
    assertThat(data()).containsExactly("");
  }

  @Test
  void incompleteEventAtEndIsNotDispatched() {
    parser.feed("data: done\n\ndata: partial\n");
    assertThat(data()).containsExactly("done");
  }

  @Test
  void skipsALeadingBomOnly() {
    parser.feed(ByteBuffer.wrap(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}));
    parser.feed("data: x\n\n");
    assertThat(data()).containsExactly("x");
  }

  @Test
  void keepsUtf8MultiByteTextSplitAcrossChunks() {
    byte[] bytes = "data: héllo ✓ 😀\n\n".getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      parser.feed(ByteBuffer.wrap(new byte[] {b}));
    }
    assertThat(data()).containsExactly("héllo ✓ 😀");
  }

  @Test
  void oversizeEventThrowsAndTheParserCarriesOnAfterwards() {
    SseParser small = new SseParser(16, events::add);
    assertThatThrownBy(() -> small.feed("data: 0123456789abcdefghij\n\n"))
        .isInstanceOf(MessageTooLargeException.class)
        .hasMessageContaining("16 bytes");
    SseParser multi = new SseParser(16, events::add);
    assertThatThrownBy(() -> multi.feed("data: 0123456\ndata: 0123456\ndata: 0123456\n\n"))
        .isInstanceOf(MessageTooLargeException.class);
    SseParser fits = new SseParser(16, events::add);
    fits.feed("data: 0123456789\n\n");
    assertThat(data()).containsExactly("0123456789");
  }

  @Test
  void manyEventsInOneChunkAndOneEventOverManyChunks() {
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 500; i++) {
      all.append("id: ").append(i).append("\ndata: {\"n\":").append(i).append("}\n\n");
    }
    parser.feed(all.toString());
    assertThat(events).hasSize(500);
    assertThat(events.get(499).dataAsString()).isEqualTo("{\"n\":499}");
    assertThat(parser.lastEventId()).isEqualTo("499");
  }
}
