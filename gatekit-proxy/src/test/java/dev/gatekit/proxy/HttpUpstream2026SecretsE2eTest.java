package dev.gatekit.proxy;

import static dev.gatekit.proxy.ProxyFixture.PATIENCE;
import static dev.gatekit.proxy.ProxyFixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.proxy.config.ConfigLoader;
import dev.gatekit.proxy.config.GatekitConfig;
import dev.gatekit.proxy.config.ServiceLoaderWiring;
import dev.gatekit.proxy.e2e.Http2026Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2026-era client's raw requests through a proxy built from a configuration with a {@code url:}
 * upstream that speaks only MCP 2026-07-28 over stateless Streamable HTTP ({@link Http2026Server},
 * the TypeScript SDK v2), and the built-in secrets filter: the stateless answers pass the security
 * stages like any other, and a secret in one is blocked. Skipped where Node.js or the SDK is missing.
 */
@Timeout(120)
class HttpUpstream2026SecretsE2eTest {

  private static final String META = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},'io.modelcontextprotocol/clientInfo':{'name':'raw','version':'1'}}";
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";

  @TempDir Path dir;

  private GatekitProxy proxy;
  private final ProxyFixture.Client client = new ProxyFixture.Client();

  @AfterEach
  void close() {
    if (proxy != null) {
      proxy.close();
    }
  }

  @Test
  void aSecretInAStatelessHttpAnswerIsBlocked() throws Exception {
    try (Http2026Server server = Http2026Server.start()) {
      Path file = dir.resolve("gatekit.yaml");
      Files.writeString(file, """
          proxy:
            upstreams:
              - name: modern
                url: "%s"
            timeouts: {request_seconds: 30}
          plugins:
            security:
              _global:
                - {handler: basic_secrets_filter, config: {action: block}}
            auditing:
              _global:
                - {handler: audit_jsonl, config: {output_file: "%s"}}
          """.formatted(server.uri(), dir.resolve("audit.jsonl").toString().replace('\\', '/')));
      GatekitConfig config = ConfigLoader.load(file, Map.of());
      proxy = config.proxyBuilder(ServiceLoaderWiring.fromClassPath()).build();
      proxy.connect(client);

      proxy.receive(request(1, "server/discover", "{" + META + "}"));
      JsonRpcResponse discovered = client.awaitResponse(1);
      assertThat(discovered.isError()).as("server/discover: %s", discovered).isFalse();
      assertThat(discovered.result().path("supportedVersions").toString()).contains("2026-07-28");

      proxy.receive(request(2, "tools/call", "{'name':'echo','arguments':{'message':'hello'}," + META + "}"));
      JsonRpcResponse echoed = client.awaitResponse(2);
      assertThat(echoed.isError()).as("echo: %s", echoed).isFalse();
      assertThat(echoed.result().toString()).contains("Echo: hello");

      proxy.receive(request(3, "tools/call", "{'name':'secret','arguments':{}," + META + "}"));
      JsonRpcResponse blocked = client.awaitResponse(3);
      assertThat(blocked.isError()).as("secret: %s", blocked).isTrue();
      assertThat(blocked.error().code()).isEqualTo(ErrorCodes.SECURITY_VIOLATION);

      assertThat(proxy.awaitIdle(PATIENCE)).isTrue();
      assertThat(client.all().toString()).doesNotContain(AWS_KEY);
      proxy.close();
      String audit = Files.readString(dir.resolve("audit.jsonl"));
      assertThat(audit.lines().filter(line -> line.contains("\"direction\":\"upstream_to_client\"")
              && line.contains("\"request_id\":3") && line.contains("\"outcome\":\"blocked\"")))
          .as("the blocked answer in %s", audit)
          .hasSize(1);
      assertThat(audit).doesNotContain(AWS_KEY);
    }
  }
}
