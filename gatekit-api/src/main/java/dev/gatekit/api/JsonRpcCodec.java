package dev.gatekit.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Turns bytes into {@link JsonRpcMessage}s and back, as JSON-RPC 2.0 prescribes.
 *
 * <p>Decoding never throws a Jackson exception: input that is not JSON (including invalid UTF-8 and
 * trailing garbage) becomes a {@link ProtocolException} with code {@link ErrorCodes#PARSE_ERROR};
 * JSON that is not a valid message (not an object, no {@code "jsonrpc": "2.0"}, an id that is not a
 * string or an integer, a method that is not a string, a response with both or neither of result and
 * error, ...) becomes one with {@link ErrorCodes#INVALID_REQUEST} and, where it could be read, the id.
 * A JSON array (a batch) is reported with {@link ProtocolException#isBatch()}. Duplicate member names
 * are refused, so that a message cannot carry two different ids.
 *
 * <p>Payload numbers are kept exactly: decimals are read as {@link java.math.BigDecimal} (so
 * {@code 1.10} and {@code 1e400} are written back as they came) and large integers as
 * {@link java.math.BigInteger}.
 *
 * <p>Encoding writes compact JSON on one line: a message never contains a raw line break, which is
 * what newline-delimited framing needs. Instances are immutable and thread-safe; share one.
 */
public final class JsonRpcCodec {

  private static final JsonRpcCodec DEFAULT = new JsonRpcCodec();

  private final ObjectMapper mapper;
  private final JsonFactory factory;

  private JsonRpcCodec() {
    this.mapper =
        JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            // A gateway passes numbers on as they came: 1.10 stays 1.10 and 1e400 does not become
            // Infinity, which doubles would do.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();
    this.factory = mapper.getFactory();
  }

  /** Returns the shared codec. */
  public static JsonRpcCodec get() {
    return DEFAULT;
  }

  /** Returns the object mapper the codec uses, for building payload trees. Do not reconfigure it. */
  public ObjectMapper mapper() {
    return mapper;
  }

  /** Decodes one message from UTF-8 bytes. */
  public JsonRpcMessage decode(byte[] utf8) {
    return decode(utf8, 0, utf8.length);
  }

  /** Decodes one message from {@code length} UTF-8 bytes of {@code buffer} starting at {@code offset}. */
  public JsonRpcMessage decode(byte[] buffer, int offset, int length) {
    JsonNode tree;
    try {
      tree = mapper.readTree(buffer, offset, length);
    } catch (IOException | RuntimeException e) {
      throw ProtocolException.parseError("Parse error: " + describe(e), e);
    }
    return fromTree(tree);
  }

  /** Decodes one message from a string. */
  public JsonRpcMessage decode(String json) {
    return decode(json.getBytes(StandardCharsets.UTF_8));
  }

  /** Turns a parsed JSON tree into a message, validating it as {@link #decode(byte[])} does. */
  public JsonRpcMessage fromTree(@Nullable JsonNode tree) {
    if (tree == null || tree.isMissingNode()) {
      throw ProtocolException.parseError("Parse error: empty input", null);
    }
    if (tree.isArray()) {
      throw new ProtocolException(
          ErrorCodes.INVALID_REQUEST,
          "Invalid request: JSON-RPC batches (arrays) are not supported by MCP since 2025-06-18;"
              + " send one message per line",
          null,
          true,
          null);
    }
    if (!tree.isObject()) {
      throw invalid("a message must be a JSON object, was " + typeName(tree), null);
    }
    JsonNode idNode = tree.get("id");
    RequestId id = idNode == null ? null : RequestId.fromJson(idNode);
    JsonNode version = tree.get("jsonrpc");
    if (version == null || !version.isTextual() || !JsonRpcMessage.VERSION.equals(version.textValue())) {
      throw invalid(
          "'jsonrpc' must be \"2.0\", was " + (version == null ? "missing" : version.toString()), id);
    }
    if (idNode != null && id == null && !idNode.isNull()) {
      throw invalid(
          "'id' must be a string or an integer, was " + typeName(idNode) + " " + abbreviate(idNode),
          null);
    }
    JsonNode method = tree.get("method");
    if (method != null) {
      return requestOrNotification(tree, method, idNode, id);
    }
    return response(tree, idNode, id);
  }

  private static JsonRpcMessage requestOrNotification(
      JsonNode tree, JsonNode method, @Nullable JsonNode idNode, @Nullable RequestId id) {
    if (!method.isTextual()) {
      throw invalid("'method' must be a string, was " + typeName(method), id);
    }
    if (method.textValue().isEmpty()) {
      throw invalid("'method' must not be empty", id);
    }
    if (tree.has("result") || tree.has("error")) {
      throw invalid("a message cannot have both 'method' and 'result' or 'error'", id);
    }
    JsonNode params = tree.get("params");
    if (params != null && !params.isObject() && !params.isArray()) {
      throw invalid("'params' must be an object or an array, was " + typeName(params), id);
    }
    if (idNode == null) {
      return new JsonRpcNotification(method.textValue(), params);
    }
    if (id == null) {
      throw invalid("a request 'id' must not be null", null);
    }
    return new JsonRpcRequest(id, method.textValue(), params);
  }

  private static JsonRpcMessage response(
      JsonNode tree, @Nullable JsonNode idNode, @Nullable RequestId id) {
    if (idNode == null) {
      throw invalid("a message needs a 'method' (request or notification) or an 'id' (response)", null);
    }
    JsonNode result = tree.get("result");
    JsonNode error = tree.get("error");
    if ((result == null) == (error == null)) {
      throw invalid("a response must have exactly one of 'result' and 'error'", id);
    }
    if (result != null) {
      if (id == null) {
        throw invalid("a successful response must have a non-null 'id'", null);
      }
      return JsonRpcResponse.success(id, result);
    }
    return JsonRpcResponse.failure(id, readError(error, id));
  }

  private static JsonRpcError readError(JsonNode error, @Nullable RequestId id) {
    if (!error.isObject()) {
      throw invalid("'error' must be an object, was " + typeName(error), id);
    }
    JsonNode code = error.get("code");
    if (code == null || !code.isIntegralNumber() || !code.canConvertToInt()) {
      throw invalid("'error.code' must be an integer", id);
    }
    JsonNode message = error.get("message");
    if (message == null || !message.isTextual()) {
      throw invalid("'error.message' must be a string", id);
    }
    return new JsonRpcError(code.intValue(), message.textValue(), error.get("data"));
  }

  private static ProtocolException invalid(String detail, @Nullable RequestId id) {
    return ProtocolException.invalidRequest("Invalid request: " + detail, id);
  }

  private static String typeName(JsonNode node) {
    JsonNodeType type = node.getNodeType();
    if (type == JsonNodeType.NUMBER) {
      return node.isIntegralNumber() ? "an integer out of range" : "a fractional number";
    }
    return switch (type) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case STRING -> "a string";
      default -> type.name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String abbreviate(JsonNode node) {
    String text = node.toString();
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    // Jackson appends a source location on a second line; the first line is the useful part.
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  /** Returns the message as compact UTF-8 JSON, without a trailing line break. */
  public byte[] encode(JsonRpcMessage message) {
    try (ByteArrayBuilder buffer = new ByteArrayBuilder(256)) {
      writeTo(message, buffer);
      return buffer.toByteArray();
    }
  }

  /** Returns the message as a compact JSON string. */
  public String encodeToString(JsonRpcMessage message) {
    return new String(encode(message), StandardCharsets.UTF_8);
  }

  /** Writes the message as compact UTF-8 JSON to {@code out}, without a line break; does not flush. */
  public void writeTo(JsonRpcMessage message, OutputStream out) {
    try (JsonGenerator generator = factory.createGenerator(out)) {
      generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      generator.disable(JsonGenerator.Feature.FLUSH_PASSED_TO_STREAM);
      write(message, generator);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Returns the message as a JSON tree, exactly as {@link #encode} would write it. */
  public ObjectNode toTree(JsonRpcMessage message) {
    try {
      return (ObjectNode) mapper.readTree(encode(message));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void write(JsonRpcMessage message, JsonGenerator g) throws IOException {
    g.writeStartObject();
    g.writeStringField("jsonrpc", JsonRpcMessage.VERSION);
    if (message instanceof JsonRpcRequest request) {
      g.writeFieldName("id");
      writeId(request.id(), g);
      g.writeStringField("method", request.method());
      writeTreeField("params", request.params(), g);
    } else if (message instanceof JsonRpcNotification notification) {
      g.writeStringField("method", notification.method());
      writeTreeField("params", notification.params(), g);
    } else if (message instanceof JsonRpcResponse response) {
      g.writeFieldName("id");
      writeId(response.id(), g);
      JsonRpcError error = response.error();
      if (error == null) {
        g.writeFieldName("result");
        g.writeTree(response.result());
      } else {
        g.writeObjectFieldStart("error");
        g.writeNumberField("code", error.code());
        g.writeStringField("message", error.message());
        writeTreeField("data", error.data(), g);
        g.writeEndObject();
      }
    }
    g.writeEndObject();
  }

  private static void writeId(@Nullable RequestId id, JsonGenerator g) throws IOException {
    if (id instanceof RequestId.NumberId number) {
      g.writeNumber(number.value());
    } else if (id instanceof RequestId.StringId string) {
      g.writeString(string.value());
    } else {
      g.writeNull();
    }
  }

  private static void writeTreeField(String name, @Nullable JsonNode tree, JsonGenerator g)
      throws IOException {
    if (tree != null) {
      g.writeFieldName(name);
      g.writeTree(tree);
    }
  }
}
