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
 * @param protocolVersions the protocol versions accepted, each one of {@link #KNOWN_VERSIONS}, newest
 *     first: the 2025-era ones in {@code MCP-Protocol-Version} of session traffic, the 2026-era ones in
 *     stateless requests
 */
public record FrontConfig(String path, Set<String> allowedOrigins, List<byte[]> bearerTokens, int maxBodyBytes,
    boolean loopbackOnly, List<String> protocolVersions) {

  /** The protocol versions with sessions ({@code initialize}, {@code Mcp-Session-Id}) the front speaks. */
  public static final List<String> SESSION_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  /** The stateless protocol versions the front speaks. */
  public static final List<String> STATELESS_VERSIONS = List.of("2026-07-28");
  /** Every protocol version the front speaks, the newest first: the default of {@code protocolVersions}. */
  public static final List<String> KNOWN_VERSIONS = dev.gatekit.api.McpMethods.PROTOCOL_VERSIONS;

  /**
   * @throws IllegalArgumentException if {@code protocolVersions} is empty or names a version the
   *     front does not speak
   */
  public FrontConfig {
    allowedOrigins = Set.copyOf(allowedOrigins);
    bearerTokens = List.copyOf(bearerTokens);
    protocolVersions = List.copyOf(protocolVersions);
    if (protocolVersions.isEmpty()) {
      throw new IllegalArgumentException("protocol versions: at least one is needed, of " + KNOWN_VERSIONS);
    }
    for (String version : protocolVersions) {
      if (!KNOWN_VERSIONS.contains(version)) {
        throw new IllegalArgumentException("protocol versions: " + version + " is not one the gateway speaks; expected"
            + " some of " + KNOWN_VERSIONS);
      }
    }
  }

  /** A configuration that accepts every {@linkplain #KNOWN_VERSIONS known version}. */
  public FrontConfig(String path, Set<String> allowedOrigins, List<byte[]> bearerTokens, int maxBodyBytes,
      boolean loopbackOnly) {
    this(path, allowedOrigins, bearerTokens, maxBodyBytes, loopbackOnly, KNOWN_VERSIONS);
  }

  /** The accepted versions with sessions: what {@code MCP-Protocol-Version} may name on session traffic. */
  public Set<String> sessionVersions() {
    return protocolVersions.stream().filter(SESSION_VERSIONS::contains).collect(Collectors.toUnmodifiableSet());
  }

  /** The accepted stateless versions, newest first: what a stateless request's {@code _meta} may name. */
  public List<String> statelessVersions() {
    return protocolVersions.stream().filter(STATELESS_VERSIONS::contains).toList();
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
