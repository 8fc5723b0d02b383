package dev.gatekit.transport.stdio.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads what can still be used from a line of the upstream's that the codec refused, so that a
 * response which names its request but is otherwise invalid fails that request at once instead of
 * leaving it to its timeout.
 *
 * <ul>
 *   <li>JSON that is invalid only in its encoding (invalid UTF-8, say inside a string) is read with
 *       the bad bytes replaced, and every response in it that names a request is reported invalid
 *       ("it is not valid UTF-8").
 *   <li>A JSON object without {@code method} and with a readable {@code id} that is still not a
 *       valid response (both {@code result} and {@code error}, a bad {@code error}, a wrong {@code
 *       jsonrpc}) is reported invalid, with the codec's reason.
 *   <li>A JSON array (a JSON-RPC batch, which MCP no longer has) is taken element by element, as if
 *       each had come on a line of its own: valid messages are used, invalid responses that name a
 *       request are reported, the rest is unusable.
 *   <li>Anything else (not JSON, a request or notification that is invalid, a response without a
 *       readable id) is unusable: the caller logs and drops it, as before.
 * </ul>
 *
 * <p>Reasons never quote the upstream's text: the value the codec found wrong is cut off, so that a
 * reason can go to a client. Stateless and thread-safe.
 */
public final class LineSalvage {

  /** One thing found in a refused line. */
  public sealed interface Item permits Valid, InvalidResponse, Unusable {}

  /** A valid message (an element of a batch). */
  public record Valid(JsonRpcMessage message) implements Item {}

  /** A response to {@code id} that is not valid for {@code reason}, which quotes nothing of the upstream's. */
  public record InvalidResponse(RequestId id, String reason) implements Item {}

  /** Something that cannot be used at all, for {@code reason}. */
  public record Unusable(String reason) implements Item {}

  private static final String NOT_UTF8 = "it is not valid UTF-8";

  private LineSalvage() {}

  /** Returns what the line the codec refused with {@code refusal} still holds, in order. */
  public static List<Item> salvage(
      JsonRpcCodec codec, byte[] buffer, int offset, int length, ProtocolException refusal) {
    boolean badEncoding = false;
    JsonNode tree = readTree(codec, buffer, offset, length);
    if (tree == null) {
      // Not JSON as bytes; as text, with invalid UTF-8 replaced, it may be.
      tree = readTree(codec, new String(buffer, offset, length, StandardCharsets.UTF_8));
      if (tree == null) {
        return List.of(new Unusable(refusal.getMessage()));
      }
      badEncoding = true;
    }
    if (!tree.isArray()) {
      return List.of(examine(codec, tree, badEncoding));
    }
    if (tree.isEmpty()) {
      return List.of(new Unusable("an empty JSON array"));
    }
    List<Item> items = new ArrayList<>(tree.size());
    for (JsonNode element : tree) {
      items.add(examine(codec, element, badEncoding));
    }
    return items;
  }

  private static Item examine(JsonRpcCodec codec, JsonNode node, boolean badEncoding) {
    if (!badEncoding) {
      try {
        return new Valid(codec.fromTree(node));
      } catch (ProtocolException e) {
        RequestId id = responseId(node);
        return id == null ? new Unusable(e.getMessage()) : new InvalidResponse(id, reason(e));
      }
    }
    RequestId id = responseId(node);
    return id == null ? new Unusable(NOT_UTF8) : new InvalidResponse(id, NOT_UTF8);
  }

  /** Returns the id of something meant as a response (an object with an id and no method), or null. */
  private static @Nullable RequestId responseId(JsonNode node) {
    if (!node.isObject() || node.has("method")) {
      return null;
    }
    JsonNode id = node.get("id");
    return id == null ? null : RequestId.fromJson(id);
  }

  /** The codec's reason without its prefix and without the value it found (upstream text). */
  private static String reason(ProtocolException e) {
    String message = String.valueOf(e.getMessage());
    String prefix = "Invalid request: ";
    if (message.startsWith(prefix)) {
      message = message.substring(prefix.length());
    }
    int found = message.indexOf(", was ");
    return found < 0 ? message : message.substring(0, found);
  }

  private static @Nullable JsonNode readTree(JsonRpcCodec codec, byte[] buffer, int offset, int length) {
    try {
      return codec.mapper().readTree(buffer, offset, length);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static @Nullable JsonNode readTree(JsonRpcCodec codec, String text) {
    try {
      return codec.mapper().readTree(text);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
