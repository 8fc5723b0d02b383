package dev.gatekit.proxy.config;

import dev.gatekit.api.plugin.ConfigProblems;
import dev.gatekit.proxy.plugins.PluginEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Gatekit YAML configuration (the original Gatekit's layout) into a {@link GatekitConfig}.
 *
 * <pre>{@code
 * proxy:
 *   transport: stdio                      # or http: the Streamable HTTP front, as http: says
 *   protocol_versions: [2026-07-28, 2025-11-25]   # accepted on every front; default: all Gatekit speaks
 *   http:                                 # optional; used by transport: http and gatekit --http
 *     host: 127.0.0.1                     # default: this machine only
 *     port: 8080                          # default 8080; 0 for any free port
 *     path: /mcp                          # default /mcp
 *     allowed_origins: [https://app.example]   # Origin headers allowed (others: 403)
 *     auth: {bearer_tokens_env: GATEKIT_TOKENS, bearer_tokens_file: tokens.txt}   # either or both
 *     max_sessions: 100                   # default 100; past it 503
 *     session_idle_seconds: 600           # default 600
 *     protocol_versions: [2026-07-28]     # the HTTP front's: some of proxy.protocol_versions (its default)
 *   upstreams:                            # at least one
 *     - name: files                       # letters, digits, '-', '_' (no "__")
 *       command: npx -y @mcp/files "/my dir"   # or a list; split like a shell, never run by one
 *       env: {TOKEN: "${FILES_TOKEN}"}    # added to the server's environment
 *       env_allowlist: [PATH, HOME]       # optional: only these of ours, plus env
 *       cwd: ./work                       # optional
 *       restart_on_failure: true          # optional, default false
 *       max_restart_attempts: 3           # optional, default 3 when restarting
 *       shared: false                     # optional: true = one connection for every session
 *   timeouts: {connection_seconds: 2, request_seconds: 60}
 *   max_requests_in_flight: 100
 *   overflow_policy: reject               # or queue
 *   max_queued_requests: 1000
 *   max_line_length: 16777216
 *   max_client_queue_mb: 8
 * plugins:                                # security, middleware, auditing
 *   security:
 *     _global:                            # or an upstream's name
 *       - handler: secrets
 *         config: {enabled: true}
 * logging: {level: info, file: logs/gatekit.log}
 * }</pre>
 *
 * <p>{@code ${VAR}} (or {@code ${VAR:-default}}) in any string value is replaced by the environment
 * variable; {@code $$} is a literal {@code $}. Relative paths ({@code cwd}, {@code logging.file} and
 * a command's program when it starts with {@code ./} or {@code ../}) resolve against the file's
 * folder. Every problem of a file is reported at once in one {@link ConfigException}; unknown keys
 * are problems, with a "did you mean" when a known key is close.
 */
public final class ConfigLoader {

  private static final Set<String> TOP_KEYS = Set.of("proxy", "plugins", "logging");
  private static final Set<String> PROXY_KEYS = Set.of("transport", "protocol_versions", "http", "upstreams", "timeouts",
      "max_requests_in_flight", "overflow_policy", "max_queued_requests", "max_line_length",
      "max_client_queue_mb");

  private ConfigLoader() {}

  /** Reads {@code file} with this process's environment. */
  public static GatekitConfig load(Path file) throws ConfigException {
    return load(file, System.getenv());
  }

  /**
   * Reads {@code file}, taking {@code ${VAR}} values and allow-listed variables from {@code
   * environment}.
   *
   * @throws ConfigException naming every problem: unreadable file, YAML syntax (with line and
   *     column), wrong or missing values, unknown keys, unset variables
   */
  public static GatekitConfig load(Path file, Map<String, String> environment) throws ConfigException {
    Path absolute = file.toAbsolutePath().normalize();
    Path folder = absolute.getParent() != null ? absolute.getParent() : Path.of("").toAbsolutePath();
    ConfigProblems problems = new ConfigProblems();
    ConfigNode root = ConfigNode.root(YamlFile.read(absolute), problems, new EnvironmentExpander(environment));
    if (root.isAbsent()) {
      problems.add("(document)", "a mapping with a 'proxy' section", "an empty file");
      throw new ConfigException(absolute, problems.toList());
    }
    if (!root.isMapping()) {
      problems.add("(document)", "a mapping with a 'proxy' section", root.describe());
      throw new ConfigException(absolute, problems.toList());
    }
    root.rejectUnknownKeys(TOP_KEYS);
    ConfigNode proxy = root.get("proxy");
    List<GatekitConfig.Upstream> upstreams = new ArrayList<>();
    LimitsReader.Limits limits = LimitsReader.Limits.defaults();
    String transport = GatekitConfig.STDIO;
    HttpSettings http = HttpSettings.defaults();
    List<String> versions = HttpSettings.KNOWN_PROTOCOL_VERSIONS;
    if (proxy.isMissing()) {
      proxy.problem("a mapping with 'upstreams'", "missing");
    } else if (!proxy.isMapping()) {
      proxy.expected("a mapping with 'upstreams'");
    } else {
      proxy.rejectUnknownKeys(PROXY_KEYS);
      transport = transport(proxy.get("transport"));
      List<String> accepted = HttpReader.protocolVersions(proxy.get("protocol_versions"), null);
      versions = accepted != null ? accepted : versions;
      http = HttpReader.read(proxy.get("http"), folder, versions);
      upstreams = new UpstreamsReader(folder).read(proxy.get("upstreams"));
      limits = LimitsReader.read(proxy);
    }
    Set<String> names = new LinkedHashSet<>();
    upstreams.forEach(u -> names.add(u.name()));
    List<PluginEntry> plugins = PluginsReader.read(root.get("plugins"), names);
    GatekitConfig.Logging logging = LoggingReader.read(root.get("logging"), folder);
    if (!problems.isEmpty()) {
      throw new ConfigException(absolute, problems.toList());
    }
    return new GatekitConfig(absolute, transport, http, versions, upstreams, limits.options(), limits.connectionTimeout(),
        limits.maxLineLength(), limits.maxClientQueueBytes(), plugins, logging);
  }

  /** {@code proxy.transport}, the client-facing transport: stdio (the default) or http. */
  private static String transport(ConfigNode transport) {
    if (transport.isMissing()) {
      return GatekitConfig.STDIO;
    }
    String value = transport.string();
    if (GatekitConfig.HTTP.equals(value)) {
      return GatekitConfig.HTTP;
    }
    if (value != null && !value.equals(GatekitConfig.STDIO)) {
      transport.problem("stdio or http", ConfigNode.quote(value));
    }
    return GatekitConfig.STDIO;
  }

  /**
   * Splits a command line into words as a POSIX shell would, without running one: blanks separate
   * words; {@code '...'} keeps everything literally; {@code "..."} keeps blanks and takes {@code \}
   * before {@code " \ $ `} literally; a {@code \} outside quotes takes the next character literally.
   *
   * @throws IllegalArgumentException for an unterminated quote or a trailing backslash
   */
  public static List<String> splitCommand(String line) {
    return ShellWords.split(line);
  }
}
