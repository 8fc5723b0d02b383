package dev.gatekit.proxy.e2e;

import io.modelcontextprotocol.client.McpAsyncClient;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ClientCapabilities;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageRequest;
import io.modelcontextprotocol.spec.McpSchema.CreateMessageResult;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.InitializeResult;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import io.modelcontextprotocol.spec.McpSchema.LoggingMessageNotification;
import io.modelcontextprotocol.spec.McpSchema.ProgressNotification;
import io.modelcontextprotocol.spec.McpSchema.Role;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real MCP client session for the end-to-end tests: the official MCP Java SDK's async client over
 * its stdio transport, connected to a subprocess (the proxy, or a server directly), initialized,
 * recording what it receives (progress, log messages, sampling requests) and everything on the wire
 * (through a {@link WireTap}).
 *
 * <p>{@link #close()} closes the session the way the SDK does (which ends the subprocess) and then
 * checks that the subprocess and every process it started have exited: a proxy that left an
 * upstream running fails the test class.
 */
final class E2eClient implements AutoCloseable {

  /** The text the default sampling handler answers with, before the prompt it was asked. */
  static final String SAMPLED_PREFIX = "sampled by the e2e client: ";

  private final String label;
  private final McpAsyncClient client;
  private final WireTap wire;
  private final InitializeResult initializeResult;
  private final List<ProgressNotification> progress = new CopyOnWriteArrayList<>();
  private final List<LoggingMessageNotification> logs = new CopyOnWriteArrayList<>();
  private final List<CreateMessageRequest> samplingRequests = new CopyOnWriteArrayList<>();
  private final Deque<String> stderr = new ArrayDeque<>();
  private final List<ProcessHandle> processes;

  private E2eClient(Builder builder) {
    this.label = builder.label;
    Set<ProcessHandle> before = ProcessHandle.current().children().collect(Collectors.toSet());
    ServerParameters parameters =
        ServerParameters.builder(builder.command.get(0))
            .args(builder.command.subList(1, builder.command.size()))
            .build();
    StdioClientTransport stdio = new StdioClientTransport(parameters, new JacksonMcpJsonMapper(JsonMapper.shared()));
    stdio.setStdErrorHandler(this::onStderr);
    this.wire = new WireTap(stdio);
    this.client =
        McpClient.async(wire)
            .clientInfo(Implementation.builder("gatekit-e2e-client", "1.0.0").build())
            .requestTimeout(builder.requestTimeout)
            .initializationTimeout(Await.TIMEOUT)
            .capabilities(ClientCapabilities.builder().sampling().build())
            .sampling(
                request -> {
                  samplingRequests.add(request);
                  return Mono.fromSupplier(() -> builder.sampling.apply(request));
                })
            .progressConsumer(notification -> Mono.fromRunnable(() -> progress.add(notification)))
            .loggingConsumer(notification -> Mono.fromRunnable(() -> logs.add(notification)))
            .build();
    try {
      this.initializeResult = client.initialize().block(Await.TIMEOUT);
    } catch (RuntimeException e) {
      client.close();
      throw new AssertionError(label + ": initialize failed: " + e + "; stderr: " + stderr(), e);
    }
    List<ProcessHandle> started = new ArrayList<>();
    ProcessHandle.current().children().filter(child -> !before.contains(child)).forEach(child -> {
      started.add(child);
      child.descendants().forEach(started::add);
    });
    this.processes = List.copyOf(started);
  }

  /** Returns a builder for a session with the server (or proxy) this command starts. */
  static Builder builder(String label, List<String> command) {
    return new Builder(label, command);
  }

  /** Starts the command and initializes a session with the defaults. */
  static E2eClient start(String label, List<String> command) {
    return builder(label, command).start();
  }

  /** The SDK client. */
  McpAsyncClient sdk() {
    return client;
  }

  /** The wire under the SDK client. */
  WireTap wire() {
    return wire;
  }

  /** The {@code initialize} result the server gave. */
  InitializeResult initializeResult() {
    return initializeResult;
  }

  /** Progress notifications received, in order. */
  List<ProgressNotification> progress() {
    return List.copyOf(progress);
  }

  /** Log message notifications received, in order. */
  List<LoggingMessageNotification> logs() {
    return List.copyOf(logs);
  }

  /** Sampling requests received from the server, in order. */
  List<CreateMessageRequest> samplingRequests() {
    return List.copyOf(samplingRequests);
  }

  /** The subprocess this client started and the processes it had started by then, alive or not. */
  List<ProcessHandle> processes() {
    return processes;
  }

  /** Waits for a Mono of the SDK client. */
  static <T> T await(Mono<T> mono) {
    return mono.block(Await.TIMEOUT);
  }

  /** Calls a tool and waits for its result. */
  CallToolResult call(String tool, Map<String, Object> arguments) {
    return await(client.callTool(tool(tool, arguments)));
  }

  /** A {@code tools/call} request. */
  static CallToolRequest tool(String name, Map<String, Object> arguments) {
    return CallToolRequest.builder(name).arguments(arguments).build();
  }

  /** Sends a request of the test's own and returns the answer as the server sent it. */
  JSONRPCResponse raw(String method, Object params) {
    return wire.request(method, params, Await.TIMEOUT);
  }

  /** The text of a tool result's content, concatenated. */
  static String text(CallToolResult result) {
    return result.content().stream()
        .filter(TextContent.class::isInstance)
        .map(c -> ((TextContent) c).text())
        .collect(Collectors.joining());
  }

  /** The last lines the subprocess wrote to stderr, for failure messages. */
  String stderr() {
    synchronized (stderr) {
      return String.join("\n", stderr);
    }
  }

  private void onStderr(String line) {
    System.err.println("[" + label + " stderr] " + line);
    synchronized (stderr) {
      stderr.addLast(line);
      while (stderr.size() > 50) {
        stderr.removeFirst();
      }
    }
  }

  /**
   * Closes the session as the SDK does, then waits for the subprocess and everything it started to
   * exit; kills what is left and fails if anything was.
   */
  @Override
  public void close() {
    settle();
    try {
      client.closeGracefully().block(Await.TIMEOUT);
    } catch (RuntimeException e) {
      client.close();
    }
    List<String> leftBehind = new ArrayList<>();
    for (ProcessHandle process : processes) {
      try {
        process.onExit().get(Await.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        leftBehind.add(process.pid() + " " + process.info().commandLine().orElse("?"));
        process.destroyForcibly();
      }
    }
    if (!leftBehind.isEmpty()) {
      throw new AssertionError(label + ": processes still running " + Await.TIMEOUT.toSeconds()
          + " s after the client closed: " + leftBehind);
    }
  }

  /**
   * Waits a little for the requests the client sent on its own (such as the SDK's re-listing after a
   * list-changed notification) to be answered, so that closing does not cut them off; requests the
   * test cancelled never are.
   */
  private void settle() {
    try {
      Await.until(() -> wire.unanswered().isEmpty(), Duration.ofSeconds(10), () -> "answers");
    } catch (AssertionError stillWaiting) {
      // closing fails what is left; nothing to check here
    }
  }

  @Override
  public String toString() {
    return label;
  }

  /** The sampling answer of the default handler: the prompt's text, prefixed. */
  static CreateMessageResult echoSampling(CreateMessageRequest request) {
    String prompt = request.messages().stream()
        .map(m -> m.content() instanceof TextContent t ? t.text() : "")
        .collect(Collectors.joining(" "));
    return CreateMessageResult.builder(Role.ASSISTANT, SAMPLED_PREFIX + prompt, "e2e-model")
        .stopReason(CreateMessageResult.StopReason.END_TURN)
        .build();
  }

  /** Configures and starts an {@link E2eClient}. */
  static final class Builder {
    private final String label;
    private final List<String> command;
    private Duration requestTimeout = Await.TIMEOUT;
    private Function<CreateMessageRequest, CreateMessageResult> sampling = E2eClient::echoSampling;

    private Builder(String label, List<String> command) {
      this.label = label;
      this.command = List.copyOf(command);
    }

    /** How long the SDK client waits for each answer. */
    Builder requestTimeout(Duration value) {
      this.requestTimeout = value;
      return this;
    }

    /** How the client answers sampling requests. */
    Builder sampling(Function<CreateMessageRequest, CreateMessageResult> handler) {
      this.sampling = handler;
      return this;
    }

    E2eClient start() {
      return new E2eClient(this);
    }
  }
}
