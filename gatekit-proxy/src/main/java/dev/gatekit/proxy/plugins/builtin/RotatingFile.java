package dev.gatekit.proxy.plugins.builtin;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * An append-only file that rotates by size: {@code file} becomes {@code file.1}, {@code file.1}
 * becomes {@code file.2} and so on, the oldest past {@code backups} dropped. Opened at the first
 * use; {@link #begin()} before each batch notices a file deleted or moved away. Each line is handed
 * to the file in one write, whole. Not thread-safe: its owner serialises.
 */
final class RotatingFile {
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

  Path path() {
    return path;
  }

  /** The rotated file {@code i} (1 is the newest). */
  Path backup(int i) {
    return path.resolveSibling(path.getFileName() + "." + i);
  }

  /**
   * Opens the file for a batch of writes: reopens it when it was deleted or moved away since the
   * last batch (rather than writing into an unlinked file), opens it when it is not open.
   */
  void begin() throws IOException {
    if (out != null && !Files.exists(path)) {
      close();
    }
    open();
  }

  /** Whether the current file holds nothing yet. */
  boolean isEmpty() throws IOException {
    open();
    return size == 0;
  }

  /** Whether a line of {@code bytes} still fits in the current file. */
  boolean fits(int bytes) throws IOException {
    open();
    return size == 0 || size + bytes <= maxBytes;
  }

  /** Appends one whole line (its bytes end with a newline) to the current file. */
  void write(byte[] line) throws IOException {
    open();
    out.write(line);
    size += line.length;
  }

  void flush() throws IOException {
    if (out != null) {
      out.flush();
    }
  }

  private void open() throws IOException {
    if (out == null) {
      out = new BufferedOutputStream(Files.newOutputStream(path,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
      size = Files.size(path);
    }
  }

  /** Moves the current file to {@code file.1} (and so on) and starts an empty one. */
  void rotate() throws IOException {
    close();
    if (backups == 0) {
      Files.deleteIfExists(path);
    } else {
      Files.deleteIfExists(backup(backups));
      for (int i = backups - 1; i >= 1; i--) {
        if (Files.exists(backup(i))) {
          Files.move(backup(i), backup(i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      if (Files.exists(path)) {
        Files.move(path, backup(1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    size = 0;
    out = new BufferedOutputStream(Files.newOutputStream(path,
        StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), 64 * 1024);
  }

  void close() {
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
