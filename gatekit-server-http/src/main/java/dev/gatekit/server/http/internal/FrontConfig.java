package dev.gatekit.server.http.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The settings of the front's request checks.
 *
 * @param path the one path served
 * @param allowedOrigins the {@code Origin} values a request may carry (a request without one passes)
 * @param bearerTokens the accepted tokens, UTF-8; empty means no authentication
 * @param maxBodyBytes the largest POST body
 * @param loopbackOnly whether the front is bound to the loopback: then an {@code Origin} on the
 *     loopback is allowed too, and a {@code Host} must name the loopback or the host of an allowed
 *     origin (DNS rebinding protection)
 */
public record FrontConfig(String path, Set<String> allowedOrigins, List<byte[]> bearerTokens, int maxBodyBytes,
    boolean loopbackOnly) {

  public FrontConfig {
    allowedOrigins = Set.copyOf(allowedOrigins);
    bearerTokens = List.copyOf(bearerTokens);
  }

  /** Returns whether a request may carry this {@code Origin}. */
  public boolean allowsOrigin(String origin) {
    return allowedOrigins.contains(origin) || loopbackOnly && Loopback.isLoopbackName(Loopback.hostOfOrigin(origin));
  }

  /**
   * Returns whether a request may name this host (a {@code Host} header without its port, lower
   * case, IPv6 in brackets): any when the front is not bound to the loopback.
   */
  public boolean allowsHost(String host) {
    String name = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return !loopbackOnly || Loopback.isLoopbackName(name) || originHosts().contains(name.toLowerCase(Locale.ROOT));
  }

  private Set<String> originHosts() {
    return allowedOrigins.stream().map(Loopback::hostOfOrigin).filter(Objects::nonNull).collect(Collectors.toSet());
  }

  /** Returns whether an {@code Authorization} value has the form {@code Bearer <token>}. */
  public static boolean isBearer(@Nullable String authorization) {
    return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7);
  }

  /**
   * Returns whether an {@code Authorization} value carries one of the accepted bearer tokens. Every
   * token is compared, in constant time: no early exit to time.
   */
  public boolean acceptsBearer(@Nullable String authorization) {
    if (!isBearer(authorization)) {
      return false;
    }
    byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
    boolean match = false;
    for (byte[] token : bearerTokens) {
      match |= MessageDigest.isEqual(token, given);
    }
    return match;
  }

  public static List<byte[]> tokens(List<String> tokens) {
    return tokens.stream().map(token -> token.getBytes(StandardCharsets.UTF_8)).toList();
  }
}
