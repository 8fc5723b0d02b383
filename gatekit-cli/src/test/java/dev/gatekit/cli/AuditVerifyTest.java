package dev.gatekit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.proxy.plugins.builtin.AuditJsonlProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gatekit audit verify}, in this JVM, on logs the {@code audit_jsonl} plugin wrote. */
class AuditVerifyTest {

  @TempDir Path dir;
  Path log;
  Path publicPem;
  Path otherPublicPem;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    out.reset();
    err.reset();
    return GatekitCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private List<String> outLines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  static String pem(Key key, String label) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded()) + "\n-----END " + label + "-----\n";
  }

  @BeforeEach
  void writeSignedLog() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    KeyPair keys = generator.generateKeyPair();
    Files.writeString(dir.resolve("audit-key.pem"), pem(keys.getPrivate(), "PRIVATE KEY"));
    publicPem = dir.resolve("audit-key.pub.pem");
    Files.writeString(publicPem, pem(keys.getPublic(), "PUBLIC KEY"));
    otherPublicPem = dir.resolve("other.pub.pem");
    Files.writeString(otherPublicPem, pem(generator.generateKeyPair().getPublic(), "PUBLIC KEY"));
    log = dir.resolve("audit.jsonl");
    // signing_key_file relative to the configuration's folder, as in a configuration file
    AuditingPlugin audit = (AuditingPlugin) new AuditJsonlProvider().create(PluginConfig.of("audit_jsonl",
        "plugins.auditing._global[0].config",
        Map.of("output_file", "audit.jsonl", "signing_key_file", "audit-key.pem", "checkpoint_every", 4), dir));
    for (int i = 0; i < 10; i++) {
      audit.audit(new AuditEvent(Instant.parse("2026-01-02T03:04:05Z"), Direction.CLIENT_TO_UPSTREAM, "files",
          "tools/call", RequestId.of(i), AuditEvent.Outcome.ALLOWED, null, null, Duration.ofMillis(3), Map.of()));
    }
    audit.close();
  }

  @Test
  void aGoodLogExitsZeroWithOneSummaryLine() throws Exception {
    String chain = new ObjectMapper().readTree(Files.readAllLines(log).get(0)).get("chain").asText();
    assertThat(run("audit", "verify", log.toString(), "--public-key", publicPem.toString())).isZero();
    assertThat(outLines()).containsExactly("ok: 13 records, chain " + chain + ", last checkpoint at seq 13 (signed)");
    assertThat(run("audit", "verify", log.toString())).isZero();
    assertThat(outLines()).containsExactly("ok: 13 records, chain " + chain + ", last checkpoint at seq 13 (signed, not checked)");
  }

  @Test
  void aTamperedLogExitsOneNamingFileLineAndSeq() throws Exception {
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(log));
    lines.set(2, lines.get(2).replace("\"allowed\"", "\"blocked\""));
    lines.remove(6);
    Files.write(log, lines);
    assertThat(run("audit", "verify", log.toString(), "--public-key", publicPem.toString())).isEqualTo(1);
    assertThat(outLines()).containsExactly(
        log + ":3: seq 3: edited: its hash is not the prev of the next record (audit.jsonl:4)",
        log + ":7: seq 7: removed: 1 record(s) removed: seq 8 follows seq 6",
        "failed: 2 problems in 12 records, chain " + new ObjectMapper().readTree(lines.get(0)).get("chain").asText()
            + ", last checkpoint at seq 13 (signed)");
  }

  @Test
  void anotherKeyFailsEveryCheckpointAndJsonIsForMachines() throws Exception {
    assertThat(run("audit", "verify", "--json", "--public-key", otherPublicPem.toString(), log.toString())).isEqualTo(1);
    JsonNode json = new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    assertThat(json.get("ok").asBoolean()).isFalse();
    assertThat(json.get("records").asInt()).isEqualTo(13);
    assertThat(json.at("/last_checkpoint/seq").asInt()).isEqualTo(13);
    assertThat(json.get("problems")).hasSize(3);
    assertThat(json.at("/problems/0/kind").asText()).isEqualTo("bad_signature");
    assertThat(json.at("/problems/0/line").asInt()).isEqualTo(5);
    assertThat(json.at("/problems/0/seq").asInt()).isEqualTo(5);
    assertThat(json.at("/problems/0/file").asText()).isEqualTo(log.toString());

    assertThat(run("audit", "verify", "--json", log.toString())).isZero();
    assertThat(new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8)).get("ok").asBoolean()).isTrue();
  }

  @Test
  void aCutTailFailsUnlessLive() throws Exception {
    List<String> lines = Files.readAllLines(log);
    Files.write(log, lines.subList(0, 11));
    assertThat(run("audit", "verify", log.toString())).isEqualTo(1);
    assertThat(outLines().get(0)).isEqualTo(
        log + ":11: seq 11: not closed: ends after seq 11 without a closing checkpoint: cut, or the gateway crashed");
    assertThat(run("audit", "verify", "--live", log.toString())).isZero();
  }

  @Test
  void usageErrorsExitTwo() throws Exception {
    assertThat(run("audit")).isEqualTo(2);
    assertThat(run("audit", "verify")).isEqualTo(2);
    assertThat(run("audit", "verify", log.toString(), "--public-key")).isEqualTo(2);
    assertThat(run("audit", "verify", log.toString(), "--bogus")).isEqualTo(2);
    assertThat(run("audit", "verify", log.toString(), "--public-key", log.toString())).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot read the public key").contains("gatekit audit verify FILE...");
    assertThat(run("audit", "verify", dir.resolve("missing.jsonl").toString())).isEqualTo(1);
    assertThat(outLines().get(0)).contains("missing.jsonl:0: unreadable: cannot read");
  }
}
