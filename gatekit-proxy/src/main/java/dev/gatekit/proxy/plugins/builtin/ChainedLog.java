package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The hash-chained audit log on a {@link RotatingFile}: frames each record into the chain, writes
 * a checkpoint every {@code checkpointEvery} records and a closing one at {@link #close()}, and
 * continues the chain the file already holds, with a crash record when the previous run did not
 * close it. Thread-safe (one lock).
 */
final class ChainedLog {
  private final RotatingFile file;
  private final @Nullable PrivateKey signingKey;
  private final int checkpointEvery;
  private final boolean chained;
  private @Nullable HashChain chain;
  private int sinceCheckpoint;
  private boolean wroteThisRun;

  /** A log whose records are chained ({@code chained}), or plain lines as written before the chain. */
  ChainedLog(RotatingFile file, @Nullable PrivateKey signingKey, int checkpointEvery, boolean chained) {
    this.file = file;
    this.signingKey = signingKey;
    this.checkpointEvery = checkpointEvery;
    this.chained = chained;
  }

  Path path() {
    return file.path();
  }

  /** Appends one record per JSON object text, checkpoints as due, and flushes. */
  synchronized void append(List<String> objects) throws IOException {
    if (!chained) {
      file.begin();
      for (String object : objects) {
        byte[] line = (object + "\n").getBytes(StandardCharsets.UTF_8);
        if (!file.fits(line.length)) {
          file.rotate();
        }
        file.write(line);
      }
      file.flush();
      return;
    }
    HashChain chain = chain();
    file.begin();
    for (String object : objects) {
      write(first -> chain.frame(object, first));
      if (++sinceCheckpoint >= checkpointEvery) {
        write(first -> chain.checkpoint(false, Instant.now()));
        sinceCheckpoint = 0;
      }
    }
    file.flush();
  }

  /** Writes the closing checkpoint (when this run wrote anything) and closes the file. */
  synchronized void close() throws IOException {
    try {
      if (chained && (wroteThisRun || chain == null && needsCrashRecord())) {
        HashChain chain = chain();
        file.begin();
        write(first -> chain.checkpoint(true, Instant.now()));
        file.flush();
      }
    } finally {
      file.close();
    }
  }

  /** Stops without a closing checkpoint, as a crash would (for tests). */
  synchronized void halt() {
    file.close();
  }

  private interface Framer {
    byte[] frame(boolean firstInFile);
  }

  /** Writes one framed record, rotating first when it does not fit; a file's first record names the chain. */
  private void write(Framer framer) throws IOException {
    boolean first = file.isEmpty();
    byte[] line = framer.frame(first);
    if (!file.fits(line.length)) {
      file.rotate();
      line = framer.frame(true);
    }
    file.write(line);
    chain.commit(line);
    wroteThisRun = true;
  }

  private boolean needsCrashRecord() throws IOException {
    Tail tail = Tail.of(source());
    return tail != null && tail.chainId != null && !tail.closed;
  }

  /** The chain, continued from the files at the first use; writes the crash record when one is due. */
  private HashChain chain() throws IOException {
    if (chain != null) {
      return chain;
    }
    Path source = source();
    Tail tail = Tail.of(source);
    if (tail != null && tail.missingNewline && source.equals(file.path())) {
      // End the torn line so the next record stands on a line of its own; its bytes stay as they are.
      Files.write(source, new byte[] {'\n'}, StandardOpenOption.APPEND);
    }
    if (tail == null || tail.chainId == null || tail.last == null) {
      chain = HashChain.start(signingKey);
      if (tail != null && tail.torn) {
        HashChain started = chain;
        write(first -> started.crash(Instant.now(), null, true));
      }
    } else {
      chain = HashChain.resume(tail.chainId, tail.lastSeq, tail.last, signingKey);
      if (!tail.closed) {
        HashChain resumed = chain;
        write(first -> resumed.crash(Instant.now(), tail.lastSeq, tail.torn));
      }
    }
    return chain;
  }

  /** The file whose last record the chain continues from: the current one, or the newest backup when it is empty. */
  private @Nullable Path source() throws IOException {
    if (Files.isRegularFile(file.path()) && Files.size(file.path()) > 0) {
      return file.path();
    }
    Path backup = file.backup(1);
    return Files.isRegularFile(backup) && Files.size(backup) > 0 ? backup : null;
  }

  /** What the end of an existing log says: its last complete record, whether a torn line follows, and the chain id. */
  static final class Tail {
    @Nullable byte[] last;
    long lastSeq;
    @Nullable String chainId;
    /** The file does not end with a newline. */
    boolean missingNewline;
    /** The file ends with part of a record. */
    boolean torn;
    boolean closed;

    static @Nullable Tail of(@Nullable Path file) throws IOException {
      if (file == null) {
        return null;
      }
      Tail tail = new Tail();
      try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
        long size = in.length();
        byte[] end = readLastLines(in, size);
        int stop = end.length;
        if (end[stop - 1] != '\n') {
          int start = lastIndexOf(end, stop) + 1;
          JsonNode whole = parse(Arrays.copyOfRange(end, start, stop));
          if (whole != null && whole.has("seq")) {
            // Only the newline is missing: the record itself is whole.
            tail.missingNewline = true;
            tail.last = Arrays.copyOfRange(end, start, stop);
            tail.lastSeq = whole.get("seq").asLong();
            tail.chainId = chainId(in, whole);
            tail.closed = false;
            return tail;
          }
          tail.missingNewline = true;
          tail.torn = true;
          stop = start - 1;
        } else {
          stop--;
        }
        // stop is now the index of the newline that ends the last complete line
        if (stop <= 0) {
          return tail;
        }
        int start = lastIndexOf(end, stop) + 1;
        byte[] line = Arrays.copyOfRange(end, start, stop);
        JsonNode record = parse(line);
        if (record == null || !record.has("seq") || !record.has("prev")) {
          return tail;
        }
        tail.last = line;
        tail.lastSeq = record.get("seq").asLong();
        tail.chainId = chainId(in, record);
        tail.closed = !tail.torn && "checkpoint".equals(record.path("type").asText())
            && record.path("closing").asBoolean();
      }
      return tail;
    }

    /** The chain id: the record's own, or that of the file's first record. */
    private static @Nullable String chainId(RandomAccessFile in, JsonNode record) throws IOException {
      if (record.hasNonNull("chain")) {
        return record.get("chain").asText();
      }
      in.seek(0);
      String first = in.readLine();
      JsonNode node = first == null ? null : parse(first.getBytes(StandardCharsets.ISO_8859_1));
      return node != null && node.hasNonNull("chain") ? node.get("chain").asText() : null;
    }

    /** The end of the file, enough of it to hold its last two newlines (or all of it). */
    private static byte[] readLastLines(RandomAccessFile in, long size) throws IOException {
      int chunk = 64 * 1024;
      long from = size;
      byte[] end = new byte[0];
      while (from > 0) {
        int n = (int) Math.min(chunk, from);
        from -= n;
        byte[] bytes = new byte[n + end.length];
        in.seek(from);
        in.readFully(bytes, 0, n);
        System.arraycopy(end, 0, bytes, n, end.length);
        end = bytes;
        if (count(end, (byte) '\n') >= 3) {
          break;
        }
        chunk = Math.min(chunk * 2, 16 * 1024 * 1024);
      }
      return end;
    }

    private static int count(byte[] bytes, byte b) {
      int n = 0;
      for (byte x : bytes) {
        if (x == b) {
          n++;
        }
      }
      return n;
    }

    /** The last newline before index {@code before}, or -1. */
    private static int lastIndexOf(byte[] bytes, int before) {
      for (int i = before - 1; i >= 0; i--) {
        if (bytes[i] == '\n') {
          return i;
        }
      }
      return -1;
    }

    private static @Nullable JsonNode parse(byte[] line) {
      try {
        JsonNode node = JsonRpcCodec.get().mapper().readTree(line);
        return node != null && node.isObject() ? node : null;
      } catch (IOException e) {
        return null;
      }
    }
  }
}
