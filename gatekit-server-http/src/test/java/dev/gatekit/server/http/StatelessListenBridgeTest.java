package dev.gatekit.server.http;

import static dev.gatekit.server.http.StatelessFrontTest.headers;
import static dev.gatekit.server.http.StatelessFrontTest.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.testkit.MockTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code subscriptions/listen} of two stateless clients at the HTTP front, bridged to one 2025-era
 * upstream (in memory): each listen stream gets its acknowledgement and only the changes its own
 * filter asked for, under its own id, though both clients use the same id.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatelessListenBridgeTest {

  private static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";

  private final AtomicReference<MockTransport> upstream = new AtomicReference<>();
  private GatekitProxy proxy;
  private StreamableHttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  @Test
  void twoClientsListeningUnderTheSameIdEachGetOnlyWhatTheyAskedFor() {
    proxy = GatekitProxy.builder().upstreamPerSession("old", () -> {
      MockTransport mock = MockTransport.builder()
          .result("initialize", Http.json("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":"
              + "{\"listChanged\":true},\"prompts\":{\"listChanged\":true},\"resources\":{\"subscribe\":true}},"
              + "\"serverInfo\":{\"name\":\"old\",\"version\":\"1\"}}"))
          .result("resources/subscribe", Http.json("{}"))
          .result("resources/unsubscribe", Http.json("{}"))
          .build();
      upstream.set(mock);
      return mock;
    }).build();
    server = StreamableHttpServer.builder(proxy).build();
    server.start();
    Http http = new Http(server.endpoint());

    try (Http.Sse a = http.stream("POST", request(1, "subscriptions/listen",
            "\"notifications\":{\"resourceSubscriptions\":[\"file:///a\"]}"), headers("subscriptions/listen", null));
        Http.Sse b = http.stream("POST", request(1, "subscriptions/listen",
            "\"notifications\":{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"file:///b\"]}"),
            headers("subscriptions/listen", null))) {
      assertThat(describe(a.next())).isEqualTo("notifications/subscriptions/acknowledged 1");
      assertThat(describe(b.next())).isEqualTo("notifications/subscriptions/acknowledged 1");

      MockTransport old = upstream.get();
      old.emitNotification(new JsonRpcNotification("notifications/tools/list_changed", null));
      old.emitNotification(new JsonRpcNotification("notifications/resources/updated", Http.json("{\"uri\":\"file:///a\"}")));
      old.emitNotification(new JsonRpcNotification("notifications/prompts/list_changed", null)); // nobody asked
      old.emitNotification(new JsonRpcNotification("notifications/resources/updated", Http.json("{\"uri\":\"file:///b\"}")));
      old.emitNotification(new JsonRpcNotification("notifications/resources/updated", Http.json("{\"uri\":\"file:///a\"}")));

      List<String> seenByA = new ArrayList<>(List.of(describe(a.next()), describe(a.next())));
      List<String> seenByB = new ArrayList<>(List.of(describe(b.next()), describe(b.next())));
      assertThat(seenByA).containsExactly("notifications/resources/updated 1 file:///a",
          "notifications/resources/updated 1 file:///a");
      assertThat(seenByB).containsExactly("notifications/tools/list_changed 1",
          "notifications/resources/updated 1 file:///b");
      assertThat(old.requests()).filteredOn(r -> r.method().equals("resources/subscribe"))
          .extracting(r -> r.params().path("uri").asText()).containsExactlyInAnyOrder("file:///a", "file:///b");
    }
  }

  /** An event as "method subscriptionId [uri]". */
  private static String describe(Http.Event event) {
    assertThat(event).as("an event before the end of the stream").isNotNull();
    var params = event.data().path("params");
    return event.data().path("method").asText() + " " + params.path("_meta").path(SUBSCRIPTION_ID).asText()
        + (params.has("uri") ? " " + params.get("uri").asText() : "");
  }
}
