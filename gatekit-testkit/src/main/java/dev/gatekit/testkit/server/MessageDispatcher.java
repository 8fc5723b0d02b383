package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.ErrorCodes;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcMessage;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.McpMethods;
import dev.gatekit.api.ProtocolException;
import dev.gatekit.api.RequestId;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Serves every line the client sends, on the reader thread. Cheap requests are answered right here;
 * tools that wait schedule their answers and return. A line that is not a valid message gets the
 * JSON-RPC error for it (or is dropped, if it was meant as a response) and serving goes on.
 *
 * <p>It also keeps the books of every exchange: the stats' in-flight gauge, the calls that can
 * still be cancelled, and the exit after the N-th request under {@code --exit-after}.
 */
final class MessageDispatcher implements LineReader.LineHandler, Exchange.Listener {

  private static final ObjectNode EMPTY_RESULT = JsonNodeFactory.instance.objectNode();

  private final JsonRpcCodec codec;
  private final MessageWriter writer;
  private final ToolRegistry tools;
  private final OutboundRequests outbound;
  private final ServerStats stats;
  private final Stderr stderr;
  private final Set<String> neverAnswer;
  private final long exitAfterRequests;
  private final int exitAfterCode;
  private final boolean logEachRequest;
  private final Map<RequestId, Exchange> pendingCalls = new ConcurrentHashMap<>();

  MessageDispatcher(
      ServerOptions options,
      JsonRpcCodec codec,
      MessageWriter writer,
      ToolRegistry tools,
      OutboundRequests outbound,
      ServerStats stats,
      Stderr stderr) {
    this.codec = codec;
    this.writer = writer;
    this.tools = tools;
    this.outbound = outbound;
    this.stats = stats;
    this.stderr = stderr;
    this.neverAnswer = options.neverAnswer();
    this.exitAfterRequests = options.exitAfterRequests().orElse(Long.MAX_VALUE);
    this.exitAfterCode = options.exitAfterCode();
    this.logEachRequest = options.stderrFloodBytes().isPresent();
  }

  @Override
  public void onLine(byte[] buffer, int offset, int length) {
    try {
      dispatch(buffer, offset, length);
    } catch (RuntimeException e) {
      stderr.line("dropped a line that could not be served: " + e); // a bug; keep serving
    }
  }

  @Override
  public void onChunkEnd() {
    writer.flushInline();
  }

  private void dispatch(byte[] buffer, int offset, int length) {
    JsonRpcMessage message;
    try {
      message = codec.decode(buffer, offset, length);
    } catch (ProtocolException e) {
      if (!looksLikeResponse(buffer, offset, length)) {
        writer.send(e.toResponse());
      }
      return;
    }
    if (message instanceof JsonRpcRequest request) {
      onRequest(request);
    } else if (message instanceof JsonRpcNotification notification) {
      onNotification(notification);
    } else if (message instanceof JsonRpcResponse response) {
      outbound.complete(response); // a response nobody waits for is dropped
    }
  }

  private void onRequest(JsonRpcRequest request) {
    long sequence = stats.requestReceived();
    if (sequence > exitAfterRequests) {
      return; // the server exits after answering request number exitAfterRequests
    }
    if (logEachRequest) {
      stderr.line("request " + sequence + ": " + request.method() + " id " + request.id());
    }
    Exchange exchange = new Exchange(request, sequence, writer, this);
    try {
      serve(exchange);
    } catch (InvalidParamsException e) {
      exchange.respondError(ErrorCodes.INVALID_PARAMS, String.valueOf(e.getMessage()));
    } catch (RuntimeException e) {
      stderr.line("internal error serving " + request.method() + ": " + e);
      exchange.respondError(ErrorCodes.INTERNAL_ERROR, "Internal error of the test server: " + e);
    }
  }

  private void serve(Exchange exchange) {
    JsonRpcRequest request = exchange.request();
    switch (request.method()) {
      case McpMethods.INITIALIZE -> exchange.respond(ServerInfo.initializeResult(request.params()));
      case McpMethods.PING, McpMethods.LOGGING_SET_LEVEL -> exchange.respond(EMPTY_RESULT);
      case McpMethods.TOOLS_LIST -> exchange.respond(tools.listResult());
      case McpMethods.TOOLS_CALL -> callTool(exchange);
      default ->
          exchange.respondError(
              ErrorCodes.METHOD_NOT_FOUND, "Method not found: " + request.method());
    }
  }

  private void callTool(Exchange exchange) {
    JsonNode params = exchange.request().params();
    JsonNode name = params == null ? null : params.get("name");
    if (name == null || !name.isTextual()) {
      throw new InvalidParamsException(
          "tools/call needs params with the tool's 'name' as a string");
    }
    Tool tool = tools.find(name.textValue());
    if (tool == null) {
      throw new InvalidParamsException("Unknown tool: " + name.textValue());
    }
    ToolArguments arguments = ToolArguments.of(tool.name(), params.get("arguments"));
    JsonNode progressToken = params.path("_meta").get("progressToken");
    if (tool.countsInFlight()) {
      exchange.countInFlight();
      stats.callStarted();
    }
    if (!neverAnswer.contains(tool.name())) {
      tool.call(new ToolCall(exchange, arguments, progressToken));
    }
    if (!exchange.isFinished()) {
      RequestId id = exchange.request().id();
      pendingCalls.put(id, exchange);
      if (exchange.isFinished()) {
        pendingCalls.remove(id, exchange); // answered meanwhile, before ending() could see it
      }
    }
  }

  private void onNotification(JsonRpcNotification notification) {
    if (!notification.method().equals(McpMethods.NOTIFICATIONS_CANCELLED)) {
      return; // notifications/initialized and everything else need nothing from this server
    }
    JsonNode params = notification.params();
    JsonNode requestId = params == null ? null : params.get("requestId");
    if (requestId == null) {
      return;
    }
    stats.cancelReceived(requestId);
    RequestId id = RequestId.fromJson(requestId);
    Exchange exchange = id == null ? null : pendingCalls.get(id);
    if (exchange != null) {
      exchange.cancel();
    }
  }

  @Override
  public void ending(Exchange exchange) {
    if (exchange.countedInFlight()) {
      stats.callFinished();
    }
    pendingCalls.remove(exchange.request().id(), exchange);
  }

  @Override
  public void ended(Exchange exchange) {
    if (exchange.sequence() == exitAfterRequests) {
      writer.exitAfterPending(
          exitAfterCode,
          "exiting with code "
              + exitAfterCode
              + " after request "
              + exitAfterRequests
              + " as asked (--exit-after)");
    }
  }

  /** Returns whether a line that is not a valid message was still meant as a response. */
  private boolean looksLikeResponse(byte[] buffer, int offset, int length) {
    try {
      JsonNode tree = codec.mapper().readTree(buffer, offset, length);
      return tree != null
          && tree.isObject()
          && !tree.has("method")
          && (tree.has("result") || tree.has("error"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
