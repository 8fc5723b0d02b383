package dev.gatekit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal MCP client over a process's stdin and stdout: writes one JSON-RPC request per line and
 * completes the future of the request whose id a response carries, from one reader thread.
 */
final class DemoClient implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final OutputStream out;
  private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Thread reader;

  DemoClient(Process process) {
    this.process = process;
    this.out = process.getOutputStream();
    this.reader = new Thread(this::readLoop, "gatekit-demo-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** Sends a request; the future completes with the whole response message. */
  CompletableFuture<JsonNode> request(String method, JsonNode params) {
    long id = ids.incrementAndGet();
    CompletableFuture<JsonNode> future = new CompletableFuture<>();
    pending.put(id, future);
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
    message.set("params", params);
    try {
      write(message);
    } catch (IOException e) {
      pending.remove(id);
      future.completeExceptionally(e);
    }
    return future;
  }

  void notify(String method) throws IOException {
    write(JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method));
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  private synchronized void write(JsonNode message) throws IOException {
    out.write(JSON.writeValueAsBytes(message));
    out.write('\n');
    out.flush();
  }

  private void readLoop() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode message;
        try {
          message = JSON.readTree(line);
        } catch (IOException e) {
          continue;
        }
        JsonNode id = message.get("id");
        if (id != null && id.isIntegralNumber() && !message.has("method")) {
          CompletableFuture<JsonNode> future = pending.remove(id.longValue());
          if (future != null) {
            future.complete(message);
          }
        }
      }
    } catch (IOException e) {
      // the process went away; fail what is pending below
    }
    IOException closed = new IOException("the gateway closed its output");
    pending.values().forEach(f -> f.completeExceptionally(closed));
    pending.clear();
  }

  @Override
  public void close() {
    try {
      out.close();
    } catch (IOException e) {
      // already gone
    }
  }
}
