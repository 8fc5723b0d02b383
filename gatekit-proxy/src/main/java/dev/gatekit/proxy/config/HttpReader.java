package dev.gatekit.proxy.config;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code proxy.http:} section into {@link HttpSettings}: {@code host}, {@code port},
 * {@code path}, {@code allowed_origins}, {@code auth} ({@code bearer_tokens_env} and/or {@code
 * bearer_tokens_file}, read now), {@code max_sessions}, {@code session_idle_seconds} and {@code
 * protocol_versions}, some of {@code proxy.protocol_versions} and by default all of them. What is
 * absent keeps its default; what is wrong is a problem and keeps its default too. A token is never
 * quoted in a problem.
 */
final class HttpReader {

  private static final Set<String> HTTP_KEYS = Set.of("host", "port", "path", "allowed_origins", "auth",
      "max_sessions", "session_idle_seconds", "protocol_versions");
  private static final Set<String> AUTH_KEYS = Set.of("bearer_tokens_env", "bearer_tokens_file");
  private static final String TOKEN_SEPARATORS = "[,\\s]+";

  private HttpReader() {}

  /** Reads {@code http} with every known protocol version accepted, resolving a token file against {@code folder}. */
  static HttpSettings read(ConfigNode http, Path folder) {
    return read(http, folder, HttpSettings.KNOWN_PROTOCOL_VERSIONS);
  }

  /**
   * Reads {@code http}, resolving a token file against {@code folder}; {@code accepted} is {@code
   * proxy.protocol_versions}, the default of {@code protocol_versions} here and what it may name.
   */
  static HttpSettings read(ConfigNode http, Path folder, List<String> accepted) {
    HttpSettings base = HttpSettings.defaults();
    HttpSettings defaults = new HttpSettings(base.host(), base.port(), base.path(), base.allowedOrigins(), base.auth(),
        base.maxSessions(), base.sessionIdleTimeout(), accepted);
    if (http.isMissing()) {
      return defaults;
    }
    if (!http.isMapping()) {
      http.expected("a mapping with host, port, path, allowed_origins, auth, max_sessions, session_idle_seconds,"
          + " protocol_versions");
      return defaults;
    }
    http.rejectUnknownKeys(HTTP_KEYS);
    String host = host(http.get("host"));
    Integer port = port(http.get("port"));
    String path = path(http.get("path"));
    List<String> origins = origins(http.get("allowed_origins"));
    HttpSettings.Auth auth = auth(http.get("auth"), folder);
    Integer maxSessions = http.get("max_sessions").integer(1);
    Duration idle = http.get("session_idle_seconds").seconds();
    List<String> versions = protocolVersions(http.get("protocol_versions"), accepted);
    return new HttpSettings(
        host != null ? host : defaults.host(),
        port != null ? port : defaults.port(),
        path != null ? path : defaults.path(),
        origins,
        auth,
        maxSessions != null ? maxSessions : defaults.maxSessions(),
        idle != null ? idle : defaults.sessionIdleTimeout(),
        versions != null ? versions : defaults.protocolVersions());
  }

  /**
   * A non-empty list of protocol versions, without repeats; null when missing or wrong. Each is one
   * the gateway speaks, and, when {@code within} is given ({@code proxy.protocol_versions}), one of
   * those.
   */
  static @Nullable List<String> protocolVersions(ConfigNode node, @Nullable List<String> within) {
    if (node.isMissing()) {
      return null;
    }
    String expected = "a non-empty list of protocol versions, some of "
        + String.join(", ", HttpSettings.KNOWN_PROTOCOL_VERSIONS);
    if (!node.isList() || node.size() == 0) {
      node.expected(expected);
      return null;
    }
    List<String> versions = new ArrayList<>();
    boolean wrong = false;
    for (int i = 0; i < node.size(); i++) {
      ConfigNode item = node.at(i);
      String value = item.string();
      if (value == null) {
        wrong = true;
      } else if (!HttpSettings.KNOWN_PROTOCOL_VERSIONS.contains(value.strip())) {
        item.problem("one of " + String.join(", ", HttpSettings.KNOWN_PROTOCOL_VERSIONS), ConfigNode.quote(value));
        wrong = true;
      } else if (within != null && !within.contains(value.strip())) {
        item.problem("one of proxy.protocol_versions (" + String.join(", ", within) + ")", ConfigNode.quote(value));
        wrong = true;
      } else if (!versions.contains(value.strip())) {
        versions.add(value.strip());
      }
    }
    return wrong ? null : versions;
  }

  /** A host name or IP address (IPv6 with or without brackets); null when missing or wrong. */
  private static @Nullable String host(ConfigNode node) {
    if (node.isMissing()) {
      return null;
    }
    String value = node.string();
    if (value == null) {
      return null;
    }
    String host = value.strip();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    // A name or IPv4 address has no colon; an IPv6 address has at least two ("localhost:8080" has one).
    long colons = host.chars().filter(c -> c == ':').count();
    if (!host.matches("[A-Za-z0-9._:%-]+") || colons == 1) {
      node.problem("a host name or IP address to bind, such as 127.0.0.1 or 0.0.0.0 (no scheme, no port)",
          ConfigNode.quote(value));
      return null;
    }
    return host;
  }

  /** A TCP port from 0 (any free one) to 65535; null when missing or wrong. */
  static @Nullable Integer port(ConfigNode node) {
    Integer port = node.integer(0);
    if (port != null && port > 65_535) {
      node.expected("a port from 0 (any free port) to 65535");
      return null;
    }
    return port;
  }

  /** An absolute path without query or fragment, such as {@code /mcp}; null when missing or wrong. */
  private static @Nullable String path(ConfigNode node) {
    if (node.isMissing()) {
      return null;
    }
    String value = node.string();
    if (value == null) {
      return null;
    }
    if (!value.startsWith("/") || value.contains("?") || value.contains("#") || value.chars().anyMatch(c -> c <= ' ')) {
      node.problem("a path starting with /, such as /mcp (no query, no blanks)", ConfigNode.quote(value));
      return null;
    }
    return value;
  }

  /** The list of origins, normalised to lower case without a trailing slash; empty when missing or wrong. */
  private static List<String> origins(ConfigNode node) {
    List<String> origins = new ArrayList<>();
    if (node.isMissing()) {
      return origins;
    }
    if (!node.isList()) {
      node.expected("a list of origins such as https://app.example");
      return origins;
    }
    for (int i = 0; i < node.size(); i++) {
      ConfigNode item = node.at(i);
      String value = item.string();
      if (value == null) {
        continue;
      }
      String origin = origin(value);
      if (origin == null) {
        item.problem("an origin: http or https, a host and optionally a port, nothing after (such as https://app.example:8443)",
            ConfigNode.quote(value));
      } else if (!origins.contains(origin)) {
        origins.add(origin);
      }
    }
    return origins;
  }

  /** {@code scheme://host[:port]} in lower case, or null when {@code value} is not an origin. */
  private static @Nullable String origin(String value) {
    String text = value.strip();
    if (text.endsWith("/")) {
      text = text.substring(0, text.length() - 1);
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    boolean bare = uri.getRawUserInfo() == null && (uri.getRawPath() == null || uri.getRawPath().isEmpty())
        && uri.getRawQuery() == null && uri.getRawFragment() == null;
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || !bare) {
      return null;
    }
    return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
  }

  /** The {@code auth} mapping with its tokens read; {@link HttpSettings.Auth#NONE} when missing or wrong. */
  private static HttpSettings.Auth auth(ConfigNode node, Path folder) {
    if (node.isMissing()) {
      return HttpSettings.Auth.NONE;
    }
    String expected = "a mapping with bearer_tokens_env (a variable holding tokens) and/or bearer_tokens_file";
    if (!node.isMapping()) {
      node.expected(expected);
      return HttpSettings.Auth.NONE;
    }
    node.rejectUnknownKeys(AUTH_KEYS);
    ConfigNode env = node.get("bearer_tokens_env");
    ConfigNode file = node.get("bearer_tokens_file");
    if (env.isMissing() && file.isMissing()) {
      node.problem(expected, "neither");
      return HttpSettings.Auth.NONE;
    }
    Set<String> tokens = new LinkedHashSet<>();
    String variable = null;
    if (!env.isMissing()) {
      variable = env.string();
      if (variable != null) {
        tokensFromVariable(env, variable, tokens);
      }
    }
    Path tokenFile = null;
    if (!file.isMissing()) {
      String value = file.string();
      if (value != null) {
        tokenFile = folder.resolve(value).normalize();
        tokensFromFile(file, tokenFile, tokens);
      }
    }
    return new HttpSettings.Auth(variable, tokenFile, List.copyOf(tokens));
  }

  private static void tokensFromVariable(ConfigNode node, String variable, Set<String> tokens) {
    String value = node.variable(variable);
    if (value == null) {
      node.problem("the name of a set environment variable holding the tokens", variable + " is not set");
      return;
    }
    int before = tokens.size();
    for (String token : value.strip().split(TOKEN_SEPARATORS)) {
      if (!token.isEmpty()) {
        tokens.add(token);
      }
    }
    if (tokens.size() == before) {
      node.problem("a variable holding at least one token", variable + " is empty");
    }
  }

  private static void tokensFromFile(ConfigNode node, Path file, Set<String> tokens) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (MalformedInputException e) {
      node.problem("a UTF-8 text file of tokens, one a line", file + " is not UTF-8 text");
      return;
    } catch (IOException e) {
      node.problem("a readable file of tokens, one a line", file + " cannot be read ("
          + (e.getClass().getSimpleName().equals("NoSuchFileException") ? "no such file" : e.getClass().getSimpleName()) + ")");
      return;
    }
    int before = tokens.size();
    for (int i = 0; i < lines.size(); i++) {
      String token = lines.get(i).strip();
      if (token.isEmpty() || token.startsWith("#")) {
        continue;
      }
      if (token.chars().anyMatch(c -> c <= ' ' || c == 127)) {
        // Which line, never what is on it.
        node.problem("one token a line, without blanks or control characters", file + " line " + (i + 1));
        return;
      }
      tokens.add(token);
    }
    if (tokens.size() == before) {
      node.problem("a file with at least one token", file + " has none");
    }
  }
}
