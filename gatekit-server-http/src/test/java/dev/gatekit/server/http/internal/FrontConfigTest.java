package dev.gatekit.server.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Origin and Host rules of {@link FrontConfig}, bound to the loopback and to other addresses. */
class FrontConfigTest {

  private static FrontConfig bound(String address) {
    return new FrontConfig("/mcp", Set.of("https://app.example"), List.of(), 1024, Loopback.isLoopbackAddress(address));
  }

  @Test
  void tellsTheLoopbackAddressesApart() {
    for (String address : List.of("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "0:0:0:0:0:0:0:1", "LOCALHOST")) {
      assertThat(Loopback.isLoopbackAddress(address)).as(address).isTrue();
    }
    for (String address : List.of("0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.evil.example", "127.0.0.1.evil.example")) {
      assertThat(Loopback.isLoopbackAddress(address)).as(address).isFalse();
    }
  }

  @Test
  void onTheLoopbackAllowsLoopbackOriginsAndHostsAndThoseOfAllowedOrigins() {
    FrontConfig config = bound("127.0.0.1");
    for (String origin : List.of("http://localhost:5173", "http://127.0.0.1:8080", "https://[::1]", "http://localhost",
        "https://app.example")) {
      assertThat(config.allowsOrigin(origin)).as(origin).isTrue();
    }
    for (String origin : List.of("http://evil.example", "http://localhost.evil.example", "file://localhost", "null",
        "https://app.example.evil")) {
      assertThat(config.allowsOrigin(origin)).as(origin).isFalse();
    }
    for (String host : List.of("localhost", "127.0.0.1", "[::1]", "::1", "app.example", "APP.example")) {
      assertThat(config.allowsHost(host)).as(host).isTrue();
    }
    for (String host : List.of("evil.example.com", "10.0.0.1", "localhost.evil.example")) {
      assertThat(config.allowsHost(host)).as(host).isFalse();
    }
  }

  @Test
  void elsewhereAllowsAnyHostAndOnlyTheListedOrigins() {
    FrontConfig config = bound("0.0.0.0");
    assertThat(config.allowsHost("gateway.example")).isTrue();
    assertThat(config.allowsOrigin("https://app.example")).isTrue();
    assertThat(config.allowsOrigin("http://localhost:5173")).isFalse();
  }
}
