package dev.gatekit.proxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.api.plugin.ConfigProblem;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.transport.stdio.RestartPolicy;
import dev.gatekit.transport.stdio.StdioTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a Gatekit YAML configuration (the original Gatekit's layout) into a {@link GatekitConfig}.
 *
 * <pre>{@code
 * proxy:
 *   transport: stdio                      # the only one
 *   upstreams:                            # at least one
 *     - name: files                       # letters, digits, '-', '_' (no "__")
 *       command: npx -y @mcp/files "/my dir"   # or a list; split like a shell, never run by one
 *       env: {TOKEN: "${FILES_TOKEN}"}    # added to the server's environment
 *       env_allowlist: [PATH, HOME]       # optional: only these of ours, plus env
 *       cwd: ./work                       # optional
 *       restart_on_failure: true          # optional, default false
 *       max_restart_attempts: 3           # optional, default 3 when restarting
 *   timeouts: {connection_seconds: 2, request_seconds: 60}
 *   max_requests_in_flight: 100
 *   overflow_policy: reject               # or queue
 *   max_queued_requests: 1000
 *   max_line_length: 16777216
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

  private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
  private static final Set<String> TOP_KEYS = Set.of("proxy", "plugins", "logging");
  private static final Set<String> PROXY_KEYS = Set.of("transport", "upstreams", "timeouts",
      "max_requests_in_flight", "overflow_policy", "max_queued_requests", "max_line_length");
  private static final Set<String> UPSTREAM_KEYS = Set.of("name", "command", "env", "env_allowlist", "cwd",
      "restart_on_failure", "max_restart_attempts");
  private static final Set<String> TIMEOUT_KEYS = Set.of("connection_seconds", "request_seconds");
  private static final Set<String> LOGGING_KEYS = Set.of("level", "file");
  private static final Set<String> ENTRY_KEYS = Set.of("handler", "config");
  private static final Map<String, String> LEVELS = Map.of("trace", "trace", "debug", "debug", "info", "info",
      "warn", "warn", "warning", "warn", "error", "error", "critical", "error", "off", "off");
  private static final int DEFAULT_RESTART_ATTEMPTS = 3;

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
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(absolute));
    } catch (JsonProcessingException e) {
      throw new ConfigException(absolute, List.of(syntaxProblem(e)));
    } catch (IOException e) {
      throw new ConfigException(absolute, List.of(new ConfigProblem("(file)", "a readable file", e.toString())));
    }
    return new Reader(absolute, environment).read(root);
  }

  /** The place and cause of a YAML syntax error, from SnakeYAML's mark when there is one. */
  private static ConfigProblem syntaxProblem(JsonProcessingException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
        Mark mark = marked.getProblemMark();
        String context = marked.getContext() != null ? marked.getContext() + ": " : "";
        return new ConfigProblem("(line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")",
            "valid YAML", context + marked.getProblem());
      }
    }
    JsonLocation location = e.getLocation();
    String where = location == null ? "(document)" : "(line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    return new ConfigProblem(where, "valid YAML", String.valueOf(e.getOriginalMessage()).replaceAll("\\s+", " "));
  }

  /**
   * Splits a command line into words as a POSIX shell would, without running one: blanks separate
   * words; {@code '...'} keeps everything literally; {@code "..."} keeps blanks and takes {@code \}
   * before {@code " \ $ `} literally; a {@code \} outside quotes takes the next character literally.
   *
   * @throws IllegalArgumentException for an unterminated quote or a trailing backslash
   */
  public static List<String> splitCommand(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated single quote at character " + (i + 1));
        }
        word.append(line, i + 1, end);
        i = end;
        inWord = true;
      } else if (c == '"') {
        int j = i + 1;
        for (; j < line.length() && line.charAt(j) != '"'; j++) {
          char d = line.charAt(j);
          if (d == '\\' && j + 1 < line.length() && "\"\\$`".indexOf(line.charAt(j + 1)) >= 0) {
            word.append(line.charAt(++j));
          } else {
            word.append(d);
          }
        }
        if (j >= line.length()) {
          throw new IllegalArgumentException("unterminated double quote at character " + (i + 1));
        }
        i = j;
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 >= line.length()) {
          throw new IllegalArgumentException("a backslash at the end");
        }
        word.append(line.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /** One pass over one file, collecting problems. */
  private static final class Reader {
    private final Path file;
    private final Path folder;
    private final Map<String, String> environment;
    private final List<ConfigProblem> problems = new ArrayList<>();

    Reader(Path file, Map<String, String> environment) {
      this.file = file;
      this.folder = file.getParent() != null ? file.getParent() : Path.of("").toAbsolutePath();
      this.environment = environment;
    }

    GatekitConfig read(@Nullable JsonNode root) throws ConfigException {
      if (root == null || root.isMissingNode() || root.isNull()) {
        fail(new ConfigProblem("(document)", "a mapping with a 'proxy' section", "an empty file"));
      }
      if (!root.isObject()) {
        fail(new ConfigProblem("(document)", "a mapping with a 'proxy' section", describe(root)));
      }
      unknownKeys(root, "", TOP_KEYS);
      JsonNode proxy = root.get("proxy");
      List<GatekitConfig.Upstream> upstreams = new ArrayList<>();
      String transport = "stdio";
      TransportOptions options = TransportOptions.defaults();
      Duration connection = GatekitConfig.DEFAULT_CONNECTION_TIMEOUT;
      int maxLineLength = StdioTransport.DEFAULT_MAX_LINE_LENGTH;
      if (proxy == null) {
        problem("proxy", "a mapping with 'upstreams'", "missing");
      } else if (!proxy.isObject()) {
        problem("proxy", "a mapping with 'upstreams'", describe(proxy));
      } else {
        unknownKeys(proxy, "proxy", PROXY_KEYS);
        JsonNode t = proxy.get("transport");
        if (t != null) {
          String value = string(t, "proxy.transport");
          if (value != null && !value.equals("stdio")) {
            problem("proxy.transport", "stdio", quote(value));
          }
        }
        upstreams = upstreams(proxy.get("upstreams"));
        TransportOptions.Builder builder = TransportOptions.builder();
        JsonNode timeouts = proxy.get("timeouts");
        if (timeouts != null) {
          if (!timeouts.isObject()) {
            problem("proxy.timeouts", "a mapping with connection_seconds and request_seconds", describe(timeouts));
          } else {
            unknownKeys(timeouts, "proxy.timeouts", TIMEOUT_KEYS);
            Duration request = seconds(timeouts.get("request_seconds"), "proxy.timeouts.request_seconds");
            if (request != null) {
              builder.requestTimeout(request);
            }
            Duration c = seconds(timeouts.get("connection_seconds"), "proxy.timeouts.connection_seconds");
            if (c != null) {
              connection = c;
            }
          }
        }
        Integer maxInFlight = integer(proxy.get("max_requests_in_flight"), "proxy.max_requests_in_flight", 1);
        if (maxInFlight != null) {
          builder.maxInFlight(maxInFlight);
        }
        JsonNode policy = proxy.get("overflow_policy");
        if (policy != null) {
          String value = string(policy, "proxy.overflow_policy");
          if (value != null) {
            switch (value.toLowerCase(Locale.ROOT)) {
              case "reject" -> builder.overflowPolicy(OverflowPolicy.REJECT);
              case "queue" -> builder.overflowPolicy(OverflowPolicy.QUEUE);
              default -> problem("proxy.overflow_policy", "reject or queue", quote(value));
            }
          }
        }
        Integer queued = integer(proxy.get("max_queued_requests"), "proxy.max_queued_requests", 0);
        if (queued != null) {
          builder.maxQueued(queued);
        }
        Integer line = integer(proxy.get("max_line_length"), "proxy.max_line_length", 1024);
        if (line != null) {
          maxLineLength = line;
        }
        options = builder.build();
      }
      Set<String> names = new LinkedHashSet<>();
      upstreams.forEach(u -> names.add(u.name()));
      List<PluginEntry> plugins = plugins(root.get("plugins"), names);
      GatekitConfig.Logging logging = logging(root.get("logging"));
      if (!problems.isEmpty()) {
        throw new ConfigException(file, problems);
      }
      return new GatekitConfig(file, transport, upstreams, options, connection, maxLineLength, plugins, logging);
    }

    private List<GatekitConfig.Upstream> upstreams(@Nullable JsonNode node) {
      List<GatekitConfig.Upstream> result = new ArrayList<>();
      if (node == null) {
        problem("proxy.upstreams", "a list of at least one upstream", "missing");
        return result;
      }
      if (!node.isArray() || node.isEmpty()) {
        problem("proxy.upstreams", "a list of at least one upstream", describe(node));
        return result;
      }
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < node.size(); i++) {
        String path = "proxy.upstreams[" + i + "]";
        JsonNode u = node.get(i);
        if (!u.isObject()) {
          problem(path, "a mapping with name and command", describe(u));
          continue;
        }
        unknownKeys(u, path, UPSTREAM_KEYS);
        String name = null;
        JsonNode n = u.get("name");
        if (n == null) {
          problem(path + ".name", "a name of letters, digits, '-' and '_'", "missing");
        } else {
          name = string(n, path + ".name");
          if (name != null && (!NAME.matcher(name).matches() || name.contains("__"))) {
            problem(path + ".name", "a name of letters, digits, '-' and '_', without \"__\"", quote(name));
            name = null;
          } else if (name != null && !seen.add(name)) {
            problem(path + ".name", "a name no other upstream has", quote(name) + " again");
            name = null;
          }
        }
        List<String> command = command(u.get("command"), path + ".command");
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode e = u.get("env");
        if (e != null) {
          if (!e.isObject()) {
            problem(path + ".env", "a mapping of variable names to values", describe(e));
          } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
              Map.Entry<String, JsonNode> field = it.next();
              String p = path + ".env." + field.getKey();
              JsonNode v = field.getValue();
              if (!v.isValueNode() || v.isNull()) {
                problem(p, "a string, number or boolean", describe(v));
                continue;
              }
              String value = expand(v.asText(), p);
              if (value != null) {
                env.put(field.getKey(), value);
              }
            }
          }
        }
        boolean inherit = true;
        Map<String, String> childEnv = env;
        JsonNode allow = u.get("env_allowlist");
        if (allow != null) {
          List<String> allowed = stringList(allow, path + ".env_allowlist");
          if (allowed != null) {
            inherit = false;
            childEnv = new LinkedHashMap<>();
            for (String key : allowed) {
              String value = environment.get(key);
              if (value != null) {
                childEnv.put(key, value);
              }
            }
            childEnv.putAll(env);
          }
        }
        Path cwd = null;
        JsonNode c = u.get("cwd");
        if (c != null) {
          String value = string(c, path + ".cwd");
          if (value != null) {
            cwd = folder.resolve(value).normalize();
            if (!Files.isDirectory(cwd)) {
              problem(path + ".cwd", "an existing directory", quote(value) + " (" + cwd + ")");
            }
          }
        }
        Boolean restart = bool(u.get("restart_on_failure"), path + ".restart_on_failure");
        Integer attempts = integer(u.get("max_restart_attempts"), path + ".max_restart_attempts", 1);
        RestartPolicy policy = RestartPolicy.never();
        if (Boolean.TRUE.equals(restart)) {
          policy = RestartPolicy.attempts(attempts != null ? attempts : DEFAULT_RESTART_ATTEMPTS);
        } else if (attempts != null) {
          problem(path + ".max_restart_attempts", "restart_on_failure: true for it to apply",
              "restart_on_failure " + (restart == null ? "missing" : "false"));
        }
        if (name != null && command != null) {
          result.add(new GatekitConfig.Upstream(name, command, childEnv, inherit, cwd, policy));
        }
      }
      return result;
    }

    private @Nullable List<String> command(@Nullable JsonNode node, String path) {
      if (node == null) {
        problem(path, "a command line or a list of program and arguments", "missing");
        return null;
      }
      List<String> words;
      if (node.isTextual()) {
        try {
          words = splitCommand(node.asText());
        } catch (IllegalArgumentException e) {
          problem(path, "a command line with balanced quotes", quote(node.asText()) + ": " + e.getMessage());
          return null;
        }
      } else if (node.isArray()) {
        words = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
          JsonNode w = node.get(i);
          if (!w.isValueNode() || w.isNull()) {
            problem(path + "[" + i + "]", "a string", describe(w));
            return null;
          }
          words.add(w.asText());
        }
      } else {
        problem(path, "a command line or a list of program and arguments", describe(node));
        return null;
      }
      if (words.isEmpty() || words.get(0).isBlank()) {
        problem(path, "a program to run", node.isArray() ? "an empty list" : "an empty command");
        return null;
      }
      List<String> expanded = new ArrayList<>();
      boolean ok = true;
      for (int i = 0; i < words.size(); i++) {
        String value = expand(words.get(i), node.isArray() ? path + "[" + i + "]" : path);
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

    private List<PluginEntry> plugins(@Nullable JsonNode node, Set<String> upstreams) {
      List<PluginEntry> entries = new ArrayList<>();
      if (node == null || node.isNull()) {
        return entries;
      }
      if (!node.isObject()) {
        problem("plugins", "a mapping of security, middleware and auditing", describe(node));
        return entries;
      }
      Map<String, PluginKind> kinds = new LinkedHashMap<>();
      kinds.put("security", PluginKind.SECURITY);
      kinds.put("middleware", PluginKind.MIDDLEWARE);
      kinds.put("auditing", PluginKind.AUDITING);
      unknownKeys(node, "plugins", kinds.keySet());
      Set<String> scopes = new LinkedHashSet<>();
      scopes.add(PluginEntry.GLOBAL);
      scopes.addAll(upstreams);
      for (Map.Entry<String, PluginKind> kind : kinds.entrySet()) {
        JsonNode section = node.get(kind.getKey());
        String kindPath = "plugins." + kind.getKey();
        if (section == null || section.isNull()) {
          continue;
        }
        if (!section.isObject()) {
          problem(kindPath, "a mapping of _global or upstream names to lists of plugins", describe(section));
          continue;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = section.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> scope = it.next();
          String scopePath = kindPath + "." + scope.getKey();
          if (!scopes.contains(scope.getKey())) {
            String suggestion = PluginConfig.closest(scope.getKey(), scopes);
            problem(scopePath, "_global or an upstream's name (" + (upstreams.isEmpty() ? "none valid" : String.join(", ", upstreams)) + ")",
                quote(scope.getKey()) + (suggestion != null ? "; did you mean '" + suggestion + "'?" : ""));
          }
          JsonNode list = scope.getValue();
          if (!list.isArray()) {
            problem(scopePath, "a list of plugins ({handler, config})", describe(list));
            continue;
          }
          for (int i = 0; i < list.size(); i++) {
            String path = scopePath + "[" + i + "]";
            JsonNode e = list.get(i);
            if (!e.isObject()) {
              problem(path, "a mapping with handler and config", describe(e));
              continue;
            }
            unknownKeys(e, path, ENTRY_KEYS);
            JsonNode h = e.get("handler");
            String handler = null;
            if (h == null) {
              problem(path + ".handler", "a handler name", "missing");
            } else {
              handler = string(h, path + ".handler");
              if (handler != null && handler.isBlank()) {
                problem(path + ".handler", "a handler name", "an empty string");
                handler = null;
              }
            }
            JsonNode c = e.get("config");
            Map<String, Object> config = null;
            if (c == null) {
              problem(path + ".config", "a mapping of options (at least {})", "missing");
            } else if (!c.isObject()) {
              problem(path + ".config", "a mapping of options", describe(c));
            } else {
              config = map(c, path + ".config");
            }
            if (handler != null && config != null) {
              entries.add(new PluginEntry(kind.getValue(), scope.getKey(), handler, config, path, entries.size()));
            }
          }
        }
      }
      return entries;
    }

    private GatekitConfig.Logging logging(@Nullable JsonNode node) {
      if (node == null || node.isNull()) {
        return new GatekitConfig.Logging(null, null);
      }
      if (!node.isObject()) {
        problem("logging", "a mapping with level and file", describe(node));
        return new GatekitConfig.Logging(null, null);
      }
      unknownKeys(node, "logging", LOGGING_KEYS);
      String level = null;
      JsonNode l = node.get("level");
      if (l != null) {
        String value = string(l, "logging.level");
        if (value != null) {
          level = LEVELS.get(value.toLowerCase(Locale.ROOT));
          if (level == null) {
            problem("logging.level", "one of trace, debug, info, warn, error, off", quote(value));
          }
        }
      }
      Path logFile = null;
      JsonNode f = node.get("file");
      if (f != null) {
        String value = string(f, "logging.file");
        if (value != null) {
          logFile = folder.resolve(value).normalize();
        }
      }
      return new GatekitConfig.Logging(level, logFile);
    }

    /** The node as plain Java values, with variables substituted; null (and a problem) for a null inside. */
    private @Nullable Map<String, Object> map(JsonNode node, String path) {
      Object value = plain(node, path);
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) value;
      return map;
    }

    private @Nullable Object plain(JsonNode node, String path) {
      switch (node.getNodeType()) {
        case OBJECT -> {
          Map<String, Object> map = new LinkedHashMap<>();
          boolean ok = true;
          for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            Object v = plain(field.getValue(), path + "." + field.getKey());
            ok &= v != null;
            if (v != null) {
              map.put(field.getKey(), v);
            }
          }
          return ok ? Collections.unmodifiableMap(map) : null;
        }
        case ARRAY -> {
          List<Object> list = new ArrayList<>();
          boolean ok = true;
          for (int i = 0; i < node.size(); i++) {
            Object v = plain(node.get(i), path + "[" + i + "]");
            ok &= v != null;
            list.add(v);
          }
          return ok ? List.copyOf(list) : null;
        }
        case STRING -> {
          return expand(node.asText(), path);
        }
        case BOOLEAN -> {
          return node.booleanValue();
        }
        case NUMBER -> {
          if (node.isIntegralNumber()) {
            return node.canConvertToInt() ? (Object) node.intValue() : (Object) node.longValue();
          }
          return node.doubleValue();
        }
        default -> {
          problem(path, "a value", describe(node));
          return null;
        }
      }
    }

    /** Substitutes ${VAR} and ${VAR:-default}; null (and a problem) when a variable is unset. */
    private @Nullable String expand(String text, String path) {
      if (text.indexOf('$') < 0) {
        return text;
      }
      StringBuilder out = new StringBuilder();
      boolean ok = true;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
          out.append('$');
          i++;
        } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
          int end = text.indexOf('}', i + 2);
          if (end < 0) {
            problem(path, "a closing '}' after '${'", quote(text));
            return null;
          }
          String expression = text.substring(i + 2, end);
          String name = expression;
          String fallback = null;
          int dash = expression.indexOf(":-");
          if (dash >= 0) {
            name = expression.substring(0, dash);
            fallback = expression.substring(dash + 2);
          }
          String value = environment.get(name);
          if (value == null || (value.isEmpty() && fallback != null)) {
            value = fallback;
          }
          if (value == null) {
            problem(path, "environment variable " + name + " to be set (for ${" + expression + "})", "it unset");
            ok = false;
          } else {
            out.append(value);
          }
          i = end;
        } else {
          out.append(c);
        }
      }
      return ok ? out.toString() : null;
    }

    private @Nullable String string(JsonNode node, String path) {
      if (!node.isTextual() && !(node.isValueNode() && !node.isNull())) {
        problem(path, "a string", describe(node));
        return null;
      }
      return expand(node.asText(), path);
    }

    private @Nullable List<String> stringList(JsonNode node, String path) {
      if (!node.isArray()) {
        problem(path, "a list of strings", describe(node));
        return null;
      }
      List<String> result = new ArrayList<>();
      for (int i = 0; i < node.size(); i++) {
        String value = string(node.get(i), path + "[" + i + "]");
        if (value == null) {
          return null;
        }
        result.add(value);
      }
      return result;
    }

    private @Nullable Boolean bool(@Nullable JsonNode node, String path) {
      if (node == null) {
        return null;
      }
      if (!node.isBoolean()) {
        problem(path, "true or false", describe(node));
        return null;
      }
      return node.booleanValue();
    }

    private @Nullable Integer integer(@Nullable JsonNode node, String path, int min) {
      if (node == null) {
        return null;
      }
      if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min) {
        problem(path, "a whole number of at least " + min, describe(node));
        return null;
      }
      return node.intValue();
    }

    private @Nullable Duration seconds(@Nullable JsonNode node, String path) {
      if (node == null) {
        return null;
      }
      if (!node.isNumber() || node.doubleValue() <= 0 || node.doubleValue() > 365 * 24 * 3600) {
        problem(path, "a positive number of seconds", describe(node));
        return null;
      }
      return Duration.ofNanos(Math.round(node.doubleValue() * 1e9));
    }

    private void unknownKeys(JsonNode node, String path, Set<String> known) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!known.contains(key)) {
          String suggestion = PluginConfig.closest(key, known);
          List<String> sorted = new ArrayList<>(known);
          Collections.sort(sorted);
          problem(path.isEmpty() ? key : path + "." + key, "one of the keys " + String.join(", ", sorted),
              "unknown key " + quote(key) + (suggestion != null ? "; did you mean '" + suggestion + "'?" : ""));
        }
      }
    }

    private void problem(String path, String expected, String found) {
      problems.add(new ConfigProblem(path, expected, found));
    }

    private void fail(ConfigProblem problem) throws ConfigException {
      problems.add(problem);
      throw new ConfigException(file, problems);
    }

    private static String quote(String value) {
      return "\"" + value + "\"";
    }

    private static String describe(JsonNode node) {
      JsonNodeType type = node.getNodeType();
      return switch (type) {
        case OBJECT -> "a mapping";
        case ARRAY -> node.isEmpty() ? "an empty list" : "a list";
        case STRING -> "\"" + node.asText() + "\"";
        case NULL -> "nothing (null)";
        case BOOLEAN, NUMBER -> type.name().toLowerCase(Locale.ROOT) + " " + node.asText();
        default -> type.name().toLowerCase(Locale.ROOT);
      };
    }
  }
}
