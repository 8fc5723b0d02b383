package dev.gatekit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gatekit.proxy.config.GatekitConfig;
import dev.gatekit.proxy.config.HttpSettings;
import dev.gatekit.proxy.plugins.PluginEntry;
import java.net.URI;
import java.util.Locale;

/**
 * What {@code gatekit check} prints: the resolved configuration as YAML, with nothing that may be
 * a secret — environment values, header values, user information and queries of URLs.
 */
final class ConfigDescription {

  private ConfigDescription() {}

  /** The resolved configuration as YAML; environment values are not shown. */
  static String describe(GatekitConfig config) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    ObjectNode proxy = root.putObject("proxy");
    proxy.put("transport", config.transport());
    config.protocolVersions().forEach(proxy.putArray("protocol_versions")::add);
    describeHttp(proxy.putObject("http"), config.http());
    ArrayNode upstreams = proxy.putArray("upstreams");
    for (GatekitConfig.Upstream u : config.upstreams()) {
      ObjectNode node = upstreams.addObject().put("name", u.name());
      if (u.isRemote()) {
        node.put("url", safeUrl(u.url()));
        ObjectNode headers = node.putObject("headers");
        u.headers().keySet().forEach(k -> headers.put(k, "***"));
        node.put("max_restart_attempts", u.restartPolicy().maxAttempts());
        continue;
      }
      u.command().forEach(node.putArray("command")::add);
      ObjectNode env = node.putObject("env");
      u.environment().keySet().stream().sorted().forEach(k -> env.put(k, "<set>"));
      node.put("inherit_environment", u.inheritEnvironment());
      node.put("cwd", u.directory() == null ? null : u.directory().toString());
      node.put("max_restart_attempts", u.restartPolicy().maxAttempts());
      node.put("shared", u.shared());
    }
    proxy.putObject("timeouts")
        .put("connection_seconds", config.connectionTimeout().toMillis() / 1000.0)
        .put("request_seconds", config.options().requestTimeout().toMillis() / 1000.0);
    proxy.put("max_requests_in_flight", config.options().maxInFlight());
    proxy.put("overflow_policy", config.options().overflowPolicy().name().toLowerCase(Locale.ROOT));
    proxy.put("max_queued_requests", config.options().maxQueued());
    proxy.put("max_line_length", config.maxLineLength());
    proxy.put("max_client_queue_mb", config.maxClientQueueBytes() / (1024 * 1024));
    ArrayNode plugins = root.putArray("plugins");
    for (PluginEntry entry : config.plugins()) {
      ObjectNode node = plugins.addObject().put("kind", entry.kind().name().toLowerCase(Locale.ROOT))
          .put("scope", entry.scope()).put("handler", entry.handler()).put("path", entry.path());
      node.set("config", json.valueToTree(entry.config()));
    }
    root.putObject("logging").put("level", config.logging().level())
        .put("file", config.logging().file() == null ? null : config.logging().file().toString());
    try {
      return YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build().writeValueAsString(root);
    } catch (Exception e) {
      return root.toPrettyString() + System.lineSeparator();
    }
  }

  /** The {@code http:} section; the tokens are counted, never shown. */
  private static void describeHttp(ObjectNode node, HttpSettings http) {
    node.put("host", http.host()).put("port", http.port()).put("path", http.path());
    http.allowedOrigins().forEach(node.putArray("allowed_origins")::add);
    ObjectNode auth = node.putObject("auth");
    if (http.auth().tokensEnv() != null) {
      auth.put("bearer_tokens_env", http.auth().tokensEnv());
    }
    if (http.auth().tokensFile() != null) {
      auth.put("bearer_tokens_file", http.auth().tokensFile().toString());
    }
    auth.put("bearer_tokens", http.auth().enabled() ? http.auth().bearerTokens().size() + " (values ***)" : "none: no authentication");
    node.put("max_sessions", http.maxSessions());
    node.put("session_idle_seconds", http.sessionIdleTimeout().toMillis() / 1000.0);
    http.protocolVersions().forEach(node.putArray("protocol_versions")::add);
  }

  /** The URL without what may be a secret: user information, and the query (shown as {@code ?***}). */
  private static String safeUrl(URI url) {
    StringBuilder text = new StringBuilder().append(url.getScheme()).append("://").append(url.getHost());
    if (url.getPort() >= 0) {
      text.append(':').append(url.getPort());
    }
    text.append(url.getRawPath() == null ? "" : url.getRawPath());
    return url.getRawQuery() != null ? text.append("?***").toString() : text.toString();
  }

}
