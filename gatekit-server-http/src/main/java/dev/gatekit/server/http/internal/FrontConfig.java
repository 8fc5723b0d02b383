package dev.gatekit.server.http.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The settings of the front's request checks.
 *
 * @param path the one path served
 * @param allowedOrigins the {@code Origin} values a request may carry (a request without one passes)
 * @param bearerTokens the accepted tokens, UTF-8; empty means no authentication
 * @param maxBodyBytes the largest POST body
 */
public record FrontConfig(String path, Set<String> allowedOrigins, List<byte[]> bearerTokens, int maxBodyBytes) {

  public FrontConfig {
    allowedOrigins = Set.copyOf(allowedOrigins);
    bearerTokens = List.copyOf(bearerTokens);
  }

  public static List<byte[]> tokens(List<String> tokens) {
    return tokens.stream().map(token -> token.getBytes(StandardCharsets.UTF_8)).toList();
  }
}
