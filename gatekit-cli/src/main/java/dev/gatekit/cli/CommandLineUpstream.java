package dev.gatekit.cli;

import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.transport.http.HttpTransport;
import dev.gatekit.transport.stdio.StdioTransport;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one upstream of {@code gatekit -- COMMAND} or {@code gatekit -- URL [--header ...]}: reading
 * the words of the command line, and the proxy in front of it. Every client session gets its own
 * connection to it (for a command, its own process), as an unshared upstream of a configuration does.
 */
final class CommandLineUpstream {

  private CommandLineUpstream() {}

  /** Whether {@code word} is meant as an http or https URL: it starts with {@code http://} or {@code https://}. */
  static boolean isHttpUrl(String word) {
    String lower = word.toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** The URL of {@code gatekit -- URL}; an IllegalArgumentException with a usage message when it is not valid. */
  static URI remoteUrl(String word) {
    URI url;
    try {
      url = new URI(word);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("-- URL needs an http or https URL such as https://example.com/mcp: " + e.getReason());
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("-- URL needs an http or https URL with a host, such as https://example.com/mcp");
    }
    return url;
  }

  /**
   * Adds {@code --header 'Name: value'} to {@code headers}; returns the problem, which never quotes
   * the value, or null.
   */
  static @Nullable String addHeader(String header, Map<String, String> headers) {
    int colon = header.indexOf(':');
    String name = colon < 0 ? "" : header.substring(0, colon).strip();
    if (name.isEmpty() || !name.chars().allMatch(c -> c > ' ' && c < 127)) {
      return "--header needs 'Name: value', with a header name before the colon";
    }
    String value = header.substring(colon + 1).strip();
    try {
      // HttpTransport's own check; its message names the header, never the value.
      HttpTransport.builder(URI.create("http://localhost/")).header(name, value);
    } catch (IllegalArgumentException e) {
      return "--header: " + e.getMessage();
    }
    headers.put(name, value);
    return null;
  }

  /** A proxy in front of the server {@code command} starts, named {@code name} or after the program. */
  static GatekitProxy command(List<String> command, @Nullable String name) {
    String upstreamName = name != null ? name : upstreamName(StdioTransport.builder(command).build().name());
    return GatekitProxy.builder()
        .upstreamPerSession(upstreamName, () -> StdioTransport.builder(command).name(upstreamName).build())
        .build();
  }

  /**
   * A proxy in front of the remote server at {@code url}, named {@code name} or after its host.
   *
   * @throws IllegalArgumentException if the transport refuses the url or a header
   */
  static GatekitProxy remote(URI url, Map<String, String> headers, @Nullable String name) {
    String upstreamName = name != null ? name : upstreamName(url.getHost());
    HttpTransport.builder(url).name(upstreamName).headers(headers); // checks, before any session
    return GatekitProxy.builder()
        .upstreamPerSession(upstreamName, () -> HttpTransport.builder(url).name(upstreamName).headers(headers).build())
        .build();
  }

  /** A name the proxy accepts: letters, digits, '_', '.', '-', no "__"; "upstream" when nothing is left. */
  private static String upstreamName(String raw) {
    String name = raw.replaceAll("[^A-Za-z0-9_.-]", "_").replace("__", "_");
    return name.isEmpty() ? "upstream" : name;
  }
}
