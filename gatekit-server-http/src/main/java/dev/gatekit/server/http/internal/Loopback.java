package dev.gatekit.server.http.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What counts as this machine's loopback in the headers of a request: the names {@code localhost},
 * {@code 127.0.0.0/8} and {@code [::1]}, with any port. A front bound to the loopback uses it against
 * DNS rebinding (a web page whose name was made to resolve to 127.0.0.1 sends its own name as
 * {@code Host} and {@code Origin}).
 */
public final class Loopback {

  private Loopback() {}

  /** Returns whether a bind address (a name or an IP literal, IPv6 with or without brackets) is the loopback. */
  public static boolean isLoopbackAddress(String bindHost) {
    return isLoopbackName(bindHost.startsWith("[") ? bindHost : bindHost.contains(":") ? "[" + bindHost + "]" : bindHost);
  }

  /**
   * Returns whether a host as written in a {@code Host} header or a URI ({@code localhost},
   * {@code 127.0.0.1}, {@code [::1]}; no port) names the loopback.
   */
  public static boolean isLoopbackName(@Nullable String host) {
    if (host == null) {
      return false;
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1); // the fully qualified "localhost."
    }
    return name.equals("localhost") || name.equals("[::1]") || name.equals("[0:0:0:0:0:0:0:1]")
        || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  /**
   * Returns the host of an {@code Origin} value ({@code scheme://host[:port]}) in lower case, IPv6 in
   * brackets, or {@code null} when it is not an http or https origin.
   */
  public static @Nullable String hostOfOrigin(String origin) {
    try {
      URI uri = new URI(origin);
      String scheme = uri.getScheme();
      if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
        return null;
      }
      return uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return null;
    }
  }
}
