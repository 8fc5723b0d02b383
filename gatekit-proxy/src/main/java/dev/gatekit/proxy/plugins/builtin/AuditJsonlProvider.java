package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcCodec;
import dev.gatekit.api.plugin.AuditEvent;
import dev.gatekit.api.plugin.AuditingPlugin;
import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code audit_jsonl}: an auditing plugin that writes one JSON object per line (UTF-8) for every
 * {@link AuditEvent}: the hash chain's members (below), then these members in this order and
 * nothing else:
 *
 * <ul>
 *   <li>{@code time}: {@link AuditEvent#time()}, ISO-8601 in UTC ({@code "2026-01-02T03:04:05Z"});
 *   <li>{@code direction}: {@code "client_to_upstream"} or {@code "upstream_to_client"};
 *   <li>{@code method}: {@link AuditEvent#method()};
 *   <li>{@code upstream}: the upstream's name, or {@code null};
 *   <li>{@code request_id}: the request id with its JSON type (number or string), or {@code null}
 *       for a notification;
 *   <li>{@code outcome}: {@code "allowed"}, {@code "modified"}, {@code "blocked"}, {@code
 *       "completed"}, {@code "failed"} or {@code "timed_out"};
 *   <li>{@code reason}: {@link AuditEvent#reason()}, or {@code null};
 *   <li>{@code duration_ms}: milliseconds (fractional) for a response, absent otherwise;
 *   <li>{@code metadata}: {@link AuditEvent#metadata()} as JSON, keys sorted, absent when empty.
 * </ul>
 *
 * <p>It never writes {@link AuditEvent#message()}, nor any params, result or error of a message:
 * every text it writes comes from the event's own fields, which the gateway has cleared of anything
 * an enabled security filter would block or redact before any auditing plugin sees them. So
 * nothing a filter stopped or redacted reaches the log through this plugin.
 *
 * <h2>The hash chain</h2>
 *
 * <p>Every record begins with {@code seq}, a counter that goes up by one per record and never
 * restarts within a chain, and {@code prev}, the SHA-256 (lowercase hex) of the previous record's
 * line exactly as written, UTF-8 bytes without the newline ({@code sed -n Np FILE | tr -d '\n' |
 * sha256sum} computes it). So changing, removing or reordering any record breaks the chain at that
 * place. The first record of a chain has {@code prev} equal to its {@code chain} member, a random
 * id (32 hex digits); the first record of every file names the {@code chain}, and after a rotation
 * its {@code prev} is the hash of the previous file's last record, so the chain runs across files.
 * A restart continues the chain the files hold. Two kinds of record carry {@code type} (events have
 * none):
 *
 * <ul>
 *   <li>{@code {"seq":..,"prev":..,"type":"checkpoint","chain":..,"closing":false,"time":..,
 *       "signature":..}}: after every {@code checkpoint_every} events, and with {@code closing: true}
 *       when the plugin closes, so a log closed cleanly ends with one. Its {@code prev} is the head it
 *       vouches for. With {@code signing_key_file}, {@code signature} (the last member) is the
 *       Base64 Ed25519 signature of the line without that member ({@code ,"signature":"..."} cut
 *       out): whoever holds the public key can tell that the log up to there, and its end, are as
 *       written. Without a key there is no signature: a checkpoint then proves nothing against
 *       someone who can rewrite the file (they can recompute every hash), only against accidents and
 *       partial edits; and the last record is protected by nothing.
 *   <li>{@code {"seq":..,"prev":..,"type":"crash","chain":..,"time":..,"last_seq":S,"torn_line":b}}:
 *       written first by a start that finds the log not closed by a closing checkpoint; {@code prev}
 *       is the hash of the last complete record (seq {@code S}). A torn last line (part of a record,
 *       no newline) is left as it is, only ended with a newline, and {@code torn_line} is true: the
 *       verifier reports it, nothing repairs it.
 * </ul>
 *
 * <p>Each record is handed to the file in one write, whole line and newline. {@link
 * AuditLogVerifier} (and {@code gatekit audit verify}) checks a log.
 *
 * <p>Options: {@code output_file} (required; a relative path is relative to the folder of the
 * configuration file, or to the working directory for options given in code),
 * {@code max_file_size_mb} (default 10) and {@code backup_count} (default 5): past the size the file
 * is renamed {@code file.1}, {@code file.1} to {@code file.2} and so on, the oldest dropped;
 * {@code signing_key_file} (an Ed25519 private key in PKCS#8 PEM, as {@code openssl genpkey
 * -algorithm ed25519} writes; relative like {@code output_file}; none by default),
 * {@code checkpoint_every} (default 1,000 events), {@code hash_chain} (default true; false writes
 * the event members only, as before the chain, and nothing can be verified);
 * {@code critical} (default false). A non-critical log is written by one writer thread from a queue,
 * so events never interleave and a slow disk never holds up a message; a critical log is written and
 * flushed before {@link AuditingPlugin#audit} returns, so a write failure blocks the message. A file
 * deleted or moved away while open is created again at the next write.
 * {@link Plugin#close()} writes what is queued, then the closing checkpoint, and closes the file.
 */
public final class AuditJsonlProvider implements PluginProvider {

  /** The handler name. */
  public static final String HANDLER = "audit_jsonl";

  /** Creates the provider (found by {@link java.util.ServiceLoader}). */
  public AuditJsonlProvider() {}

  @Override
  public String handler() {
    return HANDLER;
  }

  @Override
  public PluginKind kind() {
    return PluginKind.AUDITING;
  }

  @Override
  public Plugin create(PluginConfig config) {
    Path path = config.filePath("output_file");
    int maxMb = config.integer("max_file_size_mb", 10, 1, 1_000_000);
    int backups = config.integer("backup_count", 5, 0, 1000);
    int checkpointEvery = config.integer("checkpoint_every", 1000, 1, 100_000_000);
    Path keyFile = config.has("signing_key_file") ? config.filePath("signing_key_file") : null;
    boolean chained = config.bool("hash_chain", true);
    boolean critical = config.critical();
    config.rejectUnknownKeys(
        Set.of("output_file", "max_file_size_mb", "backup_count", "checkpoint_every", "signing_key_file", "hash_chain"));
    if (config.problems().isEmpty() && Files.isDirectory(path)) {
      config.problem("output_file", "a file", "\"" + path + "\", a directory");
    }
    PrivateKey signingKey = null;
    if (keyFile != null && config.problems().isEmpty()) {
      try {
        signingKey = Ed25519Pem.readPrivate(keyFile);
      } catch (IOException | GeneralSecurityException e) {
        config.problem("signing_key_file", "an Ed25519 private key in PKCS#8 PEM", "\"" + keyFile + "\" (" + e.getMessage() + ")");
      }
    }
    config.validate();
    Path parent = path.getParent();
    try {
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      config.problem("output_file", "a file in a directory that exists or can be created", "\"" + path + "\" (" + e + ")");
      config.validate();
    }
    RotatingFile file = new RotatingFile(path, (long) maxMb * 1024 * 1024, backups);
    return new AuditJsonl(new ChainedLog(file, signingKey, checkpointEvery, chained), critical);
  }

  /** The plugin. Thread-safe. */
  static final class AuditJsonl implements AuditingPlugin {
    private static final Logger log = LoggerFactory.getLogger(AuditJsonl.class);
    private static final ObjectMapper MAPPER = JsonRpcCodec.get().mapper();
    private static final String STOP = new String("stop");

    private final ChainedLog file;
    private final boolean critical;
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final @Nullable Thread writer;
    private volatile boolean closed;

    AuditJsonl(ChainedLog file, boolean critical) {
      this.file = file;
      this.critical = critical;
      if (critical) {
        this.writer = null;
      } else {
        this.writer = new Thread(this::drain, "gatekit-audit-jsonl");
        this.writer.setDaemon(true);
        this.writer.start();
      }
    }

    @Override
    public boolean critical() {
      return critical;
    }

    @Override
    public void audit(AuditEvent event) {
      String line = format(event);
      if (closed) {
        if (critical) {
          throw new IllegalStateException("the audit log " + file.path() + " is closed");
        }
        log.warn("Audit log {} is closed; dropping an event of {}", file.path(), event.method());
        return;
      }
      if (critical) {
        try {
          file.append(List.of(line));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write the audit log " + file.path(), e);
        }
      } else {
        queue.add(line);
      }
    }

    private void drain() {
      List<String> batch = new ArrayList<>();
      while (true) {
        try {
          batch.add(queue.take());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        queue.drainTo(batch);
        boolean stop = batch.remove(STOP);
        try {
          file.append(batch);
        } catch (IOException | RuntimeException e) {
          log.error("Cannot write {} events to the audit log {}", batch.size(), file.path(), e);
        }
        batch.clear();
        if (stop) {
          return;
        }
      }
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      stopWriter();
      try {
        file.close();
      } catch (IOException | RuntimeException e) {
        log.error("Cannot write the closing checkpoint of the audit log {}", file.path(), e);
      }
    }

    /** Stops writing without a closing checkpoint, as a crash would (for tests). */
    void halt() {
      stopWriter();
      file.halt();
    }

    /** Refuses further events and waits until the writer thread has written what is queued. */
    private void stopWriter() {
      closed = true;
      if (writer != null) {
        queue.add(STOP);
        try {
          writer.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    static String format(AuditEvent event) {
      ObjectNode line = MAPPER.createObjectNode();
      line.put("time", event.time().toString());
      line.put("direction", event.direction().name().toLowerCase(Locale.ROOT));
      line.put("method", event.method());
      line.put("upstream", event.upstream());
      if (event.session() != null) {
        line.put("session", event.session());
      }
      if (event.requestId() != null) {
        line.set("request_id", event.requestId().toJson());
      } else {
        line.putNull("request_id");
      }
      line.put("outcome", event.outcome().name().toLowerCase(Locale.ROOT));
      line.put("reason", event.reason());
      if (event.duration() != null) {
        line.put("duration_ms", event.duration().toNanos() / 1_000_000.0);
      }
      if (!event.metadata().isEmpty()) {
        line.set("metadata", MAPPER.valueToTree(new java.util.TreeMap<>(event.metadata())));
      }
      try {
        return MAPPER.writeValueAsString(line);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public String toString() {
      return HANDLER + "[" + file.path() + "]";
    }
  }
}
