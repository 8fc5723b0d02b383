package dev.gatekit.benchmarks;

import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The four built-in plugins, configured as a configuration file would configure them and built the
 * same way, through {@link PluginLoader} over the providers {@link java.util.ServiceLoader} finds:
 *
 * <pre>
 * plugins:
 *   middleware:
 *     upstream: [{handler: tool_manager, config: {tools: [{tool: echo}, {tool: sleep}]}}]
 *   security:
 *     _global:
 *       - {handler: basic_secrets_filter, config: {action: redact}}
 *       - {handler: basic_pii_filter, config: {action: redact}}
 *   auditing:
 *     _global: [{handler: audit_jsonl, config: {output_file: &lt;temporary directory&gt;/audit.jsonl}}]
 * </pre>
 *
 * {@link #close()} deletes the temporary directory; close the proxy first.
 */
final class BuiltinPlugins implements AutoCloseable {

  private final Path directory;

  private BuiltinPlugins(Path directory) {
    this.directory = directory;
  }

  /** Makes the temporary directory of the audit log. */
  static BuiltinPlugins create() {
    try {
      return new BuiltinPlugins(Files.createTempDirectory("gatekit-benchmarks-audit"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds the plugins for a proxy whose only upstream is {@code upstream}, and adds them. */
  GatekitProxy.Builder addTo(GatekitProxy.Builder builder, String upstream) {
    String auditLog = directory.resolve("audit.jsonl").toString();
    List<PluginEntry> entries =
        List.of(
            new PluginEntry(
                PluginKind.MIDDLEWARE,
                upstream,
                "tool_manager",
                Map.of("tools", List.of(Map.of("tool", "echo"), Map.of("tool", "sleep"))),
                "plugins.middleware." + upstream + "[0]",
                0),
            new PluginEntry(
                PluginKind.SECURITY,
                PluginEntry.GLOBAL,
                "basic_secrets_filter",
                Map.of("action", "redact"),
                "plugins.security._global[0]",
                1),
            new PluginEntry(
                PluginKind.SECURITY,
                PluginEntry.GLOBAL,
                "basic_pii_filter",
                Map.of("action", "redact"),
                "plugins.security._global[1]",
                2),
            new PluginEntry(
                PluginKind.AUDITING,
                PluginEntry.GLOBAL,
                "audit_jsonl",
                Map.of("output_file", auditLog),
                "plugins.auditing._global[0]",
                3));
    return PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(entries, Set.of(upstream)));
  }

  /** Deletes the audit log and its directory. */
  @Override
  public void close() {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
