package dev.gatekit.proxy.config;

import dev.gatekit.api.TransportOptions;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.transport.stdio.RestartPolicy;
import dev.gatekit.transport.stdio.StdioTransport;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A validated, immutable Gatekit configuration as {@link ConfigLoader} reads it: the proxy's
 * settings, its upstreams, the plugin entries and the logging settings. Environment variables are
 * substituted and relative paths resolved against the file's folder.
 *
 * @param file the file it was read from (absolute)
 * @param transport the client-facing transport ({@code proxy.transport}): {@code stdio} (the
 *     default: one client on stdin and stdout) or {@code http} (the Streamable HTTP front, many
 *     clients, as {@code http} says)
 * @param http the {@code proxy.http:} section; its defaults when absent. Used when {@code
 *     transport} is {@code http}, and by {@code gatekit --http}
 * @param protocolVersions {@code proxy.protocol_versions}: the MCP protocol versions accepted from
 *     clients on every front (default all that Gatekit speaks, {@link
 *     HttpSettings#KNOWN_PROTOCOL_VERSIONS}); the HTTP front's own list, {@code
 *     proxy.http.protocol_versions}, is some of these and defaults to them
 * @param upstreams at least one, names unique, in the file's order
 * @param options the transport options every upstream gets ({@code timeouts.request_seconds},
 *     {@code max_requests_in_flight}, {@code overflow_policy}, {@code max_queued_requests})
 * @param connectionTimeout {@code timeouts.connection_seconds}: how long an upstream may take to
 *     answer {@code initialize} once the client connects (default 30 s)
 * @param maxLineLength {@code max_line_length}: the longest line, in bytes, accepted from an upstream
 *     and from the client
 * @param maxClientQueueBytes {@code max_client_queue_mb}: what may wait to be written to the client
 *     (default 8 MiB) before the gateway stops reading the client until it reads its answers
 * @param plugins every entry of the {@code plugins:} section, in the file's order
 * @param logging the {@code logging:} section
 */
public record GatekitConfig(
    Path file,
    String transport,
    HttpSettings http,
    List<String> protocolVersions,
    List<Upstream> upstreams,
    TransportOptions options,
    Duration connectionTimeout,
    int maxLineLength,
    long maxClientQueueBytes,
    List<PluginEntry> plugins,
    Logging logging) {

  /** The default of {@code timeouts.connection_seconds}. */
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(30);

  /** The value of {@code transport} for the stdio front. */
  public static final String STDIO = "stdio";
  /** The value of {@code transport} for the HTTP front. */
  public static final String HTTP = "http";

  /** Copies the lists; checks that {@code transport} is {@value #STDIO} or {@value #HTTP}. */
  public GatekitConfig {
    Objects.requireNonNull(file, "file");
    if (!STDIO.equals(transport) && !HTTP.equals(transport)) {
      throw new IllegalArgumentException("transport is stdio or http, not " + transport);
    }
    Objects.requireNonNull(http, "http");
    protocolVersions = List.copyOf(protocolVersions);
    if (protocolVersions.isEmpty() || !HttpSettings.KNOWN_PROTOCOL_VERSIONS.containsAll(protocolVersions)) {
      throw new IllegalArgumentException("protocolVersions " + protocolVersions + " is not a non-empty list of "
          + HttpSettings.KNOWN_PROTOCOL_VERSIONS);
    }
    upstreams = List.copyOf(upstreams);
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    plugins = List.copyOf(plugins);
    Objects.requireNonNull(logging, "logging");
  }

  /**
   * One upstream MCP server, from {@code proxy.upstreams[i]}: either a command Gatekit starts (stdio)
   * or a remote server at a {@code url} (Streamable HTTP). Exactly one of {@code command} (non-empty)
   * and {@code url} (non-null) is given; the other is an empty list or null, and so are the settings
   * that belong to the other kind ({@code environment}, {@code directory} of a url upstream; {@code
   * headers} of a command upstream).
   *
   * @param name its name, used for routing ({@code name__tool}) and plugin scopes
   * @param command the program and its arguments, never run through a shell; empty for a url upstream
   * @param environment variables the server gets on top of the inherited ones ({@code env}), or,
   *     with an allow-list, the allowed variables of this process followed by {@code env}
   * @param inheritEnvironment false when {@code env_allowlist} is given: the server then gets only
   *     {@code environment}
   * @param directory the working directory ({@code cwd}), or null for this process's
   * @param restartPolicy from {@code restart_on_failure} and {@code max_restart_attempts}; for a url
   *     upstream, how often a new session is started after the server forgot the old one
   * @param url the Streamable HTTP endpoint ({@code url}, http or https), or null for a command upstream
   * @param headers sent with every request to {@code url} ({@code headers}), variables expanded; the
   *     values are secrets: {@link #toString()} shows them as {@code ***}
   * @param shared {@code shared}: one connection serves every client session (ids translated), for
   *     a server that keeps no state per client; false (the default) gives each session its own
   *     connection, for a command its own process
   */
  public record Upstream(
      String name,
      List<String> command,
      Map<String, String> environment,
      boolean inheritEnvironment,
      @Nullable Path directory,
      RestartPolicy restartPolicy,
      @Nullable URI url,
      Map<String, String> headers,
      boolean shared) {

    /** Copies the collections; checks that exactly one of command and url is given. */
    public Upstream {
      Objects.requireNonNull(name, "name");
      command = List.copyOf(command);
      environment = Map.copyOf(new LinkedHashMap<>(environment));
      Objects.requireNonNull(restartPolicy, "restartPolicy");
      headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
      if (command.isEmpty() == (url == null)) {
        throw new IllegalArgumentException("upstream '" + name + "' needs either a command or a url, not both");
      }
    }

    /** An upstream Gatekit starts with {@code command} (stdio). */
    public Upstream(String name, List<String> command, Map<String, String> environment, boolean inheritEnvironment,
        @Nullable Path directory, RestartPolicy restartPolicy) {
      this(name, command, environment, inheritEnvironment, directory, restartPolicy, null, Map.of(), false);
    }

    /** A remote upstream at {@code url} (Streamable HTTP). */
    public static Upstream remote(String name, URI url, Map<String, String> headers, RestartPolicy restartPolicy) {
      return new Upstream(name, List.of(), Map.of(), true, null, restartPolicy, Objects.requireNonNull(url, "url"), headers,
          false);
    }

    /** Returns a copy that is shared by every client session, or not. */
    public Upstream withShared(boolean shared) {
      return new Upstream(name, command, environment, inheritEnvironment, directory, restartPolicy, url, headers, shared);
    }

    /** Returns whether this is a remote server at a url rather than a command. */
    public boolean isRemote() {
      return url != null;
    }

    /** Shows header names only: their values, and the environment's, are secrets. */
    @Override
    public String toString() {
      return "Upstream[name=" + name
          + (url != null ? ", url=" + url + ", headers=" + headers.keySet() + " (values ***)" : ", command=" + command
              + ", environment=" + environment.keySet() + ", inheritEnvironment=" + inheritEnvironment
              + ", directory=" + directory)
          + ", restartPolicy=" + restartPolicy + ", shared=" + shared + "]";
    }
  }

  /**
   * The {@code logging:} section.
   *
   * @param level trace, debug, info, warn, error or off; null when not set
   * @param file where logs go, or null for stderr
   */
  public record Logging(@Nullable String level, @Nullable Path file) {}

  /** Returns whether the configuration asks for the HTTP front ({@code transport: http}). */
  public boolean servesHttp() {
    return HTTP.equals(transport);
  }

  /** Returns the upstream with this name, or null. */
  public @Nullable Upstream upstream(String name) {
    return upstreams.stream().filter(u -> u.name().equals(name)).findFirst().orElse(null);
  }

  /**
   * Returns a builder of the transport to a command {@code upstream}: {@link
   * ProxyFactory#transportBuilder}. For a url upstream, see {@link ProxyFactory#transport}.
   *
   * @throws IllegalArgumentException for a url upstream
   */
  public StdioTransport.Builder transportBuilder(Upstream upstream) {
    return ProxyFactory.transportBuilder(this, upstream);
  }

  /**
   * Returns a proxy builder with a transport per upstream and the plugins {@code plugins} builds:
   * {@link ProxyFactory#proxyBuilder}. Nothing is started until the proxy connects.
   *
   * @throws ConfigException if {@code plugins} cannot build an entry
   */
  public GatekitProxy.Builder proxyBuilder(PluginWiring plugins) throws ConfigException {
    return ProxyFactory.proxyBuilder(this, plugins);
  }
}
