package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.jspecify.annotations.Nullable;

/** The {@code arguments} of a tool call, read with checks that fail as invalid params. */
final class ToolArguments {

  private final String tool;
  private final ObjectNode arguments;

  private ToolArguments(String tool, ObjectNode arguments) {
    this.tool = tool;
    this.arguments = arguments;
  }

  /** Wraps the arguments node of a call; absent or null arguments are an empty object. */
  static ToolArguments of(String tool, @Nullable JsonNode arguments) {
    if (arguments == null || arguments.isNull()) {
      return new ToolArguments(tool, JsonNodeFactory.instance.objectNode());
    }
    if (!arguments.isObject()) {
      throw new InvalidParamsException("'arguments' of tool '" + tool + "' must be an object");
    }
    return new ToolArguments(tool, (ObjectNode) arguments);
  }

  /** Returns a string argument that must be present. */
  String requiredString(String name) {
    JsonNode value = arguments.get(name);
    if (value == null || !value.isTextual()) {
      throw invalid(name, "is required and must be a string");
    }
    return value.textValue();
  }

  /** Returns a string argument, or {@code fallback} when it is absent. */
  String optionalString(String name, String fallback) {
    JsonNode value = arguments.get(name);
    if (value == null || value.isNull()) {
      return fallback;
    }
    if (!value.isTextual() || value.textValue().isEmpty()) {
      throw invalid(name, "must be a non-empty string");
    }
    return value.textValue();
  }

  /** Returns a whole-number argument from {@code min} to {@code max} that must be present. */
  long requiredLong(String name, long min, long max) {
    JsonNode value = arguments.get(name);
    if (value == null || value.isNull()) {
      throw invalid(name, "is required");
    }
    return checkedLong(name, value, min, max);
  }

  /** Returns a whole-number argument from {@code min} to {@code max}, or {@code fallback}. */
  long optionalLong(String name, long fallback, long min, long max) {
    JsonNode value = arguments.get(name);
    if (value == null || value.isNull()) {
      return fallback;
    }
    return checkedLong(name, value, min, max);
  }

  private long checkedLong(String name, JsonNode value, long min, long max) {
    // A whole number written as 50.0 is accepted; 50.5 and "50" are not.
    boolean whole =
        value.isIntegralNumber() || (value.isFloatingPointNumber() && value.doubleValue() % 1 == 0);
    if (!whole || !value.canConvertToLong()) {
      throw invalid(name, "must be a whole number");
    }
    long number = value.asLong();
    if (number < min || number > max) {
      throw invalid(name, "must be from " + min + " to " + max + ", was " + number);
    }
    return number;
  }

  private InvalidParamsException invalid(String name, String problem) {
    return new InvalidParamsException("Argument '" + name + "' of tool '" + tool + "' " + problem);
  }
}
