package dev.gatekit.benchmarks;

import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.proxy.GatekitProxy;
import dev.gatekit.proxy.plugins.PluginEntry;
import dev.gatekit.proxy.plugins.PluginLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

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
 * or, {@link #auditOnly}, {@code audit_jsonl} alone in one of three forms. {@link #close()}
 * deletes the temporary directory; close the proxy first.
 */
final class BuiltinPlugins implements AutoCloseable {

  private final Path directory;
  private final @Nullable String audit;

  private BuiltinPlugins(Path directory, @Nullable String audit) {
    this.directory = directory;
    this.audit = audit;
  }

  /** The four plugins; makes the temporary directory of the audit log. */
  static BuiltinPlugins create() {
    return create(null);
  }

  /**
   * {@code audit_jsonl} alone, {@code audit} being {@code plain} ({@code hash_chain: false}, the
   * records as before the chain), {@code chained} (the default: seq, prev, an unsigned checkpoint
   * every 1,000 records) or {@code signed} (chained, with a fresh Ed25519 key as {@code
   * signing_key_file}: a signed checkpoint every 1,000 records).
   */
  static BuiltinPlugins auditOnly(String audit) {
    if (!List.of("plain", "chained", "signed").contains(audit)) {
      throw new IllegalArgumentException("audit must be plain, chained or signed, was " + audit);
    }
    return create(audit);
  }

  private static BuiltinPlugins create(@Nullable String audit) {
    try {
      return new BuiltinPlugins(Files.createTempDirectory("gatekit-benchmarks-audit"), audit);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Builds the plugins for a proxy whose only upstream is {@code upstream}, and adds them. */
  GatekitProxy.Builder addTo(GatekitProxy.Builder builder, String upstream) {
    if (audit != null) {
      return addAuditTo(builder, upstream, audit);
    }
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

  /** Adds {@code audit_jsonl} alone, as {@link #auditOnly} describes. */
  private GatekitProxy.Builder addAuditTo(GatekitProxy.Builder builder, String upstream, String audit) {
    Map<String, Object> config = new HashMap<>();
    config.put("output_file", directory.resolve("audit.jsonl").toString());
    switch (audit) {
      case "plain" -> config.put("hash_chain", false);
      case "chained" -> { }
      case "signed" -> config.put("signing_key_file", writeSigningKey(directory).toString());
      default -> throw new IllegalArgumentException("audit must be plain, chained or signed, was " + audit);
    }
    List<PluginEntry> entries =
        List.of(new PluginEntry(PluginKind.AUDITING, PluginEntry.GLOBAL, "audit_jsonl", config,
            "plugins.auditing._global[0]", 0));
    return PluginLoader.addTo(builder, PluginLoader.fromClassPath().load(entries, Set.of(upstream)));
  }

  /** Writes a fresh Ed25519 private key, PKCS#8 PEM, as {@code audit-key.pem} in {@code directory}. */
  static Path writeSigningKey(Path directory) {
    try {
      PrivateKey key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate();
      Path file = directory.resolve("audit-key.pem");
      Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder().encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
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
