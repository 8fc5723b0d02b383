package dev.gatekit.cli;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The command's metrics and traces: the OpenTelemetry SDK, configured from the standard {@code
 * OTEL_*} environment variables (and {@code otel.*} system properties), installed as the global
 * instance that every {@code GatekitProxy} reports to.
 *
 * <p>Without {@code OTEL_EXPORTER_OTLP_ENDPOINT} (or a signal's own endpoint or exporter variable)
 * nothing is exported: the exporters default to {@code none}, not to an OTLP endpoint on localhost
 * that would fill the log with connection errors. {@code --metrics HOST:PORT} adds a Prometheus
 * scrape endpoint ({@code /metrics}). When neither is asked for, no SDK is installed at all and the
 * instrumentation stays the API's no-op.
 */
final class Telemetry {

  /** The variables that ask for an export; any one of them keeps the SDK's default (OTLP). */
  private static final List<String> EXPORT_VARIABLES = List.of(
      "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
      "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER");

  private Telemetry() {}

  /**
   * Returns the address of {@code --metrics HOST:PORT} ({@code [::1]:9464} for IPv6), or {@code null}
   * when {@code value} is not one.
   */
  static @Nullable InetSocketAddress address(String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      return null;
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      return port < 0 || port > 65_535 || host.isEmpty() ? null : InetSocketAddress.createUnresolved(host, port);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Installs the SDK as the global OpenTelemetry when an export or {@code metrics} asks for it; it
   * closes (flushing what is pending) when the JVM exits. Returns false, after saying why on
   * {@code err}, when it cannot (a bad variable, the metrics port in use).
   */
  static boolean install(@Nullable InetSocketAddress metrics, PrintStream err) {
    Map<String, String> env = System.getenv();
    boolean exporting = EXPORT_VARIABLES.stream().anyMatch(name -> present(env.get(name))
        || present(System.getProperty(name.toLowerCase(java.util.Locale.ROOT).replace('_', '.'))));
    if (!exporting && metrics == null) {
      // Nothing asked for: the API's no-op, said once here so that GlobalOpenTelemetry.get() does not
      // look for the autoconfiguration on the class path and log that it found it disabled.
      try {
        GlobalOpenTelemetry.set(io.opentelemetry.api.OpenTelemetry.noop());
      } catch (IllegalStateException alreadySet) {
        // an earlier run in this JVM (or the embedder) chose already
      }
      return true;
    }
    OpenTelemetrySdk sdk;
    try {
      sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> defaults(exporting))
          .addMeterProviderCustomizer((meters, config) -> metrics == null ? meters
              : meters.registerMetricReader(PrometheusHttpServer.builder()
                  .setHost(metrics.getHostString()).setPort(metrics.getPort()).build()))
          .build() // with the SDK's own shutdown hook, which flushes what is pending at exit
          .getOpenTelemetrySdk();
    } catch (RuntimeException e) {
      err.println("gatekit: cannot set up metrics and traces: " + e.getMessage()
          + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
      return false;
    }
    GlobalOpenTelemetry.set(sdk);
    return true;
  }

  /** Defaults below the environment: the service's name, and no exporter unless one is asked for. */
  private static Map<String, String> defaults(boolean exporting) {
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.service.name", "gatekit");
    if (!exporting) {
      defaults.put("otel.traces.exporter", "none");
      defaults.put("otel.metrics.exporter", "none");
      defaults.put("otel.logs.exporter", "none");
    }
    return defaults;
  }

  private static boolean present(@Nullable String value) {
    return value != null && !value.isBlank();
  }
}
