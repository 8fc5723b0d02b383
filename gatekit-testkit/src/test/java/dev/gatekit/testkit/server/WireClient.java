package dev.gatekit.testkit.server;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * A test-only client of a real {@link TestMcpServer} subprocess that speaks raw JSON lines: it
 * writes lines to the server's stdin, keeps every line the server writes to stdout (raw, and parsed
 * when it is a JSON object), correlates responses with requests by id (with its JSON type), and
 * drains stderr. Every wait is bounded by {@link #TIMEOUT}.
 */
final class WireClient implements AutoCloseable {

  /** The longest any condition is waited for; generous, for a loaded machine. */
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final OutputStream stdin;
  private final Thread stdoutPump;
  private final Thread stderrPump;
  private final Object lock = new Object();
  private final List<byte[]> lines = new ArrayList<>(); // guarded by lock
  private final List<JsonNode> messages = new ArrayList<>(); // guarded by lock
  private final List<String> stderrLines = new ArrayList<>(); // guarded by lock
  private long stderrBytes; // guarded by lock
  private boolean stdoutEnded; // guarded by lock
  private final Map<String, CompletableFuture<JsonNode>> responses = new ConcurrentHashMap<>();
  private final AtomicLong lastId = new AtomicLong();

  private WireClient(Process process) {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.stdoutPump = new Thread(this::pumpStdout, "wire-client-stdout");
    this.stderrPump = new Thread(this::pumpStderr, "wire-client-stderr");
    stdoutPump.setDaemon(true);
    stderrPump.setDaemon(true);
    stdoutPump.start();
    stderrPump.start();
  }

  /**
   * Starts a server with these arguments and connects to it. Tests start many short-lived servers,
   * so they use only the quick (C1) compiler, which gets them answering sooner.
   */
  static WireClient start(String... serverArgs) {
    try {
      return new WireClient(
          TestServer.builder()
              .jvmOptions("-XX:TieredStopAtLevel=1")
              .args(serverArgs)
              .stderr(Redirect.PIPE)
              .start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Process process() {
    return process;
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /** Returns a request line. */
  static String request(Object id, String method, @Nullable Object params) {
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0");
    message.set("id", JSON.valueToTree(id));
    message.put("method", method);
    if (params != null) {
      message.set("params", JSON.valueToTree(params));
    }
    return message.toString();
  }

  /** Returns a notification line. */
  static String notification(String method, @Nullable Object params) {
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0").put("method", method);
    if (params != null) {
      message.set("params", JSON.valueToTree(params));
    }
    return message.toString();
  }

  /** Returns a {@code tools/call} request line. */
  static String toolCall(Object id, String tool, Map<String, ?> arguments) {
    return request(id, "tools/call", Map.of("name", tool, "arguments", arguments));
  }

  /** Writes lines with one write and one flush, as a pipelining client would. */
  void send(String... lines) {
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      text.append(line).append('\n');
    }
    sendBytes(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Writes raw bytes and flushes. */
  synchronized void sendBytes(byte[] bytes) {
    try {
      stdin.write(bytes);
      stdin.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Closes the server's stdin: end of input. */
  void closeStdin() {
    try {
      stdin.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Requests and responses

  /** Returns the future of the first response with this id (compared with its JSON type). */
  CompletableFuture<JsonNode> responseTo(Object id) {
    return responses.computeIfAbsent(idKey(JSON.valueToTree(id)), key -> new CompletableFuture<>());
  }

  /** Sends a request with a fresh numeric id and waits for its response. */
  JsonNode call(String method, @Nullable Object params) {
    long id = lastId.incrementAndGet() + 1_000_000;
    CompletableFuture<JsonNode> response = responseTo(id);
    send(request(id, method, params));
    return await(response);
  }

  /** Calls a tool and waits for the response (result or error). */
  JsonNode callTool(String tool, Map<String, ?> arguments) {
    return call("tools/call", Map.of("name", tool, "arguments", arguments));
  }

  /** Returns the {@code structuredContent} of a {@code stats} call. */
  JsonNode stats() {
    return callTool("stats", Map.of()).path("result").path("structuredContent");
  }

  /** Waits for a future within {@link #TIMEOUT}. */
  <T> T await(CompletableFuture<T> future) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return fail("no answer within %s; stderr: %s", TIMEOUT, stderrLines());
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // What the server wrote

  /** Returns every stdout line so far, raw. */
  List<byte[]> lines() {
    synchronized (lock) {
      return List.copyOf(lines);
    }
  }

  /** Returns every stdout line so far that was a JSON object, in order. */
  List<JsonNode> messages() {
    synchronized (lock) {
      return List.copyOf(messages);
    }
  }

  /** Waits until a message matches and returns the first that does. */
  JsonNode awaitMessage(Predicate<JsonNode> condition) {
    return awaitCondition(
        () -> messages.stream().filter(condition).findFirst().orElse(null), "a matching message");
  }

  /** Waits until the stdout lines satisfy the condition. */
  void awaitLines(Predicate<List<byte[]>> condition) {
    awaitCondition(() -> condition.test(lines) ? Boolean.TRUE : null, "matching stdout lines");
  }

  /** Returns the stderr lines so far. */
  List<String> stderrLines() {
    synchronized (lock) {
      return List.copyOf(stderrLines);
    }
  }

  /** Returns the number of bytes read from stderr so far. */
  long stderrBytes() {
    synchronized (lock) {
      return stderrBytes;
    }
  }

  /** Waits until a stderr line matches and returns it. */
  String awaitStderr(Predicate<String> condition) {
    return awaitCondition(
        () -> stderrLines.stream().filter(condition).findFirst().orElse(null),
        "a matching stderr line");
  }

  /** Waits for the server to exit and returns its exit code. */
  int awaitExit() {
    try {
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        return fail("the server did not exit within %s; stderr: %s", TIMEOUT, stderrLines());
      }
      stdoutPump.join(TIMEOUT.toMillis());
      stderrPump.join(TIMEOUT.toMillis());
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Kills the server and waits for it; idempotent. */
  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      stdoutPump.join(TIMEOUT.toMillis());
      stderrPump.join(TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private interface Probe<T> {
    @Nullable T check();
  }

  private <T> T awaitCondition(Probe<T> probe, String what) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    synchronized (lock) {
      while (true) {
        T found = probe.check();
        if (found != null) {
          return found;
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          return fail("no %s within %s; stderr: %s", what, TIMEOUT, stderrLines);
        }
        try {
          lock.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pumps

  private void pumpStdout() {
    try (InputStream in = new BufferedInputStream(process.getInputStream(), 64 * 1024)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          onStdoutLine(line.toByteArray());
          line.reset();
        } else {
          line.write(b);
        }
      }
    } catch (IOException e) {
      // The process was killed; nothing more to read.
    } finally {
      synchronized (lock) {
        stdoutEnded = true;
        lock.notifyAll();
      }
    }
  }

  private void onStdoutLine(byte[] raw) {
    JsonNode message = parse(raw);
    synchronized (lock) {
      lines.add(raw);
      if (message != null) {
        messages.add(message);
      }
      lock.notifyAll();
    }
    if (message != null
        && message.has("id")
        && !message.has("method")
        && (message.has("result") || message.has("error"))) {
      responses
          .computeIfAbsent(idKey(message.get("id")), key -> new CompletableFuture<>())
          .complete(message);
    }
  }

  private static @Nullable JsonNode parse(byte[] raw) {
    try {
      JsonNode node = JSON.readTree(raw);
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  private void pumpStderr() {
    try (InputStream in = new BufferedInputStream(process.getErrorStream(), 64 * 1024)) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          int size = line.size() + 1;
          String text = line.toString(StandardCharsets.UTF_8);
          line.reset();
          synchronized (lock) {
            stderrLines.add(text);
            stderrBytes += size;
            lock.notifyAll();
          }
        } else {
          line.write(b);
        }
      }
    } catch (IOException e) {
      // As in pumpStdout.
    }
  }

  private static String idKey(JsonNode id) {
    return id.toString(); // 1 and "1" are different keys
  }

  boolean stdoutEnded() {
    synchronized (lock) {
      return stdoutEnded;
    }
  }
}
