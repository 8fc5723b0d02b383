package dev.gatekit.transport.stdio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A stdio server in the manner of MCP 2026-07-28's {@code subscriptions/listen}, run as a real
 * subprocess by {@link StdioTransportListenIdsTest}: each listen is answered with two {@code
 * notifications/resources/updated} naming it by the id it came under in {@code
 * _meta["io.modelcontextprotocol/subscriptionId"]}; a listen whose filter names {@code test://end}
 * is then ended by the server itself: a {@code notifications/cancelled} with that id as {@code
 * requestId}, then the listen's result. Any other request gets an empty result.
 */
public final class ListeningServer {

  private ListeningServer() {}

  /** Serves stdin until it ends. */
  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      JsonNode message = json.readTree(line);
      String method = message.path("method").asText();
      JsonNode id = message.get("id");
      if ("subscriptions/listen".equals(method) && id != null) {
        for (String uri : List.of("test://a", "test://b")) {
          out.println("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\""
              + uri + "\",\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":" + id + "}}}");
        }
        if (message.path("params").path("filter").path("resourceSubscriptions").toString().contains("test://end")) {
          out.println("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":" + id + "}}");
          out.println("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"resultType\":\"complete\"}}");
        }
      } else if (id != null) {
        out.println("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}");
      }
    }
  }
}
