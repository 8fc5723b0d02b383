package dev.gatekit.server.http.internal;

import java.util.List;
import java.util.Locale;

/**
 * What a client's {@code Accept} header allows of the two media types Streamable HTTP answers with.
 * A missing header allows neither: MCP clients must list both. {@code *}{@code /*} and
 * {@code application/*} / {@code text/*} count; a type with {@code q=0} does not.
 */
record Accepts(boolean json, boolean sse) {

  static Accepts of(List<String> headerValues) {
    boolean json = false;
    boolean sse = false;
    for (String value : headerValues) {
      for (String part : value.split(",")) {
        String[] pieces = part.split(";");
        String type = pieces[0].trim().toLowerCase(Locale.ROOT);
        if (refused(pieces)) {
          continue;
        }
        switch (type) {
          case "*/*" -> {
            json = true;
            sse = true;
          }
          case "application/json", "application/*" -> json = true;
          case "text/event-stream", "text/*" -> sse = true;
          default -> { }
        }
      }
    }
    return new Accepts(json, sse);
  }

  private static boolean refused(String[] pieces) {
    for (int i = 1; i < pieces.length; i++) {
      String parameter = pieces[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
      if (parameter.startsWith("q=")) {
        try {
          return Double.parseDouble(parameter.substring(2)) <= 0;
        } catch (NumberFormatException e) {
          return false;
        }
      }
    }
    return false;
  }

  boolean any() {
    return json || sse;
  }
}
