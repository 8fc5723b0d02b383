package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code invalid_answer {kind}}: answers its own call with a response that names the call's id but
 * is not valid, to test what a client does with it:
 *
 * <ul>
 *   <li>{@code both}: both {@code result} and {@code error};
 *   <li>{@code utf8}: a result whose text holds bytes that are not UTF-8;
 *   <li>{@code bad-error}: an {@code error} that is a string, not an object;
 *   <li>{@code batch}: a JSON array holding a notification and then a valid response (text "in a
 *       batch");
 *   <li>{@code batch-invalid}: a JSON array holding the {@code both} response.
 * </ul>
 */
final class InvalidAnswerTool implements Tool {

  private static final byte[] NOT_UTF8 = {(byte) 0xC3, '(', (byte) 0xFF};

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{"kind":{"type":"string",
            "enum":["both","utf8","bad-error","batch","batch-invalid"]}},
           "required":["kind"]}
          """);

  @Override
  public String name() {
    return "invalid_answer";
  }

  @Override
  public String description() {
    return "Answers with an invalid response to this very call.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    String kind = call.arguments().requiredString("kind");
    String id = call.exchange().request().id().toJson().toString();
    String result = "{\"content\":[{\"type\":\"text\",\"text\":\"in a batch\"}]}";
    String both =
        "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{},"
            + "\"error\":{\"code\":-32603,\"message\":\"and an error\"}}";
    byte[] line =
        switch (kind.toLowerCase(Locale.ROOT)) {
          case "both" -> ascii(both);
          case "utf8" -> withBadBytes("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"text\":\"", "\"}}");
          case "bad-error" -> ascii("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":\"not an object\"}");
          case "batch" ->
              ascii(
                  "[{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                      + "\"params\":{\"level\":\"info\",\"data\":\"in a batch\"}},"
                      + "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}]");
          case "batch-invalid" -> ascii("[" + both + "]");
          default -> throw new InvalidParamsException("unknown kind '" + kind + "'");
        };
    call.exchange().respondRaw(line);
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] withBadBytes(String before, String after) {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    line.writeBytes(ascii(before));
    line.writeBytes(NOT_UTF8);
    line.writeBytes(ascii(after));
    return line.toByteArray();
  }
}
