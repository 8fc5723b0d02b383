package dev.gatekit.proxy.internal.telemetry;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.RequestId;
import dev.gatekit.api.support.JsonRpcLineScanner;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A client's request that goes upstream as its encoded line (the byte pass-through of a gateway
 * without plugins), as far as telemetry reads it, and that line with the upstream call's trace
 * context spliced into its {@code params._meta}: what tracing needs without decoding the request.
 *
 * <p>{@link #read} takes a line {@link JsonRpcLineScanner} accepted (so strict, valid JSON) and, when
 * spans are made, reads from its bytes what a decoded request would give {@link MetaCarrier}: the
 * members of {@code params._meta} that the propagator carries ({@code traceparent}, {@code
 * tracestate}) and, for {@code tools/call}, the tool's {@code params.name}. {@link #request()} is the
 * request with only those in its params (its id and method, and no params at all when nothing is
 * traced), for the span's parent and name. {@link #carrying} returns the line whose {@code _meta}
 * carries the given fields instead of the client's: a splice at the offsets the read found — the
 * fields put first in {@code _meta}, the client's own carried fields left out, every other member
 * kept as its bytes, {@code _meta} or {@code params} created when absent — which decodes to exactly
 * what {@link MetaCarrier#inject} makes of the decoded request. A line it cannot be sure of (a
 * carried field or tool name with an escape in its string) it does not take: {@link #read} returns
 * {@code null}, for the line to go the decoded way.
 *
 * <p>An instance refers to the line's buffer: use it only while the buffer holds the line (during the
 * call that was given it). Not thread-safe; confined to that call.
 */
public final class RelayedRequest {

  private static final byte[] META = ascii("_meta");
  private static final byte[] NAME = ascii("name");
  private static final int[] NO_RANGES = {};
  private static final byte[] CLOSE = ascii("}");
  private static final byte[] CLOSE_TWO = ascii("}}");
  private static final byte[] CLOSE_AND_COMMA = ascii("},");

  /** Where the context goes: no params, params without {@code _meta}, a {@code _meta} to rewrite, nowhere. */
  private enum Splice { NO_PARAMS, NO_META, META, NONE }

  /**
   * A line to relay: the request's bytes in {@code buffer[offset, offset + length)} and what {@link
   * JsonRpcLineScanner} found in them.
   */
  public record Line(byte[] buffer, int offset, int length, JsonRpcLineScanner.Members members) {}

  private final byte[] buffer;
  private final int offset;
  private final int length;
  private final JsonRpcLineScanner.Members members;
  private final JsonRpcRequest request;
  private final Splice splice;
  /** The bytes the splice replaces, {@code [from, to)}; empty for an insertion. */
  private final int from;
  private final int to;
  /** NO_META: whether params has members; META: the kept members' ranges (start, end) of {@code _meta}. */
  private final boolean paramsHasMembers;
  private final int[] kept;
  private final int keptCount;

  private RelayedRequest(byte[] buffer, int offset, int length, JsonRpcLineScanner.Members members,
      JsonRpcRequest request, Splice splice, int from, int to, boolean paramsHasMembers, int[] kept, int keptCount) {
    this.buffer = buffer;
    this.offset = offset;
    this.length = length;
    this.members = members;
    this.request = request;
    this.splice = splice;
    this.from = from;
    this.to = to;
    this.paramsHasMembers = paramsHasMembers;
    this.kept = kept;
    this.keptCount = keptCount;
  }

  /**
   * Reads the request in {@code buffer[offset, offset + length)}, which {@link JsonRpcLineScanner}
   * scanned into {@code members} (a request); returns {@code null} when the splice would not be sure
   * of it.
   *
   * @throws IllegalArgumentException if {@code telemetry} makes no spans (then nothing is to be read)
   */
  public static @Nullable RelayedRequest read(Telemetry telemetry, byte[] buffer, int offset, int length,
      JsonRpcLineScanner.Members members) {
    RequestId id = Objects.requireNonNull(members.id(), "a request has an id");
    String method = Objects.requireNonNull(members.method(), "a request has a method");
    if (!telemetry.tracing) {
      throw new IllegalArgumentException("only a telemetry that makes spans reads a request's trace context");
    }
    if (!members.hasParams()) {
      int close = offset + length - 1;
      while (buffer[close] != '}') {
        close--; // trailing whitespace
      }
      return new RelayedRequest(buffer, offset, length, members, new JsonRpcRequest(id, method, null),
          Splice.NO_PARAMS, close, close, false, NO_RANGES, 0);
    }
    if (members.paramsStart() < offset || members.paramsEnd() > offset + length) {
      throw new IllegalArgumentException("the params' bytes are outside the line: " + members);
    }
    Walker walker = new Walker(buffer, members.paramsStart(), members.paramsEnd());
    if (buffer[members.paramsStart()] != '{') {
      return new RelayedRequest(buffer, offset, length, members,
          new JsonRpcRequest(id, method, JsonNodeFactory.instance.arrayNode()), Splice.NONE, 0, 0, false, NO_RANGES, 0);
    }
    return walker.params(telemetry.carriedFields, McpMethods.TOOLS_CALL.equals(method))
        ? walker.request(buffer, offset, length, members, id, method) : null;
  }

  /** Returns the request as telemetry reads it: its id, method, and the params members read. */
  public JsonRpcRequest request() {
    return request;
  }

  /** Returns the line as the client sent it. */
  public Line unchanged() {
    return new Line(buffer, offset, length, members);
  }

  /**
   * Returns the line with {@code fields} (name to value, as a propagator injects them) in its {@code
   * params._meta} in place of the client's carried fields; the line unchanged when {@code fields} is
   * empty or the params are an array (nowhere to put them). A new buffer; the line's is not changed.
   * Equivalent to {@link MetaCarrier#inject} on the decoded request.
   */
  public Line carrying(Map<String, String> fields) {
    if (splice == Splice.NONE || fields.isEmpty()) {
      return unchanged();
    }
    StringBuilder text = new StringBuilder(128);
    switch (splice) {
      case NO_PARAMS -> text.append(",\"params\":{\"_meta\":{");
      case NO_META -> text.append("\"_meta\":{");
      default -> text.append('{');
    }
    boolean first = true;
    for (Map.Entry<String, String> field : fields.entrySet()) {
      if (!first) {
        text.append(',');
      }
      first = false;
      quote(text, field.getKey()).append(':');
      quote(text, field.getValue());
    }
    byte[] head = text.toString().getBytes(StandardCharsets.UTF_8);
    byte[] tail = switch (splice) {
      case NO_PARAMS -> CLOSE_TWO;
      case NO_META -> paramsHasMembers ? CLOSE_AND_COMMA : CLOSE;
      default -> CLOSE;
    };
    int keptBytes = 0;
    for (int i = 0; i < keptCount; i += 2) {
      keptBytes += 1 + kept[i + 1] - kept[i];
    }
    int inserted = head.length + keptBytes + tail.length;
    int delta = inserted - (to - from);
    byte[] out = new byte[length + delta];
    int before = from - offset;
    System.arraycopy(buffer, offset, out, 0, before);
    int at = before;
    System.arraycopy(head, 0, out, at, head.length);
    at += head.length;
    for (int i = 0; i < keptCount; i += 2) {
      out[at++] = ',';
      int size = kept[i + 1] - kept[i];
      System.arraycopy(buffer, kept[i], out, at, size);
      at += size;
    }
    System.arraycopy(tail, 0, out, at, tail.length);
    at += tail.length;
    System.arraycopy(buffer, to, out, at, offset + length - to);
    return new Line(out, 0, out.length, moved(delta, before, inserted));
  }

  /** The members of the spliced line (at offset 0), whose bytes after the splice moved by {@code delta}. */
  private JsonRpcLineScanner.Members moved(int delta, int spliceAt, int inserted) {
    int paramsStart;
    int paramsEnd;
    if (splice == Splice.NO_PARAMS) {
      paramsStart = spliceAt + ",\"params\":".length();
      paramsEnd = spliceAt + inserted;
    } else {
      paramsStart = members.paramsStart() - offset;
      paramsEnd = members.paramsEnd() - offset + delta;
    }
    int idShift = members.idStart() >= to ? delta : 0;
    return new JsonRpcLineScanner.Members(members.id(), members.idStart() - offset + idShift,
        members.idEnd() - offset + idShift, members.method(), true, false, false, paramsStart, paramsEnd);
  }

  private static StringBuilder quote(StringBuilder text, String value) {
    text.append('"');
    JsonStringEncoder.getInstance().quoteAsString(value, text);
    return text.append('"');
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Walks the params object of a line {@link JsonRpcLineScanner} validated: it needs to tell only
   * strings, nesting and the ends of values apart, and member names have no escapes.
   */
  private static final class Walker {
    private final byte[] b;
    private final int end;
    private int pos;
    private int paramsMembers;
    private int metaStart = -1;
    private int metaEnd = -1;
    private @Nullable String tool;
    private @Nullable ObjectNode carried;
    private int[] kept = new int[8];
    private int keptCount;

    Walker(byte[] b, int start, int end) {
      this.b = b;
      this.pos = start;
      this.end = end;
    }

    /** Reads the params object; returns false when a string it needs has an escape. */
    boolean params(byte[][] carriedFields, boolean toolsCall) {
      pos++;
      whitespace();
      while (b[pos] != '}') {
        int nameStart = pos + 1;
        string();
        int nameEnd = pos - 1;
        colon();
        int valueStart = pos;
        boolean escaped = value();
        paramsMembers++;
        if (is(nameStart, nameEnd, META)) {
          metaStart = valueStart;
          metaEnd = pos;
        } else if (toolsCall && is(nameStart, nameEnd, NAME) && b[valueStart] == '"') {
          if (escaped) {
            return false;
          }
          tool = text(valueStart + 1, pos - 1);
        }
        comma();
      }
      if (metaStart >= 0 && b[metaStart] == '{') {
        return meta(carriedFields);
      }
      return true;
    }

    private boolean meta(byte[][] carriedFields) {
      pos = metaStart + 1;
      whitespace();
      carried = JsonNodeFactory.instance.objectNode();
      while (b[pos] != '}') {
        int memberStart = pos;
        int nameStart = pos + 1;
        string();
        int nameEnd = pos - 1;
        colon();
        int valueStart = pos;
        boolean escaped = value();
        byte[] field = carriedField(carriedFields, nameStart, nameEnd);
        if (field == null) {
          if (keptCount + 2 > kept.length) {
            kept = Arrays.copyOf(kept, kept.length * 2);
          }
          kept[keptCount++] = memberStart;
          kept[keptCount++] = pos;
        } else if (b[valueStart] == '"') {
          if (escaped) {
            return false;
          }
          carried.put(text(nameStart, nameEnd), text(valueStart + 1, pos - 1));
        }
        comma();
      }
      return true;
    }

    RelayedRequest request(byte[] buffer, int offset, int length, JsonRpcLineScanner.Members members, RequestId id,
        String method) {
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      if (tool != null) {
        params.put("name", tool);
      }
      if (carried != null) {
        params.set("_meta", carried);
      }
      JsonRpcRequest request = new JsonRpcRequest(id, method, params);
      if (metaStart < 0) {
        int open = members.paramsStart() + 1;
        return new RelayedRequest(buffer, offset, length, members, request, Splice.NO_META, open, open,
            paramsMembers > 0, NO_RANGES, 0);
      }
      return new RelayedRequest(buffer, offset, length, members, request, Splice.META, metaStart, metaEnd, true,
          kept, keptCount);
    }

    private @Nullable byte[] carriedField(byte[][] carriedFields, int start, int stop) {
      for (byte[] field : carriedFields) {
        if (is(start, stop, field)) {
          return field;
        }
      }
      return null;
    }

    private void colon() {
      whitespace();
      pos++; // ':'
      whitespace();
    }

    private void comma() {
      whitespace();
      if (b[pos] == ',') {
        pos++;
        whitespace();
      }
    }

    /** Skips a value; returns whether it was a string with an escape. */
    private boolean value() {
      byte c = b[pos];
      if (c == '"') {
        return string();
      }
      if (c == '{' || c == '[') {
        nested();
        return false;
      }
      while (pos < end) {
        c = b[pos];
        if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          break;
        }
        pos++;
      }
      return false;
    }

    private void nested() {
      int depth = 0;
      do {
        byte c = b[pos];
        if (c == '"') {
          string();
          continue;
        }
        if (c == '{' || c == '[') {
          depth++;
        } else if (c == '}' || c == ']') {
          depth--;
        }
        pos++;
      } while (depth > 0);
    }

    /** Skips a string from its opening quote past its closing one; returns whether it had an escape. */
    private boolean string() {
      pos++;
      boolean escaped = false;
      while (true) {
        byte c = b[pos];
        if (c == '"') {
          pos++;
          return escaped;
        }
        if (c == '\\') {
          escaped = true;
          pos += 2;
        } else {
          pos++;
        }
      }
    }

    private void whitespace() {
      while (pos < end) {
        byte c = b[pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    private String text(int start, int stop) {
      return new String(b, start, stop - start, StandardCharsets.UTF_8);
    }

    private boolean is(int start, int stop, byte[] expected) {
      return stop - start == expected.length && Arrays.equals(b, start, stop, expected, 0, expected.length);
    }
  }
}
