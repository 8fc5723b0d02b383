package dev.gatekit.transport.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcResponse;
import dev.gatekit.api.TransportOptions;
import java.io.InputStream;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.HTTP2Cipher;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * HTTP/2 over TLS: an https Jetty that offers h2 and http/1.1 by ALPN, with a self-signed
 * certificate (src/test/resources/h2-test.p12) made the JVM's default trust for this class. The
 * transport's client (the JVM's default TLS context) negotiates HTTP/2 and carries many
 * requests in flight as streams of one connection: the server holds every answer until all of them
 * arrived, which over HTTP/1.1 would take a connection each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(60)
class HttpTransportHttp2Test {

  private static final String PASSWORD = "gatekit-test";
  private static final int IN_FLIGHT = 50;

  private final Server jetty = new Server();
  private final Set<String> versions = ConcurrentHashMap.newKeySet();
  private final Set<SocketAddress> connections = ConcurrentHashMap.newKeySet();
  private final List<Runnable> held = new ArrayList<>();
  private SSLContext previousDefault;
  private ServerConnector connector;

  @BeforeAll
  void start() throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("/h2-test.p12"))) {
      keys.load(in, PASSWORD.toCharArray());
    }
    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setKeyStore(keys);
    tls.setKeyStorePassword(PASSWORD);
    tls.setCipherComparator(HTTP2Cipher.COMPARATOR);
    HttpConfiguration config = new HttpConfiguration();
    config.addCustomizer(new SecureRequestCustomizer());
    HttpConnectionFactory http1 = new HttpConnectionFactory(config);
    HTTP2ServerConnectionFactory http2 = new HTTP2ServerConnectionFactory(config);
    ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
    alpn.setDefaultProtocol(http1.getProtocol());
    connector = new ServerConnector(jetty, new SslConnectionFactory(tls, alpn.getProtocol()), alpn, http2, http1);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    jetty.setHandler(new McpHandler());
    jetty.start();

    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    Certificate certificate = keys.getCertificate(keys.aliases().nextElement());
    trusted.setCertificateEntry("gatekit-test", certificate);
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    previousDefault = SSLContext.getDefault();
    SSLContext.setDefault(context);
  }

  @AfterAll
  void stop() throws Exception {
    SSLContext.setDefault(previousDefault);
    jetty.stop();
  }

  @Test
  void anHttpsServerThatOffersHttp2GetsEveryRequestAsAStreamOfOneConnection() throws Exception {
    URI uri = URI.create("https://localhost:" + connector.getLocalPort() + "/mcp");
    try (HttpTransport transport =
        HttpTransport.builder(uri).name("h2").options(TransportOptions.builder().maxInFlight(IN_FLIGHT).build()).build()) {
      transport.start();
      Mcp.handshake(transport, "2025-11-25");
      List<CompletableFuture<JsonRpcResponse>> calls = new ArrayList<>();
      for (int i = 0; i < IN_FLIGHT; i++) {
        calls.add(transport.sendAndReceive(Mcp.call(i, "echo", "{\"text\":\"call " + i + "\"}")));
      }
      for (int i = 0; i < IN_FLIGHT; i++) {
        assertThat(Mcp.text(calls.get(i).get(30, TimeUnit.SECONDS))).isEqualTo("call " + i);
      }
    }
    assertThat(versions).containsExactly("HTTP/2.0");
    assertThat(connections).as("TCP connections the server saw").hasSize(1);
  }

  /** initialize, notifications (202), GET (405), and echo calls held until {@value #IN_FLIGHT} are in. */
  private final class McpHandler extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      versions.add(request.getConnectionMetaData().getHttpVersion().asString());
      connections.add(request.getConnectionMetaData().getRemoteSocketAddress());
      if (!request.getMethod().equals("POST")) {
        response.setStatus(request.getMethod().equals("GET") ? 405 : 200);
        callback.succeeded();
        return true;
      }
      Content.Source.asString(
          request,
          StandardCharsets.UTF_8,
          new Promise<>() {
            @Override
            public void succeeded(String body) {
              answer(Mcp.json(body), response, callback);
            }

            @Override
            public void failed(Throwable error) {
              callback.failed(error);
            }
          });
      return true;
    }

    private void answer(JsonNode message, Response response, Callback callback) {
      if (!message.has("id")) {
        response.setStatus(202);
        callback.succeeded();
        return;
      }
      String result =
          message.path("method").asText().equals("initialize")
              ? "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"serverInfo\":{\"name\":\"h2\",\"version\":\"1\"}}"
              : "{\"content\":[{\"type\":\"text\",\"text\":"
                  + message.path("params").path("arguments").path("text")
                  + "}]}";
      byte[] body =
          ("{\"jsonrpc\":\"2.0\",\"id\":" + message.get("id") + ",\"result\":" + result + "}").getBytes(StandardCharsets.UTF_8);
      Runnable send =
          () -> {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(body), callback);
          };
      if (message.path("method").asText().equals("initialize")) {
        send.run();
        return;
      }
      List<Runnable> release = List.of();
      synchronized (held) {
        held.add(send);
        if (held.size() == IN_FLIGHT) {
          release = new ArrayList<>(held);
          held.clear();
        }
      }
      release.forEach(Runnable::run);
    }
  }
}
