package dev.gatekit.proxy.internal;

import static dev.gatekit.proxy.internal.RestartingUpstream.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.InboundHandler;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.JsonRpcRequest;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.RequestId;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2026-era client's bridged {@code subscriptions/listen} across a restart of its upstream by the
 * transport's restart policy (a real {@code StdioTransport}): back as a 2025-era server, the URIs
 * are subscribed again and the listen goes on getting updates under its id; back as a 2026-era
 * server, the listen ends with its graceful-close result so that the client listens again. Skipped
 * where Node.js or the npm packages are missing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ListenAcrossRestartTest {

  private static final String META_2026 = "'_meta':{'io.modelcontextprotocol/protocolVersion':'2026-07-28',"
      + "'io.modelcontextprotocol/clientCapabilities':{},"
      + "'io.modelcontextprotocol/clientInfo':{'name':'new-client','version':'2'}}";
  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

  @TempDir Path dir;
  private final List<JsonRpcNotification> seen = new CopyOnWriteArrayList<>();
  private final InboundHandler collect = new InboundHandler() {
    @Override
    public void onNotification(JsonRpcNotification notification) {
      seen.add(notification);
    }

    @Override
    public CompletionStage<JsonRpcResponse> onRequest(JsonRpcRequest request) {
      return REFUSE_ALL.onRequest(request);
    }
  };

  private static JsonNode json(String singleQuoted) throws Exception {
    return JsonRpcCodec.get().mapper().readTree(singleQuoted.replace('\'', '"'));
  }

  @Test
  void aListenToServerEverythingGetsUpdatesAgainAfterTheServerIsRestarted() throws Exception {
    List<String> everything = RestartingUpstream.serverEverything();
    try (RestartingUpstream restarting = RestartingUpstream.of(dir, everything, everything, collect)) {
      VersionedUpstream upstream = restarting.upstream();
      String uri = call(upstream, "resources/list", "{" + META_2026 + "}").result().path("resources").get(0)
          .path("uri").asText();

      CompletableFuture<JsonRpcResponse> listen = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of("listen-1"),
          "subscriptions/listen", json("{'notifications':{'resourceSubscriptions':['" + uri + "']}," + META_2026 + "}")));
      await(() -> count("notifications/subscriptions/acknowledged", null) == 1, "the listen is acknowledged");
      await(() -> subscribeLogs() == 1, "server-everything logged the subscription");

      restarting.killAndAwaitRestart();

      await(() -> subscribeLogs() == 2, "the restarted server-everything got the URI subscribed again");
      assertThat(listen).as("the listen is still open").isNotDone();
      // server-everything sends notifications/resources/updated for every subscribed URI, at once and every 5 s
      String toggled = call(upstream, "tools/call", "{'name':'toggle-subscriber-updates','arguments':{}," + META_2026 + "}")
          .result().path("content").get(0).path("text").asText();
      assertThat(toggled).startsWith("Started simulated resource updated notifications");
      await(() -> count("notifications/resources/updated", uri) >= 1, "an update reached the listen after the restart");
      JsonRpcNotification update = seen.stream()
          .filter(n -> n.method().equals("notifications/resources/updated")).findFirst().orElseThrow();
      assertThat(update.params().path("_meta").path(SUBSCRIPTION_ID).asText()).isEqualTo("listen-1");
      assertThat(listen).isNotDone();

      listen.cancel(false);
      call(upstream, "tools/call", "{'name':'toggle-subscriber-updates','arguments':{}," + META_2026 + "}");
    }
  }

  @Test
  void aListenEndsGracefullyWhenTheRestartedServerSpeaks2026() throws Exception {
    List<String> everything = RestartingUpstream.serverEverything();
    List<String> modern = RestartingUpstream.server2026("--modern-only");
    try (RestartingUpstream restarting = RestartingUpstream.of(dir, everything, modern, collect)) {
      VersionedUpstream upstream = restarting.upstream();
      CompletableFuture<JsonRpcResponse> listen = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of("listen-1"),
          "subscriptions/listen", json("{'notifications':{'promptsListChanged':true}," + META_2026 + "}")));
      await(() -> count("notifications/subscriptions/acknowledged", null) == 1, "the listen is acknowledged");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2025);

      restarting.killAndAwaitRestart();

      JsonRpcResponse end = listen.get(RestartingUpstream.WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(end.isError()).as("%s", end).isFalse();
      assertThat(end.result().path("resultType").asText()).isEqualTo("complete");
      assertThat(end.result().path("_meta").path(SUBSCRIPTION_ID).asText()).isEqualTo("listen-1");
      assertThat(upstream.generation()).isEqualTo(Generation.Y2026);
      // the client's new listen goes to the 2026-era server as it is
      CompletableFuture<JsonRpcResponse> again = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of("listen-2"),
          "subscriptions/listen", json("{'notifications':{'toolsListChanged':true}," + META_2026 + "}")));
      await(() -> count("notifications/subscriptions/acknowledged", null) == 2, "the new listen is acknowledged");
      assertThat(again).isNotDone();
      again.cancel(false);
    }
  }

  private long count(String method, String uri) {
    return seen.stream().filter(n -> n.method().equals(method))
        .filter(n -> uri == null || uri.equals(n.params().path("uri").asText())).count();
  }

  /** server-everything logs each {@code resources/subscribe} it gets as a {@code notifications/message}. */
  private long subscribeLogs() {
    return seen.stream().filter(n -> n.method().equals("notifications/message"))
        .filter(n -> n.params().path("data").asText().startsWith("Received Subscribe Resource request")).count();
  }

  private static JsonRpcResponse call(VersionedUpstream upstream, String method, String params) throws Exception {
    JsonRpcResponse answer = upstream.sendAndReceive(new JsonRpcRequest(RequestId.of(method + "-" + System.nanoTime()),
        method, json(params))).get(RestartingUpstream.WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(answer.isError()).as("%s", answer).isFalse();
    return answer;
  }
}
