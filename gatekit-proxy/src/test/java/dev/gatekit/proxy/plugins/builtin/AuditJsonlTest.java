package dev.gatekit.proxy.plugins.builtin;

import static dev.gatekit.proxy.plugins.builtin.FilterTestSupport.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.Direction;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.PluginConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditJsonlTest {

  final AuditJsonlProvider provider = new AuditJsonlProvider();

  static AuditEvent event(RequestId id, String reason) {
    return new AuditEvent(Instant.parse("2026-01-02T03:04:05Z"), Direction.UPSTREAM_TO_CLIENT, "files",
        "tools/call", id, AuditEvent.Outcome.MODIFIED,
        new JsonRpcRequest(id, "tools/call", FilterTestSupport.json("{'secret':'payload-never-logged'}")),
        reason, Duration.ofMillis(12), Map.of("pii_types", List.of("email")));
  }

  /** Every line of the file, checkpoints and crash records included. */
  static List<JsonNode> records(Path file) throws Exception {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      nodes.add(JsonRpcCodec.get().mapper().readTree(line));
    }
    return nodes;
  }

  /** The event records of the file: without checkpoints and crash records. */
  static List<JsonNode> lines(Path file) throws Exception {
    return records(file).stream().filter(n -> !n.has("type")).toList();
  }

  @Test
  void writesOneMetadataLinePerEventWithoutPayloads(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("logs/audit.jsonl");
    AuditingPlugin audit = create(provider, Map.of("output_file", file.toString()));
    audit.audit(event(RequestId.of(5), "redacted"));
    audit.audit(event(RequestId.of("5"), null));
    audit.close();

    List<JsonNode> lines = lines(file);
    assertThat(lines).hasSize(2);
    JsonNode first = lines.get(0);
    assertThat(first.get("time").asText()).isEqualTo("2026-01-02T03:04:05Z");
    assertThat(first.get("direction").asText()).isEqualTo("upstream_to_client");
    assertThat(first.get("method").asText()).isEqualTo("tools/call");
    assertThat(first.get("upstream").asText()).isEqualTo("files");
    assertThat(first.get("request_id").isNumber()).isTrue();
    assertThat(lines.get(1).get("request_id").isTextual()).isTrue();
    assertThat(first.get("outcome").asText()).isEqualTo("modified");
    assertThat(first.get("reason").asText()).isEqualTo("redacted");
    assertThat(first.get("duration_ms").asDouble()).isEqualTo(12.0);
    assertThat(first.at("/metadata/pii_types/0").asText()).isEqualTo("email");
    assertThat(Files.readString(file)).doesNotContain("payload-never-logged");
  }

  /** The documented members, in order, and nothing else: never the message. */
  @Test
  void writesExactlyTheDocumentedMembers(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = create(provider, Map.of("output_file", file.toString()));
    audit.audit(event(RequestId.of(5), "redacted"));
    audit.audit(new AuditEvent(Instant.parse("2026-01-02T03:04:05Z"), Direction.CLIENT_TO_UPSTREAM, null,
        "notifications/cancelled", null, AuditEvent.Outcome.BLOCKED, null, null, null, Map.of()));
    audit.close();
    List<JsonNode> lines = lines(file);
    List<String> first = new ArrayList<>();
    lines.get(0).fieldNames().forEachRemaining(first::add);
    assertThat(first).containsExactly("seq", "prev", "chain",
        "time", "direction", "method", "upstream", "request_id", "outcome", "reason", "duration_ms", "metadata");
    List<String> second = new ArrayList<>();
    lines.get(1).fieldNames().forEachRemaining(second::add);
    assertThat(second).containsExactly("seq", "prev",
        "time", "direction", "method", "upstream", "request_id", "outcome", "reason");
    List<JsonNode> records = records(file);
    assertThat(records).hasSize(3);
    assertThat(records.get(2).get("type").asText()).isEqualTo("checkpoint");
    assertThat(records.get(2).get("closing").asBoolean()).isTrue();
    assertThat(lines.get(1).get("request_id").isNull()).isTrue();
    assertThat(lines.get(1).get("reason").isNull()).isTrue();
    assertThat(lines.get(1).get("outcome").asText()).isEqualTo("blocked");
  }

  @Test
  void recordsTheClientSessionOfAGatewayWithSeveralClients(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = create(provider, Map.of("output_file", file.toString()));
    audit.audit(new AuditEvent(Instant.parse("2026-01-02T03:04:05Z"), Direction.CLIENT_TO_UPSTREAM, "files",
        "tools/call", RequestId.of(1), AuditEvent.Outcome.ALLOWED, null, null, null, Map.of(), "Zq3-session"));
    audit.close();
    JsonNode line = lines(file).get(0);
    List<String> members = new ArrayList<>();
    line.fieldNames().forEachRemaining(members::add);
    assertThat(members).containsSubsequence("upstream", "session", "request_id");
    assertThat(line.get("session").asText()).isEqualTo("Zq3-session");
  }

  @Test
  void concurrentEventsNeverInterleave(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = create(provider, Map.of("output_file", file.toString()));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 2000; i++) {
      int n = i;
      pool.execute(() -> audit.audit(event(RequestId.of(n), "r".repeat(n % 300))));
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    audit.close();
    List<JsonNode> lines = lines(file); // every line parses
    assertThat(lines).hasSize(2000);
    assertThat(lines.stream().map(l -> l.get("request_id").asLong()).distinct()).hasSize(2000);
  }

  @Test
  void rotatesBySizeKeepingBackupCountFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = create(provider, Map.of("output_file", file.toString(), "max_file_size_mb", 1, "backup_count", 2));
    String reason = "x".repeat(10_000);
    for (int i = 0; i < 400; i++) { // about 4 MB
      audit.audit(event(RequestId.of(i), reason));
    }
    audit.close();
    assertThat(file).exists();
    assertThat(dir.resolve("audit.jsonl.1")).exists();
    assertThat(dir.resolve("audit.jsonl.2")).exists();
    assertThat(dir.resolve("audit.jsonl.3")).doesNotExist();
    for (Path p : List.of(file, dir.resolve("audit.jsonl.1"), dir.resolve("audit.jsonl.2"))) {
      assertThat(Files.size(p)).isLessThanOrEqualTo(1024 * 1024);
      lines(p); // whole lines only
    }
    assertThat(lines(file).get(lines(file).size() - 1).get("request_id").asInt()).isEqualTo(399);
    for (Path p : List.of(dir.resolve("audit.jsonl.1"), file)) {
      assertThat(records(p).get(0).has("chain")).as("a file's first record names the chain").isTrue();
    }
  }

  @Test
  void aCriticalLogThatCannotWriteThrowsFromAudit(@TempDir Path dir) throws Exception {
    Path logs = dir.resolve("logs");
    AuditingPlugin audit = create(provider, Map.of("output_file", logs.resolve("audit.jsonl").toString(), "critical", true));
    assertThat(audit.critical()).isTrue();
    Files.delete(logs);
    Files.writeString(logs, "not a directory");
    assertThatThrownBy(() -> audit.audit(event(RequestId.of(1), null))).isInstanceOf(RuntimeException.class);
    audit.close();
  }

  @Test
  void aCriticalLogWritesBeforeAuditReturns(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditingPlugin audit = create(provider, Map.of("output_file", file.toString(), "critical", true));
    audit.audit(event(RequestId.of(1), null));
    assertThat(lines(file)).hasSize(1);
    audit.close();
  }

  @Test
  void reportsEveryOptionProblemAtOnce(@TempDir Path dir) {
    assertThatThrownBy(() -> create(provider, Map.of("max_file_size_mb", 0, "backup_count", -1, "outputfile", "x")))
        .isInstanceOfSatisfying(PluginConfigException.class, e -> {
          assertThat(e.problems()).hasSize(4);
          assertThat(e.getMessage()).contains("output_file").contains("did you mean");
        });
    assertThatThrownBy(() -> create(provider, Map.of("output_file", dir.toString())))
        .hasMessageContaining("a directory");
  }
}
