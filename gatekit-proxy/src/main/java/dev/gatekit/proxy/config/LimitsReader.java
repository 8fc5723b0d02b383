package dev.gatekit.proxy.config;

import dev.gatekit.api.OverflowPolicy;
import dev.gatekit.api.TransportOptions;
import dev.gatekit.proxy.StdioServer;
import dev.gatekit.transport.stdio.StdioTransport;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the timeouts and limits of the {@code proxy:} section: {@code timeouts}, {@code
 * max_requests_in_flight}, {@code overflow_policy}, {@code max_queued_requests} and {@code
 * max_line_length} and {@code max_client_queue_mb}. What is absent or wrong keeps its default;
 * what is wrong is a problem.
 */
final class LimitsReader {

  private static final Set<String> TIMEOUT_KEYS = Set.of("connection_seconds", "request_seconds");

  /**
   * The limits every upstream gets.
   *
   * @param options the request timeout, the in-flight limit and the overflow policy
   * @param connectionTimeout how long an upstream may take to answer {@code initialize}
   * @param maxLineLength the longest line accepted from an upstream and from the client
   * @param maxClientQueueBytes what may wait to be written to the client before the gateway stops
   *     reading it
   */
  record Limits(TransportOptions options, Duration connectionTimeout, int maxLineLength, long maxClientQueueBytes) {

    /** Returns the limits of a configuration that sets none. */
    static Limits defaults() {
      return new Limits(TransportOptions.defaults(), GatekitConfig.DEFAULT_CONNECTION_TIMEOUT,
          StdioTransport.DEFAULT_MAX_LINE_LENGTH, StdioServer.DEFAULT_MAX_QUEUED_BYTES);
    }
  }

  private LimitsReader() {}

  /** Reads the limits from {@code proxy}, a mapping. */
  static Limits read(ConfigNode proxy) {
    TransportOptions.Builder builder = TransportOptions.builder();
    Duration connection = GatekitConfig.DEFAULT_CONNECTION_TIMEOUT;
    ConfigNode timeouts = proxy.get("timeouts");
    if (!timeouts.isMissing()) {
      if (!timeouts.isMapping()) {
        timeouts.expected("a mapping with connection_seconds and request_seconds");
      } else {
        timeouts.rejectUnknownKeys(TIMEOUT_KEYS);
        Duration request = timeouts.get("request_seconds").seconds();
        if (request != null) {
          builder.requestTimeout(request);
        }
        Duration c = timeouts.get("connection_seconds").seconds();
        if (c != null) {
          connection = c;
        }
      }
    }
    Integer maxInFlight = proxy.get("max_requests_in_flight").integer(1);
    if (maxInFlight != null) {
      builder.maxInFlight(maxInFlight);
    }
    ConfigNode policy = proxy.get("overflow_policy");
    if (!policy.isMissing()) {
      String value = policy.string();
      if (value != null) {
        switch (value.toLowerCase(Locale.ROOT)) {
          case "reject" -> builder.overflowPolicy(OverflowPolicy.REJECT);
          case "queue" -> builder.overflowPolicy(OverflowPolicy.QUEUE);
          default -> policy.problem("reject or queue", ConfigNode.quote(value));
        }
      }
    }
    Integer queued = proxy.get("max_queued_requests").integer(0);
    if (queued != null) {
      builder.maxQueued(queued);
    }
    Integer line = proxy.get("max_line_length").integer(1024);
    int maxLineLength = line != null ? line : StdioTransport.DEFAULT_MAX_LINE_LENGTH;
    Integer queueMb = proxy.get("max_client_queue_mb").integer(1);
    long clientQueue = queueMb != null ? queueMb * 1024L * 1024L : StdioServer.DEFAULT_MAX_QUEUED_BYTES;
    return new Limits(builder.build(), connection, maxLineLength, clientQueue);
  }
}
