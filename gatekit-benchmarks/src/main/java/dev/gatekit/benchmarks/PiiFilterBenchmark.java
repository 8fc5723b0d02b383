package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginContext;
import dev.gatekit.api.plugin.PluginResult;
import dev.gatekit.api.plugin.SecurityPlugin;
import dev.gatekit.proxy.plugins.builtin.PiiFilterProvider;
import dev.gatekit.proxy.plugins.builtin.SecretsFilterProvider;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How long the built-in PII and secrets filters take to scan a 1 MiB tool result (the issue asks for
 * milliseconds, not seconds): a {@code tools/call} result of text blocks, prose with a few PII values
 * and secrets spread through it ({@code content=mixed}), or long digit and symbol runs that a
 * careless regex would backtrack on ({@code content=adversarial}). Mode: average time per scan, ms.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PiiFilterBenchmark {

  @Param({"mixed", "adversarial"})
  public String content;

  private SecurityPlugin pii;
  private SecurityPlugin secrets;
  private JsonRpcRequest request;
  private JsonRpcResponse response;
  private final PluginContext context = PluginContext.of("files", RequestId.of(1), McpMethods.TOOLS_CALL);

  @Setup
  public void setUp() {
    pii = (SecurityPlugin) new PiiFilterProvider().create(PluginConfig.of("basic_pii_filter", "bench", Map.of("action", "redact")));
    secrets = (SecurityPlugin) new SecretsFilterProvider().create(PluginConfig.of("basic_secrets_filter", "bench", Map.of("action", "redact")));
    request = new JsonRpcRequest(RequestId.of(1), McpMethods.TOOLS_CALL, JsonNodeFactory.instance.objectNode().put("name", "read_file"));
    ObjectNode result = JsonNodeFactory.instance.objectNode();
    ArrayNode blocks = result.putArray("content");
    int size = 0;
    int i = 0;
    while (size < 1024 * 1024) {
      String text = "adversarial".equals(content) ? adversarialBlock(i) : mixedBlock(i);
      blocks.addObject().put("type", "text").put("text", text);
      size += text.length();
      i++;
    }
    response = JsonRpcResponse.success(RequestId.of(1), result);
  }

  private static String mixedBlock(int i) {
    StringBuilder text = new StringBuilder(4096);
    while (text.length() < 4000) {
      text.append("The quarterly report for region ").append(i).append(" lists revenue of 1,234,567 and growth of 4.5%. ");
      if (i % 10 == 0) {
        text.append("Contact jane.doe").append(i).append("@example.com or +1 (555) 010-").append(1000 + i % 9000).append(". ");
      }
      if (i % 25 == 0) {
        text.append("Card 4111 1111 1111 1111 on file; host 10.0.").append(i % 255).append(".7; key AKIAIOSFODNN7EXAMPLE. ");
      }
    }
    return text.toString();
  }

  private static String adversarialBlock(int i) {
    StringBuilder text = new StringBuilder(4096);
    while (text.length() < 4000) {
      text.append("1234567890".repeat(20)).append(' ').append("a.b.c.d.e.f.".repeat(10)).append('@').append("-.-".repeat(30)).append(' ');
    }
    return text.toString();
  }

  @Benchmark
  public PluginResult piiScanOfOneMebibyte() {
    return pii.checkResponse(request, response, context);
  }

  @Benchmark
  public PluginResult secretsScanOfOneMebibyte() {
    return secrets.checkResponse(request, response, context);
  }
}
