package dev.gatekit.cli;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.prometheus.PrometheusHttpServer;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The command's metrics and traces: the OpenTelemetry SDK, configured from the standard {@code
 * OTEL_*} environment variables (and {@code otel.*} system properties), installed as the global
 * instance that every {@code GatekitProxy} reports to.
 *
 * <p>Without {@code OTEL_EXPORTER_OTLP_ENDPOINT} (or a signal's own endpoint or exporter variable)
 * nothing is exported: the exporters default to {@code none}, not to an OTLP endpoint on localhost
 * that would fill the log with connection errors. {@code --metrics HOST:PORT} adds a Prometheus
 * scrape endpoint ({@code /metrics}); the HTTP front serves the same text at {@code /metrics} on its
 * own port ({@link #frontScrape}). When none of these is asked for, no SDK is installed at all and the
 * instrumentation stays the API's no-op. When no trace is exported (no OTLP endpoint, or {@code
 * OTEL_TRACES_EXPORTER=none}), the tracer stays the API's no-op too: no span is made to be dropped.
 */
final class Telemetry {

  /** The variables that ask for an export; any one of them keeps the SDK's default (OTLP). */
  private static final List<String> EXPORT_VARIABLES = List.of(
      "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
      "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER");

  /** Where the HTTP front serves the metrics. */
  static final String FRONT_PATH = "/metrics";

  /** The content type of the Prometheus text format. */
  static final String TEXT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

  /** The Prometheus text of the moment, for the HTTP front; null while it has none to serve. */
  private static volatile @Nullable Supplier<String> frontScrape;

  private Telemetry() {}

  /**
   * Returns what gives the Prometheus text of the metrics at each call, for the HTTP front to serve at
   * {@link #FRONT_PATH}, or {@code null} when {@link #install} was not told of a front.
   */
  static @Nullable Supplier<String> frontScrape() {
    return frontScrape;
  }

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
   * Installs the SDK as the global OpenTelemetry when an export, {@code metrics} or an HTTP {@code
   * front} asks for it; it closes (flushing what is pending) when the JVM exits. Returns false, after
   * saying why on {@code err}, when it cannot (a bad variable, the metrics port in use).
   */
  static boolean install(@Nullable InetSocketAddress metrics, boolean front, PrintStream err) {
    boolean exporting = EXPORT_VARIABLES.stream().anyMatch(name -> present(setting(name)));
    if (!exporting && metrics == null && !front) {
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
    PrometheusMetricReader scrape = front ? PrometheusMetricReader.create() : null;
    try {
      sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> defaults(exporting))
          .addMeterProviderCustomizer((meters, config) -> {
            if (metrics != null) {
              meters.registerMetricReader(PrometheusHttpServer.builder()
                  .setHost(metrics.getHostString()).setPort(metrics.getPort()).build());
            }
            return scrape == null ? meters : meters.registerMetricReader(scrape);
          })
          .build() // with the SDK's own shutdown hook, which flushes what is pending at exit
          .getOpenTelemetrySdk();
    } catch (RuntimeException e) {
      err.println("gatekit: cannot set up metrics and traces: " + e.getMessage()
          + (e.getCause() != null ? " (" + e.getCause().getMessage() + ")" : ""));
      return false;
    }
    boolean tracing = exporting && !"none".equalsIgnoreCase(String.valueOf(setting("OTEL_TRACES_EXPORTER")).trim());
    try {
      GlobalOpenTelemetry.set(tracing ? sdk : withoutTraces(sdk));
    } catch (IllegalStateException alreadySet) {
      sdk.close(); // an earlier run in this JVM (or the embedder) chose already, and keeps its choice
      return true;
    }
    frontScrape = scrape == null ? null : () -> text(scrape);
    return true;
  }

  /** The SDK's metrics and propagators with the API's no-op tracer: nothing would export a span. */
  private static OpenTelemetry withoutTraces(OpenTelemetrySdk sdk) {
    return new OpenTelemetry() {
      @Override
      public TracerProvider getTracerProvider() {
        return TracerProvider.noop();
      }

      @Override
      public MeterProvider getMeterProvider() {
        return sdk.getMeterProvider();
      }

      @Override
      public ContextPropagators getPropagators() {
        return sdk.getPropagators();
      }
    };
  }

  /** Collects the metrics now and writes them in the Prometheus text format. */
  private static String text(PrometheusMetricReader scrape) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, scrape.collect());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Returns an {@code OTEL_*} variable, or else its {@code otel.*} system property, or null. */
  private static @Nullable String setting(String variable) {
    String value = System.getenv(variable);
    return present(value) ? value : System.getProperty(variable.toLowerCase(java.util.Locale.ROOT).replace('_', '.'));
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
