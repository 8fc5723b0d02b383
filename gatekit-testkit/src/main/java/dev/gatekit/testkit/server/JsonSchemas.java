package dev.gatekit.testkit.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;

/** Reads the tools' input schemas, written as JSON text in the source. */
final class JsonSchemas {

  private JsonSchemas() {}

  /** Parses a JSON object; the text is a constant of this package, so a bad one is a bug. */
  static ObjectNode parse(String json) {
    try {
      return (ObjectNode) JsonRpcCodec.get().mapper().readTree(json);
    } catch (JsonProcessingException | ClassCastException e) {
      throw new IllegalArgumentException("not a JSON object: " + json, e);
    }
  }
}
