package dev.gatekit.proxy.plugins.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DetectorTest {

  private static final String ALPHABET = "0123456789012345 .-+()/:ABCGJZabfx@@_é%\n";
  private static final List<String> SAMPLES =
      List.of(
          "(555) 123-4567", "+1 555 123 4567", "555.123.4567", "4111 1111 1111 1111", "378282246310005",
          "192.168.10.4", "10.0.7.7", "jane.doe@example.co.uk", "a@b.io", "x".repeat(64) + "@mail.example.com", "123-45-6789", "AB 12 34 56 C", "JG103759A", "+44 20 7946 0958");

  /**
   * A start test only makes a detector faster: on random texts dense in digits, separators and
   * capitals, with real values spliced in, every detector finds and redacts exactly what its pattern
   * alone, tried at every position, does.
   */
  @Test
  void aStartTestNeverChangesWhatADetectorFinds() {
    Random random = new Random(42);
    List<Detector> withStart =
        PiiFilterProvider.detectors().stream().filter(d -> d.start() != null).toList();
    assertThat(withStart).hasSizeGreaterThanOrEqualTo(5);
    int matched = 0;
    for (int i = 0; i < 20_000; i++) {
      String text = randomText(random);
      for (Detector fast : withStart) {
        Detector plain = fast.withoutStart();
        String expected = plain.redact(text, "#");
        assertThat(fast.redact(text, "#")).as("%s on %s", fast.pattern(), text).isEqualTo(expected);
        assertThat(fast.find(text)).as("%s on %s", fast.pattern(), text).isEqualTo(plain.find(text));
        if (!expected.equals(text)) {
          matched++;
        }
      }
    }
    assertThat(matched).as("texts in which something was found").isGreaterThan(1_000);
  }

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    int parts = 1 + random.nextInt(4);
    for (int p = 0; p < parts; p++) {
      int length = random.nextInt(12);
      for (int i = 0; i < length; i++) {
        text.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
      }
      if (random.nextInt(3) > 0) {
        text.append(SAMPLES.get(random.nextInt(SAMPLES.size())));
      }
    }
    return text.toString();
  }
}
