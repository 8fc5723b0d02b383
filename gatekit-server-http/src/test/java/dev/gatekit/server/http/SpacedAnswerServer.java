package dev.gatekit.server.http;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal MCP server over stdio for the front's tests, started as its own JVM ({@link #command}):
 * answers {@code initialize}, ignores notifications, and answers every other request with a result
 * written in a way no JSON encoder writes ({@link #SPACED}: spaces around the colon, a trailing zero),
 * so a test can tell an answer passed on as bytes from one that was decoded and encoded again.
 */
public final class SpacedAnswerServer {

  /** What every answer other than initialize's carries in its result, byte for byte. */
  static final String SPACED = "\"spaced\" :  1.50";

  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(-?\\d+|\"[^\"]*\")");

  private SpacedAnswerServer() {}

  /** The command that starts it: this JVM's java with this JVM's class path. */
  static List<String> command() {
    return List.of(ProcessHandle.current().info().command().orElse("java"), "-Xshare:auto", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), SpacedAnswerServer.class.getName());
  }

  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      Matcher id = ID.matcher(line);
      if (!id.find() || !line.contains("\"method\"")) {
        continue; // a notification, or an answer to nothing we asked
      }
      if (line.contains("\"initialize\"")) {
        out.print("{\"jsonrpc\":\"2.0\",\"id\":" + id.group(1) + ",\"result\":{\"protocolVersion\":\"2025-06-18\","
            + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"spaced\",\"version\":\"1\"}}}\n");
      } else {
        out.print("{\"jsonrpc\":\"2.0\",\"id\":" + id.group(1) + ",\"result\":{\"content\":[{\"type\":\"text\","
            + "\"text\":\"ok\"}]," + SPACED + "}}\n");
      }
      out.flush();
    }
  }
}
