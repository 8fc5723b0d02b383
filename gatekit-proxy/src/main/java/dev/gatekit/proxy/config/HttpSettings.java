package dev.gatekit.proxy.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code proxy.http:} section: where and how the HTTP front (MCP Streamable HTTP) serves when
 * {@code proxy.transport} is {@code http}, or when the command runs with {@code --http HOST:PORT}
 * (which then replaces {@code host} and {@code port}). Immutable; the tokens are secrets: {@link
 * #toString()} shows how many there are, never what they are.
 *
 * @param host the address to bind (default {@code 127.0.0.1}: this machine only)
 * @param port the TCP port, 0 for any free one (default {@value #DEFAULT_PORT})
 * @param path the endpoint's path, starting with {@code /} (default {@code /mcp})
 * @param allowedOrigins the browser origins ({@code scheme://host[:port]}, lower case, no trailing
 *     slash) a request's {@code Origin} header may name; a request that names another gets 403, one
 *     without the header is allowed
 * @param auth the bearer tokens clients must present; none means no authentication
 * @param maxSessions the most client sessions at once (default {@value #DEFAULT_MAX_SESSIONS}); a
 *     new session past it gets 503
 * @param sessionIdleTimeout how long a session may go without a request before it ends (default 10
 *     minutes)
 * @param protocolVersions the MCP protocol versions the front accepts, each one of {@link
 *     #KNOWN_PROTOCOL_VERSIONS} (default all of them)
 */
public record HttpSettings(
    String host,
    int port,
    String path,
    List<String> allowedOrigins,
    Auth auth,
    int maxSessions,
    Duration sessionIdleTimeout,
    List<String> protocolVersions) {

  /** The protocol versions the HTTP front speaks, the newest first: the default {@code protocol_versions}. */
  public static final List<String> KNOWN_PROTOCOL_VERSIONS = dev.gatekit.api.McpMethods.PROTOCOL_VERSIONS;

  /** The default {@code host}: the loopback address, reachable from this machine only. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The default {@code port}. */
  public static final int DEFAULT_PORT = 8080;
  /** The default {@code path}. */
  public static final String DEFAULT_PATH = "/mcp";
  /** The default {@code max_sessions}. */
  public static final int DEFAULT_MAX_SESSIONS = 100;
  /** The default {@code session_idle_seconds}: 10 minutes. */
  public static final Duration DEFAULT_SESSION_IDLE_TIMEOUT = Duration.ofMinutes(10);

  /** Copies the list; checks the ranges. */
  public HttpSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(path, "path");
    allowedOrigins = List.copyOf(allowedOrigins);
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(sessionIdleTimeout, "sessionIdleTimeout");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port " + port + " is not 0 to 65535");
    }
    if (maxSessions < 1) {
      throw new IllegalArgumentException("maxSessions " + maxSessions + " is below 1");
    }
    protocolVersions = List.copyOf(protocolVersions);
    if (protocolVersions.isEmpty() || !KNOWN_PROTOCOL_VERSIONS.containsAll(protocolVersions)) {
      throw new IllegalArgumentException("protocolVersions " + protocolVersions + " is not a non-empty list of "
          + KNOWN_PROTOCOL_VERSIONS);
    }
  }

  /** The settings before {@code protocol_versions}: every known version accepted. */
  public HttpSettings(String host, int port, String path, List<String> allowedOrigins, Auth auth, int maxSessions,
      Duration sessionIdleTimeout) {
    this(host, port, path, allowedOrigins, auth, maxSessions, sessionIdleTimeout, KNOWN_PROTOCOL_VERSIONS);
  }

  /** Returns the settings of a configuration without an {@code http:} section. */
  public static HttpSettings defaults() {
    return new HttpSettings(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PATH, List.of(), Auth.NONE, DEFAULT_MAX_SESSIONS,
        DEFAULT_SESSION_IDLE_TIMEOUT);
  }

  /** Returns a copy that binds {@code host} and {@code port} instead (the command's {@code --http}). */
  public HttpSettings withAddress(String host, int port) {
    return new HttpSettings(host, port, path, allowedOrigins, auth, maxSessions, sessionIdleTimeout,
        protocolVersions);
  }

  /**
   * The {@code auth:} mapping of the {@code http:} section: where the bearer tokens come from, and
   * the tokens read from there at load time (from both sources when both are given). Clients send
   * one of them as {@code Authorization: Bearer TOKEN}.
   *
   * @param tokensEnv {@code bearer_tokens_env}: an environment variable holding tokens separated by
   *     commas or blanks, or null
   * @param tokensFile {@code bearer_tokens_file}: a file with one token a line ({@code #} starts a
   *     comment line, blank lines are skipped), absolute, or null
   * @param bearerTokens the tokens, without duplicates, in the order read; empty when neither source
   *     is given
   */
  public record Auth(@Nullable String tokensEnv, @Nullable Path tokensFile, List<String> bearerTokens) {

    /** No authentication. */
    public static final Auth NONE = new Auth(null, null, List.of());

    /** Copies the list. */
    public Auth {
      bearerTokens = List.copyOf(bearerTokens);
    }

    /** Returns whether clients must present a token. */
    public boolean enabled() {
      return !bearerTokens.isEmpty();
    }

    /** Names the sources and counts the tokens; never shows one. */
    @Override
    public String toString() {
      return "Auth[tokensEnv=" + tokensEnv + ", tokensFile=" + tokensFile + ", bearerTokens=" + bearerTokens.size()
          + " (values ***)]";
    }
  }
}
