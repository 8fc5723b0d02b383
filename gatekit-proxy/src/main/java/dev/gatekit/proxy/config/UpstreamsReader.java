package dev.gatekit.proxy.config;

import dev.gatekit.transport.http.HttpTransport;
import dev.gatekit.transport.stdio.RestartPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code proxy.upstreams}: at least one upstream, each with a unique name and either a command
 * (a line split like a shell, or a list) with optionally {@code env}, {@code env_allowlist} and {@code
 * cwd}, or a {@code url} (http or https, a remote Streamable HTTP server) with optionally {@code
 * headers} (name to value, variables expanded; the values are secrets and never quoted in a
 * problem); and optionally {@code restart_on_failure}, {@code max_restart_attempts} and {@code
 * shared} (true: one connection serves every client session of the HTTP front). Relative paths — {@code cwd}, and a
 * program that starts with {@code ./} or {@code ../} — resolve against the configuration's folder.
 * An upstream with a problem is left out of the result; its problems are recorded.
 */
final class UpstreamsReader {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
  private static final Set<String> UPSTREAM_KEYS = Set.of("name", "command", "env", "env_allowlist", "cwd",
      "restart_on_failure", "max_restart_attempts", "url", "headers", "shared");
  /** The keys that only a command upstream may have, in the order they are reported. */
  private static final List<String> COMMAND_ONLY_KEYS = List.of("env", "env_allowlist", "cwd");
  private static final int DEFAULT_RESTART_ATTEMPTS = 3;
  /** Where header names and values are checked against the HTTP client's rules. */
  private static final URI CHECK_URI = URI.create("http://localhost/");

  private final Path folder;

  /** @param folder the folder of the configuration file */
  UpstreamsReader(Path folder) {
    this.folder = folder;
  }

  /** Reads the list at {@code proxy.upstreams}. */
  List<GatekitConfig.Upstream> read(ConfigNode upstreams) {
    List<GatekitConfig.Upstream> result = new ArrayList<>();
    if (upstreams.isMissing()) {
      upstreams.problem("a list of at least one upstream", "missing");
      return result;
    }
    if (!upstreams.isList() || upstreams.size() == 0) {
      upstreams.expected("a list of at least one upstream");
      return result;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < upstreams.size(); i++) {
      GatekitConfig.Upstream upstream = upstream(upstreams.at(i), names);
      if (upstream != null) {
        result.add(upstream);
      }
    }
    return result;
  }

  /** One upstream; null when it has a problem. {@code names} holds the names of the ones before it. */
  private GatekitConfig.@Nullable Upstream upstream(ConfigNode node, Set<String> names) {
    if (!node.isMapping()) {
      node.expected("a mapping with name and command or url");
      return null;
    }
    node.rejectUnknownKeys(UPSTREAM_KEYS);
    String name = name(node.get("name"), names);
    boolean hasCommand = !node.get("command").isMissing();
    boolean hasUrl = !node.get("url").isMissing();
    if (hasCommand && hasUrl) {
      node.problem("either command (a server to start) or url (a remote server), not both", "both");
      return null;
    }
    if (!hasCommand && !hasUrl) {
      node.problem("command (a server to start) or url (a remote server)", "neither");
      return null;
    }
    if (hasUrl) {
      return remote(node, name);
    }
    ConfigNode headers = node.get("headers");
    if (!headers.isMissing()) {
      headers.problem("headers only with url (a remote server)", "headers with command");
    }
    List<String> command = command(node.get("command"));
    Map<String, String> env = environment(node.get("env"));
    boolean inherit = true;
    Map<String, String> childEnv = env;
    ConfigNode allow = node.get("env_allowlist");
    if (!allow.isMissing()) {
      List<String> allowed = allow.stringList();
      if (allowed != null) {
        inherit = false;
        childEnv = new LinkedHashMap<>();
        for (String key : allowed) {
          String value = allow.variable(key);
          if (value != null) {
            childEnv.put(key, value);
          }
        }
        childEnv.putAll(env);
      }
    }
    Path cwd = directory(node.get("cwd"));
    RestartPolicy policy = restartPolicy(node.get("restart_on_failure"), node.get("max_restart_attempts"));
    boolean shared = shared(node.get("shared"));
    if (name == null || command == null) {
      return null;
    }
    return new GatekitConfig.Upstream(name, command, childEnv, inherit, cwd, policy).withShared(shared);
  }

  /** An upstream with {@code url}; null when it has a problem. */
  private static GatekitConfig.@Nullable Upstream remote(ConfigNode node, @Nullable String name) {
    for (String key : COMMAND_ONLY_KEYS) {
      ConfigNode option = node.get(key);
      if (!option.isMissing()) {
        option.problem("no " + key + " with url: " + String.join(", ", COMMAND_ONLY_KEYS) + " apply to a command only",
            key + " with url");
      }
    }
    URI url = url(node.get("url"));
    Map<String, String> headers = headers(node.get("headers"));
    RestartPolicy policy = restartPolicy(node.get("restart_on_failure"), node.get("max_restart_attempts"));
    boolean shared = shared(node.get("shared"));
    if (name == null || url == null || headers == null) {
      return null;
    }
    return GatekitConfig.Upstream.remote(name, url, headers, policy).withShared(shared);
  }

  /** An absolute http or https URL with a host, variables expanded; null on a problem. */
  private static @Nullable URI url(ConfigNode node) {
    String expected = "an http or https URL such as https://example.com/mcp";
    if (!node.isText()) {
      node.expected(expected);
      return null;
    }
    String value = node.string();
    if (value == null) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      // As written, so that a ${VAR} in it is not shown expanded.
      node.problem(expected, ConfigNode.quote(node.text()) + ": " + e.getReason());
      return null;
    }
    String scheme = uri.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null) {
      node.problem(expected, ConfigNode.quote(node.text()));
      return null;
    }
    return uri;
  }

  /**
   * The {@code headers} mapping, values expanded; empty when missing, null on a problem. A value is
   * never quoted in a problem.
   */
  private static @Nullable Map<String, String> headers(ConfigNode node) {
    Map<String, String> headers = new LinkedHashMap<>();
    if (node.isMissing()) {
      return headers;
    }
    if (!node.isMapping()) {
      node.expected("a mapping of header names to values");
      return null;
    }
    boolean ok = true;
    for (String key : node.keys()) {
      ConfigNode v = node.get(key);
      String value = v.secretString();
      if (value == null) {
        ok = false;
        continue;
      }
      try {
        // The transport's own check: a name and value HTTP allows, and not a header it sets itself.
        HttpTransport.builder(CHECK_URI).header(key, value);
      } catch (IllegalArgumentException e) {
        // Its message names the header, never the value.
        v.problem("a header HTTP allows that the transport does not set itself", e.getMessage());
        ok = false;
        continue;
      }
      headers.put(key, value);
    }
    return ok ? headers : null;
  }

  private static @Nullable String name(ConfigNode node, Set<String> names) {
    if (node.isMissing()) {
      node.problem("a name of letters, digits, '-' and '_'", "missing");
      return null;
    }
    String name = node.string();
    if (name != null && (!NAME.matcher(name).matches() || name.contains("__"))) {
      node.problem("a name of letters, digits, '-' and '_', without \"__\"", ConfigNode.quote(name));
      return null;
    }
    if (name != null && !names.add(name)) {
      node.problem("a name no other upstream has", ConfigNode.quote(name) + " again");
      return null;
    }
    return name;
  }

  /** The program and its arguments, variables expanded and a relative program resolved; null on a problem. */
  private @Nullable List<String> command(ConfigNode node) {
    if (node.isMissing()) {
      node.problem("a command line or a list of program and arguments", "missing");
      return null;
    }
    List<String> texts = new ArrayList<>();
    if (node.isText()) {
      try {
        texts.addAll(ShellWords.split(node.text()));
      } catch (IllegalArgumentException e) {
        node.problem("a command line with balanced quotes", ConfigNode.quote(node.text()) + ": " + e.getMessage());
        return null;
      }
    } else if (node.isList()) {
      for (int i = 0; i < node.size(); i++) {
        ConfigNode word = node.at(i);
        if (!word.isScalar()) {
          word.expected("a string");
          return null;
        }
        texts.add(word.text());
      }
    } else {
      node.expected("a command line or a list of program and arguments");
      return null;
    }
    if (texts.isEmpty() || texts.get(0).isBlank()) {
      node.problem("a program to run", node.isList() ? "an empty list" : "an empty command");
      return null;
    }
    List<String> expanded = new ArrayList<>();
    boolean ok = true;
    for (int i = 0; i < texts.size(); i++) {
      ConfigNode word = node.isList() ? node.at(i) : node; // where a problem of this word is reported
      String value = word.expand(texts.get(i));
      ok &= value != null;
      expanded.add(value == null ? "" : value);
    }
    if (!ok) {
      return null;
    }
    String program = expanded.get(0);
    if (program.startsWith("./") || program.startsWith("../")) {
      expanded.set(0, folder.resolve(program).normalize().toString());
    }
    return expanded;
  }

  /** The {@code env} mapping with variables expanded; entries with a problem are left out. */
  private static Map<String, String> environment(ConfigNode node) {
    Map<String, String> env = new LinkedHashMap<>();
    if (node.isMissing()) {
      return env;
    }
    if (!node.isMapping()) {
      node.expected("a mapping of variable names to values");
      return env;
    }
    for (String key : node.keys()) {
      ConfigNode v = node.get(key);
      if (!v.isScalar()) {
        v.expected("a string, number or boolean");
        continue;
      }
      String value = v.expand(v.text());
      if (value != null) {
        env.put(key, value);
      }
    }
    return env;
  }

  private @Nullable Path directory(ConfigNode node) {
    if (node.isMissing()) {
      return null;
    }
    String value = node.string();
    if (value == null) {
      return null;
    }
    Path cwd = folder.resolve(value).normalize();
    if (!Files.isDirectory(cwd)) {
      node.problem("an existing directory", ConfigNode.quote(value) + " (" + cwd + ")");
    }
    return cwd;
  }

  /** {@code shared}: true or false, false when missing or wrong. */
  private static boolean shared(ConfigNode node) {
    return Boolean.TRUE.equals(node.bool());
  }

  private static RestartPolicy restartPolicy(ConfigNode restartOnFailure, ConfigNode maxAttempts) {
    Boolean restart = restartOnFailure.bool();
    Integer attempts = maxAttempts.integer(1);
    if (Boolean.TRUE.equals(restart)) {
      return RestartPolicy.attempts(attempts != null ? attempts : DEFAULT_RESTART_ATTEMPTS);
    }
    if (attempts != null) {
      maxAttempts.problem("restart_on_failure: true for it to apply",
          "restart_on_failure " + (restart == null ? "missing" : "false"));
    }
    return RestartPolicy.never();
  }
}
