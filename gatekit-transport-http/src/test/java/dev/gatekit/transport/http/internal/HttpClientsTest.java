package dev.gatekit.transport.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.junit.jupiter.api.Test;

class HttpClientsTest {

  @Test
  void transportsWithTheSameSettingsShareOneStartedClient() throws Exception {
    SSLContext tls = SSLContext.getDefault();
    HttpClient first = HttpClients.of(false, Duration.ofSeconds(10), tls);

    assertThat(HttpClients.of(false, Duration.ofSeconds(10), tls)).isSameAs(first);
    assertThat(HttpClients.of(false, Duration.ofSeconds(5), tls)).isNotSameAs(first);
    assertThat(HttpClients.of(true, Duration.ofSeconds(10), tls)).isNotSameAs(first);
    assertThat(first.isStarted()).isTrue();
    assertThat(first.getConnectTimeout()).isEqualTo(10_000);
  }

  @Test
  void theClientsThreadsAreDaemonsItAnswersNoChallengeAndKeepsQuietStreams() throws Exception {
    HttpClient client = HttpClients.of(false, Duration.ofSeconds(7), SSLContext.getDefault());
    CompletableFuture<Boolean> pool = new CompletableFuture<>();
    CompletableFuture<Boolean> timer = new CompletableFuture<>();

    client.getExecutor().execute(() -> pool.complete(Thread.currentThread().isDaemon()));
    client.getScheduler().schedule(() -> timer.complete(Thread.currentThread().isDaemon()), 1, TimeUnit.MILLISECONDS);

    assertThat(pool.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(timer.get(10, TimeUnit.SECONDS)).isTrue();
    // A 401 reaches the transport as it came (it reports it as unauthorized), not Jetty's authentication.
    assertThat(client.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME)).isNull();
    // No idle timeout: an event stream may be quiet for long; the server closes idle connections.
    assertThat(client.getIdleTimeout()).isZero();
  }
}
