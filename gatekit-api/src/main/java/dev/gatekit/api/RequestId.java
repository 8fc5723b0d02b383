package dev.gatekit.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The id of a JSON-RPC request, keeping the JSON type it had on the wire.
 *
 * <p>JSON-RPC allows a string or a number as id, and a response must carry the id exactly as the
 * request had it. {@code 1} and {@code "1"} are therefore different ids: {@link NumberId} and
 * {@link StringId} are never equal to each other, and each serialises back to the JSON type it came
 * from. Numeric ids are integers that fit in a {@code long}; the codec rejects fractional numbers.
 */
public sealed interface RequestId extends java.io.Serializable
    permits RequestId.NumberId, RequestId.StringId {

  /** Returns the numeric id {@code value}. */
  static RequestId of(long value) {
    return new NumberId(value);
  }

  /** Returns the string id {@code value}. */
  static RequestId of(String value) {
    return new StringId(value);
  }

  /**
   * Reads an id from JSON: a string, or an integer that fits in a {@code long}; returns {@code null}
   * for anything else (null, fractional, too large, boolean, object, array).
   */
  static @org.jspecify.annotations.Nullable RequestId fromJson(com.fasterxml.jackson.databind.JsonNode node) {
    if (node.isTextual()) {
      return of(node.textValue());
    }
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return of(node.longValue());
    }
    return null;
  }

  /** Returns this id as a JSON node of its own type (a number or a string). */
  JsonNode toJson();

  /** A numeric id, written as a JSON integer. */
  record NumberId(long value) implements RequestId {
    @Override
    public JsonNode toJson() {
      return JsonNodeFactory.instance.numberNode(value);
    }

    @Override
    public String toString() {
      return Long.toString(value);
    }
  }

  /** A string id, written as a JSON string. */
  record StringId(String value) implements RequestId {
    public StringId {
      java.util.Objects.requireNonNull(value, "value");
    }

    @Override
    public JsonNode toJson() {
      return JsonNodeFactory.instance.textNode(value);
    }

    /** Returns the id quoted, as it appears in JSON, so that it is never confused with a number. */
    @Override
    public String toString() {
      return '"' + value + '"';
    }
  }
}
