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
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 * {@link AuditEvent}, with these members in this order and nothing else:
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
 * <p>Options: {@code output_file} (required; a relative path is relative to the folder of the
 * configuration file, or to the working directory for options given in code),
 * {@code max_file_size_mb} (default 10) and {@code backup_count} (default 5): past the size the file
 * is renamed {@code file.1}, {@code file.1} to {@code file.2} and so on, the oldest dropped;
 * {@code critical} (default false). A non-critical log is written by one writer thread from a queue,
 * so events never interleave and a slow disk never holds up a message; a critical log is written and
 * flushed before {@link AuditingPlugin#audit} returns, so a write failure blocks the message. A file
 * deleted or moved away while open is created again at the next write.
 * {@link Plugin#close()} writes what is queued and closes the file.
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
    boolean critical = config.critical();
    config.rejectUnknownKeys(Set.of("output_file", "max_file_size_mb", "backup_count"));
    if (config.problems().isEmpty() && Files.isDirectory(path)) {
      config.problem("output_file", "a file", "\"" + path + "\", a directory");
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
    return new AuditJsonl(new RotatingFile(path, (long) maxMb * 1024 * 1024, backups), critical);
  }

  /** The plugin. Thread-safe. */
  static final class AuditJsonl implements AuditingPlugin {
    private static final Logger log = LoggerFactory.getLogger(AuditJsonl.class);
    private static final ObjectMapper MAPPER = JsonRpcCodec.get().mapper();
    private static final String STOP = new String("stop");

    private final RotatingFile file;
    private final boolean critical;
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final @Nullable Thread writer;
    private volatile boolean closed;

    AuditJsonl(RotatingFile file, boolean critical) {
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
          throw new IllegalStateException("the audit log " + file.path + " is closed");
        }
        log.warn("Audit log {} is closed; dropping an event of {}", file.path, event.method());
        return;
      }
      if (critical) {
        try {
          file.write(List.of(line));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write the audit log " + file.path, e);
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
          file.write(batch);
        } catch (IOException e) {
          log.error("Cannot write {} events to the audit log {}", batch.size(), file.path, e);
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
      closed = true;
      if (writer != null) {
        queue.add(STOP);
        try {
          writer.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      file.close();
    }

    static String format(AuditEvent event) {
      ObjectNode line = MAPPER.createObjectNode();
      line.put("time", event.time().toString());
      line.put("direction", event.direction().name().toLowerCase(Locale.ROOT));
      line.put("method", event.method());
      line.put("upstream", event.upstream());
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
      return HANDLER + "[" + file.path + "]";
    }
  }

  /** An append-only file that rotates by size. Opened at the first write. */
  static final class RotatingFile {
    private final Path path;
    private final long maxBytes;
    private final int backups;
    private @Nullable OutputStream out;
    private long size;

    RotatingFile(Path path, long maxBytes, int backups) {
      this.path = path;
      this.maxBytes = maxBytes;
      this.backups = backups;
    }

    synchronized void write(List<String> lines) throws IOException {
      if (out != null && !Files.exists(path)) {
        // Deleted or moved away by someone else: reopen rather than write into an unlinked file.
        closeQuietly();
      }
      for (String line : lines) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        if (out != null && size > 0 && size + bytes.length > maxBytes) {
          rotate();
        }
        if (out == null) {
          out = new java.io.BufferedOutputStream(Files.newOutputStream(path,
              StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
          size = Files.size(path);
          if (size > 0 && size + bytes.length > maxBytes) {
            rotate();
            out = new java.io.BufferedOutputStream(Files.newOutputStream(path,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
          }
        }
        out.write(bytes);
        size += bytes.length;
      }
      if (out != null) {
        out.flush();
      }
    }

    private void rotate() throws IOException {
      if (out != null) {
        out.close();
        out = null;
      }
      if (backups == 0) {
        Files.deleteIfExists(path);
      } else {
        Files.deleteIfExists(backup(backups));
        for (int i = backups - 1; i >= 1; i--) {
          if (Files.exists(backup(i))) {
            Files.move(backup(i), backup(i + 1), StandardCopyOption.REPLACE_EXISTING);
          }
        }
        Files.move(path, backup(1), StandardCopyOption.REPLACE_EXISTING);
      }
      size = 0;
      out = new java.io.BufferedOutputStream(Files.newOutputStream(path,
          StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 64 * 1024);
    }

    private Path backup(int i) {
      return path.resolveSibling(path.getFileName() + "." + i);
    }

    private void closeQuietly() {
      try {
        if (out != null) {
          out.close();
        }
      } catch (IOException e) {
        LoggerFactory.getLogger(RotatingFile.class).warn("Closing the audit log {} failed", path, e);
      }
      out = null;
    }

    synchronized void close() {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          LoggerFactory.getLogger(RotatingFile.class).warn("Closing the audit log {} failed", path, e);
        }
        out = null;
      }
    }
  }
}
