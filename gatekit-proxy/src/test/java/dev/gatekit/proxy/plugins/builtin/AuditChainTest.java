package dev.gatekit.proxy.plugins.builtin;

import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.proxy.plugins.builtin.AuditLogVerifier.Kind;
import dev.gatekit.proxy.plugins.builtin.AuditLogVerifier.Problem;
import dev.gatekit.proxy.plugins.builtin.AuditLogVerifier.Result;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hash chain of {@code audit_jsonl}: what the plugin writes, and what {@link AuditLogVerifier} finds in it. */
class AuditChainTest {

  static KeyPair keys;
  static KeyPair otherKeys;
  @TempDir static Path keyDir;
  static Path privatePem;

  @TempDir Path dir;

  @BeforeAll
  static void makeKeys() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    keys = generator.generateKeyPair();
    otherKeys = generator.generateKeyPair();
    privatePem = keyDir.resolve("audit-key.pem");
    Files.writeString(privatePem, Ed25519Pem.write(keys.getPrivate()));
  }

  static AuditEvent event(int n, String reason) {
    return new AuditEvent(Instant.parse("2026-01-02T03:04:05Z").plusMillis(n), Direction.CLIENT_TO_UPSTREAM, "files",
        "tools/call", RequestId.of(n), AuditEvent.Outcome.ALLOWED, null, reason, Duration.ofMillis(n % 50), Map.of());
  }

  /** A random reason: ASCII, JSON escapes and multi-byte UTF-8. */
  static String reason(Random random) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \"\\/éü€😀\t";
    StringBuilder text = new StringBuilder();
    int length = random.nextInt(40);
    for (int i = 0; i < length; i++) {
      text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
    }
    return text.toString();
  }

  AuditingPlugin plugin(Path file, Map<String, Object> extra) {
    Map<String, Object> options = new HashMap<>(extra);
    options.put("output_file", file.toString());
    return create(new AuditJsonlProvider(), options);
  }

  static Map<String, Object> signed(int checkpointEvery) {
    return Map.of("signing_key_file", privatePem.toString(), "checkpoint_every", checkpointEvery);
  }

  static Result verify(List<Path> files, PublicKey key) {
    return AuditLogVerifier.verify(files, key, false);
  }

  // --- what the plugin writes

  @Test
  void recordsChainAndCheckpointsAreSignedAndAClosingOneEndsTheLog() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = plugin(file, signed(3));
    for (int i = 0; i < 7; i++) {
      audit.audit(event(i, "r" + i));
    }
    audit.close();
    List<String> lines = Files.readAllLines(file);
    List<JsonNode> nodes = AuditJsonlTest.records(file);
    assertThat(nodes).hasSize(7 + 2 + 1);
    String chain = nodes.get(0).get("chain").asText();
    assertThat(chain).hasSize(32);
    assertThat(nodes.get(0).get("prev").asText()).isEqualTo(chain);
    for (int i = 0; i < nodes.size(); i++) {
      assertThat(nodes.get(i).get("seq").asLong()).isEqualTo(i + 1);
      if (i > 0) {
        assertThat(nodes.get(i).get("prev").asText())
            .isEqualTo(HashChain.hashHex(lines.get(i - 1).getBytes(StandardCharsets.UTF_8)));
      }
    }
    assertThat(nodes.get(3).get("type").asText()).isEqualTo("checkpoint");
    assertThat(nodes.get(3).get("closing").asBoolean()).isFalse();
    assertThat(nodes.get(7).get("type").asText()).isEqualTo("checkpoint");
    JsonNode closing = nodes.get(9);
    assertThat(closing.get("closing").asBoolean()).isTrue();
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(keys.getPublic());
    verifier.update(HashChain.signedPart(lines.get(9)));
    assertThat(verifier.verify(Base64.getDecoder().decode(closing.get("signature").asText()))).isTrue();

    Result result = verify(List.of(file), keys.getPublic());
    assertThat(result.problems()).isEmpty();
    assertThat(result.summary()).isEqualTo("ok: 10 records, chain " + chain + ", last checkpoint at seq 10 (signed)");
    assertThat(AuditLogVerifier.verify(List.of(file), null, false).summary()).endsWith("(signed, not checked)");
  }

  @Test
  void withoutAKeyCheckpointsCarryTheHeadOnly() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = plugin(file, Map.of("checkpoint_every", 2));
    for (int i = 0; i < 3; i++) {
      audit.audit(event(i, null));
    }
    audit.close();
    List<JsonNode> nodes = AuditJsonlTest.records(file);
    assertThat(nodes.get(2).has("signature")).isFalse();
    Result result = AuditLogVerifier.verify(List.of(file), null, false);
    assertThat(result.summary()).endsWith("last checkpoint at seq 5 (unsigned)");
    assertThat(verify(List.of(file), keys.getPublic()).problems()).extracting(Problem::kind)
        .containsExactly(Kind.UNSIGNED, Kind.UNSIGNED);
  }

  @Test
  void aBadSigningKeyIsAConfigurationProblem() throws Exception {
    Path notAKey = dir.resolve("key.pem");
    Files.writeString(notAKey, "hello");
    assertThatThrownBy(() -> plugin(dir.resolve("a.jsonl"), Map.of("signing_key_file", notAKey.toString())))
        .hasMessageContaining("signing_key_file").hasMessageContaining("Ed25519 private key in PKCS#8 PEM");
    assertThatThrownBy(() -> plugin(dir.resolve("a.jsonl"), Map.of("checkpoint_every", 0)))
        .hasMessageContaining("checkpoint_every");
  }

  @Test
  void hashChainFalseWritesThePlainRecordsOnly() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = plugin(file, Map.of("hash_chain", false, "checkpoint_every", 1));
    audit.audit(event(1, null));
    audit.close();
    List<JsonNode> nodes = AuditJsonlTest.records(file);
    assertThat(nodes).singleElement().satisfies(n -> {
      assertThat(n.has("seq")).isFalse();
      assertThat(n.has("prev")).isFalse();
    });
  }

  /** A log from before the chain: the chain starts after its lines, which verify reports as unchained. */
  @Test
  void aChainStartsAfterTheLinesOfALogWrittenBeforeIt() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Files.writeString(file, AuditJsonlProvider.AuditJsonl.format(event(0, "old")) + "\n");
    AuditingPlugin audit = plugin(file, Map.of());
    audit.audit(event(1, "new"));
    audit.close();
    List<JsonNode> nodes = AuditJsonlTest.records(file);
    assertThat(nodes.get(1).get("seq").asLong()).isEqualTo(1);
    assertThat(nodes.get(1).get("prev").asText()).isEqualTo(nodes.get(1).get("chain").asText());
    assertThat(AuditLogVerifier.verify(List.of(file), null, false).problems()).singleElement().satisfies(p -> {
      assertThat(p.line()).isEqualTo(1);
      assertThat(p.kind()).isEqualTo(Kind.EDITED);
      assertThat(p.message()).isEqualTo("a JSON object without seq and prev");
    });
  }

  // --- crashes and restarts

  @Test
  void aCleanRestartContinuesTheChainWithoutACrashRecord() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    for (int run = 0; run < 3; run++) {
      AuditingPlugin audit = plugin(file, signed(1000));
      audit.audit(event(run, "run " + run));
      audit.close();
    }
    List<JsonNode> nodes = AuditJsonlTest.records(file);
    assertThat(nodes).extracting(n -> n.get("seq").asInt()).containsExactly(1, 2, 3, 4, 5, 6);
    assertThat(nodes).noneMatch(n -> n.path("type").asText().equals("crash"));
    Result result = verify(List.of(file), keys.getPublic());
    assertThat(result.problems()).isEmpty();
    assertThat(result.notes()).isEmpty();
  }

  /** Writes {@code events} events, then stops as a crash would: without a closing checkpoint. */
  void writeThenCrash(Path file, Map<String, Object> options, int events) {
    AuditJsonlProvider.AuditJsonl audit = (AuditJsonlProvider.AuditJsonl) plugin(file, options);
    for (int i = 0; i < events; i++) {
      audit.audit(event(i, "before the crash"));
    }
    audit.halt();
  }

  /**
   * A crash leaves the log without a closing checkpoint: verify fails it (the end of a log cannot
   * tell a crash from a cut) unless told it is live. The next start continues the chain and writes a
   * crash record; from then on the crash is a note, not a problem, since the chain shows nothing
   * written was lost.
   */
  @Test
  void afterACrashTheNextStartContinuesTheChainAndRecordsTheCrash() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    writeThenCrash(file, signed(4), 6);
    assertThat(verify(List.of(file), keys.getPublic()).problems()).singleElement().satisfies(p -> {
      assertThat(p.kind()).isEqualTo(Kind.NOT_CLOSED);
      assertThat(p.line()).isEqualTo(7);
      assertThat(p.seq()).isEqualTo(7L);
      assertThat(p.message()).contains("ends after seq 7 without a closing checkpoint: cut, or the gateway crashed");
    });
    assertThat(AuditLogVerifier.verify(List.of(file), keys.getPublic(), true).ok()).isTrue();

    AuditingPlugin second = plugin(file, signed(4));
    second.audit(event(7, "after"));
    second.close();
    List<JsonNode> nodes = AuditJsonlTest.records(file);
    JsonNode crash = nodes.get(7);
    assertThat(crash.get("type").asText()).isEqualTo("crash");
    assertThat(crash.get("seq").asLong()).isEqualTo(8);
    assertThat(crash.get("last_seq").asLong()).isEqualTo(7);
    assertThat(crash.get("torn_line").asBoolean()).isFalse();
    assertThat(nodes.get(8).get("seq").asLong()).isEqualTo(9);
    Result result = verify(List.of(file), keys.getPublic());
    assertThat(result.problems()).isEmpty();
    assertThat(result.notes()).singleElement().satisfies(n -> {
      assertThat(n.kind()).isEqualTo(Kind.CRASH);
      assertThat(n.line()).isEqualTo(8);
    });
  }

  @Test
  void aTornLineIsKeptAsItIsAndReportedAndTheChainGoesOnFromTheRecordBeforeIt() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    writeThenCrash(file, signed(1000), 3);
    byte[] torn = "{\"seq\":4,\"prev\":\"0123".getBytes(StandardCharsets.UTF_8);
    Files.write(file, torn, StandardOpenOption.APPEND);
    assertThat(verify(List.of(file), keys.getPublic()).problems()).extracting(Problem::kind, Problem::line)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.NOT_CLOSED, 3L), org.assertj.core.groups.Tuple.tuple(Kind.TORN, 4L));
    assertThat(AuditLogVerifier.verify(List.of(file), keys.getPublic(), true).ok())
        .as("live: a line without its newline may be a write in progress").isTrue();

    AuditingPlugin second = plugin(file, signed(1000));
    second.audit(event(4, "after"));
    second.close();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines.get(3)).isEqualTo(new String(torn, StandardCharsets.UTF_8));
    JsonNode crash = JsonRpcCodec.get().mapper().readTree(lines.get(4));
    assertThat(crash.get("seq").asLong()).isEqualTo(4);
    assertThat(crash.get("last_seq").asLong()).isEqualTo(3);
    assertThat(crash.get("torn_line").asBoolean()).isTrue();
    Result result = verify(List.of(file), keys.getPublic());
    assertThat(result.problems()).singleElement().satisfies(p -> {
      assertThat(p.kind()).isEqualTo(Kind.TORN);
      assertThat(p.line()).isEqualTo(4);
    });
    assertThat(result.records()).isEqualTo(6);
  }

  // --- the property test: random edits of a real log

  /** A log written by the plugin, as lines (each with its newline). */
  static List<byte[]> splitLines(byte[] bytes) {
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        lines.add(Arrays.copyOfRange(bytes, start, i + 1));
        start = i + 1;
      }
    }
    return lines;
  }

  static byte[] join(List<byte[]> lines) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    lines.forEach(out::writeBytes);
    return out.toByteArray();
  }

  static boolean isType(byte[] line, String type) {
    return new String(line, StandardCharsets.UTF_8).contains("\"type\":\"" + type + "\"");
  }

  static byte[] resign(byte[] line, PrivateKey key) throws Exception {
    String text = new String(line, 0, line.length - 1, StandardCharsets.UTF_8);
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(key);
    signer.update(HashChain.signedPart(text));
    String signed = text.substring(0, text.lastIndexOf(HashChain.SIGNATURE_MEMBER)) + HashChain.SIGNATURE_MEMBER
        + Base64.getEncoder().encodeToString(signer.sign()) + "\"}\n";
    return signed.getBytes(StandardCharsets.UTF_8);
  }

  /** One random edit: what it did, and the 1-based lines a report must name (and stay within one line of). */
  record Edit(String what, List<byte[]> lines, Set<Integer> expected, Kind kind) {}

  static Edit randomEdit(Random random, List<byte[]> original, boolean signedLog) throws Exception {
    List<byte[]> lines = new ArrayList<>(original);
    int n = lines.size();
    int kind = random.nextInt(signedLog ? 6 : 5);
    switch (kind) {
      case 0 -> {
        // Change one byte of one record (unsigned: not the last one, which nothing commits to).
        int i = random.nextInt(signedLog ? n : n - 1);
        byte[] line = lines.get(i).clone();
        int at = random.nextInt(line.length - 1);
        byte b;
        do {
          b = (byte) (0x20 + random.nextInt(0x5f));
        } while (b == line[at]);
        line[at] = b;
        lines.set(i, line);
        return new Edit("byte " + at + " of line " + (i + 1) + " set to '" + (char) b + "'", lines, Set.of(i + 1), null);
      }
      case 1 -> {
        int i = random.nextInt(n);
        lines.remove(i);
        return new Edit("line " + (i + 1) + " deleted", lines, Set.of(i == n - 1 ? i : i + 1), null);
      }
      case 2 -> {
        int i = random.nextInt(n - 1);
        int j = i + 1 + random.nextInt(Math.min(n - i - 1, 5));
        byte[] a = lines.get(i);
        lines.set(i, lines.get(j));
        lines.set(j, a);
        return new Edit("lines " + (i + 1) + " and " + (j + 1) + " swapped", lines, Set.of(i + 1, j + 1), null);
      }
      case 3 -> {
        int last = -1;
        for (int i = 0; i < n - 1; i++) {
          if (isType(lines.get(i), "checkpoint")) {
            last = i;
          }
        }
        List<byte[]> cut = new ArrayList<>(lines.subList(0, last + 1));
        return new Edit("cut after the last checkpoint (line " + (last + 1) + ")", cut, Set.of(last + 1), Kind.NOT_CLOSED);
      }
      case 4 -> {
        byte[] line = lines.get(n - 1);
        lines.set(n - 1, Arrays.copyOf(line, 1 + random.nextInt(line.length - 2)));
        return new Edit("last line torn", lines, Set.of(n), Kind.TORN);
      }
      default -> {
        Set<Integer> checkpoints = new TreeSet<>();
        for (int i = 0; i < n; i++) {
          if (isType(lines.get(i), "checkpoint")) {
            lines.set(i, resign(lines.get(i), otherKeys.getPrivate()));
            checkpoints.add(i + 1);
          }
        }
        return new Edit("re-signed with another key", lines, checkpoints, Kind.BAD_SIGNATURE);
      }
    }
  }

  List<byte[]> writeRandomLog(Random random, Path file, Map<String, Object> options, int events) throws Exception {
    AuditingPlugin audit = plugin(file, options);
    for (int i = 0; i < events; i++) {
      audit.audit(event(i, reason(random)));
    }
    audit.close();
    return splitLines(Files.readAllBytes(file));
  }

  @Test
  void everyRandomEditIsReportedAtItsPlaceAndCleanLogsNeverAre() throws Exception {
    checkRandomEdits(true, 240, 20260102L);
  }

  @Test
  void unsignedLogsToo() throws Exception {
    checkRandomEdits(false, 120, 777L);
  }

  private void checkRandomEdits(boolean signedLog, int cases, long seed) throws Exception {
    Random random = new Random(seed);
    PublicKey key = signedLog ? keys.getPublic() : null;
    List<byte[]> original = null;
    for (int c = 0; c < cases; c++) {
      if (c % 40 == 0) {
        Path clean = dir.resolve("clean-" + c + ".jsonl");
        original = writeRandomLog(random, clean, signedLog ? signed(3 + random.nextInt(10)) : Map.of("checkpoint_every", 3 + random.nextInt(10)),
            20 + random.nextInt(30));
        Result result = AuditLogVerifier.verify(List.of(clean), key, false);
        assertThat(result.problems()).as("a clean log").isEmpty();
        assertThat(result.records()).isEqualTo(original.size());
      }
      Edit edit = randomEdit(random, original, signedLog);
      Path file = dir.resolve("edited.jsonl");
      Files.write(file, join(edit.lines()));
      Result result = AuditLogVerifier.verify(List.of(file), key, false);
      String description = "case " + c + ": " + edit.what() + " -> " + result.problems();
      assertThat(result.ok()).as(description).isFalse();
      Set<Long> reported = result.problems().stream().map(Problem::line).collect(Collectors.toSet());
      for (int line : edit.expected()) {
        assertThat(reported).as(description).contains((long) line);
      }
      for (long line : reported) {
        assertThat(edit.expected()).as(description).anyMatch(e -> Math.abs(e - line) <= 1);
      }
      if (edit.kind() != null) {
        assertThat(result.problems()).as(description).anyMatch(p -> p.kind() == edit.kind());
      }
    }
  }

  // --- rotation

  @Test
  void rotationKeepsTheChainAcrossFilesAndAMissingMiddleFileIsReported() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = plugin(file, Map.of("signing_key_file", privatePem.toString(), "max_file_size_mb", 1,
        "backup_count", 5, "checkpoint_every", 50));
    String reason = "x".repeat(20_000);
    for (int i = 0; i < 170; i++) { // about 3.4 MB: four files
      audit.audit(event(i, reason));
    }
    audit.close();
    List<Path> all = List.of(dir.resolve("audit.jsonl.3"), dir.resolve("audit.jsonl.2"), dir.resolve("audit.jsonl.1"), file);
    for (Path p : all) {
      assertThat(p).exists();
    }
    Result clean = verify(List.of(file, dir.resolve("audit.jsonl.1"), dir.resolve("audit.jsonl.3"), dir.resolve("audit.jsonl.2")),
        keys.getPublic());
    assertThat(clean.problems()).as("given in any order").isEmpty();
    assertThat(clean.records()).isEqualTo(170 + 3 + 1);

    Result missing = verify(List.of(all.get(0), all.get(2), all.get(3)), keys.getPublic());
    assertThat(missing.problems()).singleElement().satisfies(p -> {
      assertThat(p.kind()).isEqualTo(Kind.MISSING_FILE);
      assertThat(p.file()).isEqualTo(all.get(2));
      assertThat(p.line()).isEqualTo(1);
      assertThat(p.message()).contains("audit.jsonl.3 and audit.jsonl.1 is missing");
    });
    Result newest = verify(List.of(all.get(2), all.get(3)), keys.getPublic());
    assertThat(newest.problems()).as("the oldest files dropped by rotation are no problem").isEmpty();
    assertThat(newest.notes()).extracting(Problem::kind).containsExactly(Kind.EARLIER_FILES);
    Result lastMissing = verify(List.of(all.get(0), all.get(1), all.get(2)), keys.getPublic());
    assertThat(lastMissing.problems()).extracting(Problem::kind).containsExactly(Kind.NOT_CLOSED);

    // Random edits anywhere in the set are reported in the right file.
    Random random = new Random(99);
    for (int c = 0; c < 20; c++) {
      int f = random.nextInt(all.size());
      List<byte[]> lines = splitLines(Files.readAllBytes(all.get(f)));
      Edit edit = randomEdit(random, lines, true);
      if (edit.kind() == Kind.NOT_CLOSED || edit.kind() == Kind.TORN || edit.kind() == Kind.BAD_SIGNATURE) {
        continue; // those concern the set's end or its key, tested above
      }
      Path copy = dir.resolve("copy");
      Files.createDirectories(copy);
      List<Path> set = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        Path target = copy.resolve(all.get(i).getFileName());
        Files.write(target, i == f ? join(edit.lines()) : Files.readAllBytes(all.get(i)));
        set.add(target);
      }
      Result result = verify(set, keys.getPublic());
      String description = "case " + c + " in " + all.get(f).getFileName() + ": " + edit.what() + " -> " + result.problems();
      assertThat(result.problems()).as(description).isNotEmpty()
          .allMatch(p -> p.file().equals(set.get(f)) || p.line() == 1 && set.indexOf(p.file()) == f + 1);
    }
  }
}
