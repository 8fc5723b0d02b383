package dev.gatekit.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in secrets filter guards the HTTP front's sessions: an upstream answer that carries a
 * secret never reaches the HTTP client, whether it would have gone as JSON or as an SSE event, nor
 * the audit log, which records the block under the session's id.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FrontSecretsTest {

  @TempDir Path dir;
  private Path auditLog;
  private MockUpstreams upstreams;
  private StreamableHttpServer server;
  private Http http;

  @BeforeEach
  void start() {
    auditLog = dir.resolve("audit.jsonl");
    upstreams = new MockUpstreams(builder -> PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(
        List.of(new PluginEntry(PluginKind.SECURITY, PluginEntry.GLOBAL, "basic_secrets_filter",
            Map.of("action", "block"), "plugins.security._global[0]", 0),
            new PluginEntry(PluginKind.AUDITING, PluginEntry.GLOBAL, "audit_jsonl",
                Map.of("output_file", auditLog.toString()), "plugins.auditing._global[0]", 0)),
        Set.of("mock"))));
    server = StreamableHttpServer.builder(upstreams.proxy).build();
    server.start();
    http = new Http(server.endpoint());
  }

  @AfterEach
  void stop() {
    server.close();
    upstreams.close();
  }

  @Test
  void aSecretInAJsonAnswerIsBlocked() {
    String session = http.initialize();
    assertThat(http.post(session, Http.toolCall(1, "echo", null)).body()).contains("echo");
    HttpResponse<String> answer = http.post(session,
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"leak\":true}}}");
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(answer.body()).doesNotContain(MockUpstreams.AWS_KEY);
    assertThat(Http.json(answer.body()).path("error").path("code").asInt()).isEqualTo(-32000);
    assertTheAuditLogRecordsTheBlockWithoutTheSecret(session);
  }

  @Test
  void aSecretInAnSseAnswerIsBlocked() {
    String session = http.initialize();
    try (Http.Sse stream = http.stream("POST",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\","
            + "\"arguments\":{\"leak\":true},\"_meta\":{\"progressToken\":\"t\"}}}",
        Http.postHeaders(session))) {
      assertThat(stream.response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
      assertThat(stream.next().data().path("method").asText()).isEqualTo("notifications/progress");
      upstreams.release();
      StringBuilder rest = new StringBuilder();
      Http.Event answer = null;
      for (Http.Event event; (event = stream.next()) != null; ) {
        rest.append(event.data());
        if (event.data().has("id")) {
          answer = event;
        }
      }
      assertThat(rest.toString()).doesNotContain(MockUpstreams.AWS_KEY);
      assertThat(answer).isNotNull();
      assertThat(answer.data().path("error").path("code").asInt()).isEqualTo(-32000);
    }
    assertTheAuditLogRecordsTheBlockWithoutTheSecret(session);
  }

  /** Ends the gateway (the audit log is complete once its plugins closed), then reads the log. */
  private void assertTheAuditLogRecordsTheBlockWithoutTheSecret(String session) {
    server.close();
    upstreams.close();
    String log;
    try {
      log = Files.readString(auditLog);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(log).doesNotContain(MockUpstreams.AWS_KEY);
    assertThat(log.lines().filter(line -> line.contains("\"outcome\":\"blocked\""))
        .filter(line -> line.contains("\"session\":\"" + session + "\"")))
        .isNotEmpty();
  }
}
