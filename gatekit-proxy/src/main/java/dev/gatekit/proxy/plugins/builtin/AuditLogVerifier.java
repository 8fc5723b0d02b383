package dev.gatekit.proxy.plugins.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatekit.api.JsonRpcCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Checks an {@code audit_jsonl} log (one file, or a rotated set) against its hash chain and, given
 * the public key, the signatures of its checkpoints. The format is described on {@link
 * AuditJsonlProvider}.
 *
 * <p>It reports, each at its file, line and seq: a record edited (its hash is not what the next
 * record's {@code prev} says, or its line is not JSON), records removed, records out of order, a
 * rotated file missing between two given files, a torn line (part of a record, left by a crash), a
 * checkpoint whose signature does not verify or that is unsigned although a key was given, a
 * record of another chain, and a set whose last file does not end with a closing checkpoint (cut,
 * or the gateway crashed) unless {@linkplain #verify(List, PublicKey, boolean) live}. A restart
 * after a crash is a {@linkplain Result#notes() note}, not a problem: the crash record is part of
 * the chain.
 *
 * <p>What it cannot see: without a key, anyone who can write the files can also compute a new
 * chain, so an unsigned log shows accidental damage and careless edits, not a careful forger; the
 * records older than the oldest file given (rotation drops them). Stateless and thread-safe.
 */
public final class AuditLogVerifier {

  private AuditLogVerifier() {}

  /** What is wrong with a log, or worth knowing about it. */
  public enum Kind {
    /** A record's bytes changed: its hash differs from what the next record committed to, or it is not JSON. */
    EDITED,
    /** Records are missing between two records of one file. */
    REMOVED,
    /** A record is not where its seq puts it. */
    REORDERED,
    /** Part of a record: the write was cut by a crash (verify never repairs it). */
    TORN,
    /** A checkpoint's signature does not verify with the given key. */
    BAD_SIGNATURE,
    /** A checkpoint has no signature although a key was given. */
    UNSIGNED,
    /** A rotated file between two given files is missing. */
    MISSING_FILE,
    /** The last file does not end with a closing checkpoint. */
    NOT_CLOSED,
    /** A record names another chain. */
    OTHER_CHAIN,
    /** A file cannot be read, or holds no record. */
    UNREADABLE,
    /** A note, not a problem: the gateway restarted after a crash here. */
    CRASH,
    /** A note, not a problem: the records before this one are in files not given. */
    EARLIER_FILES
  }

  /**
   * One finding.
   *
   * @param line the 1-based line in {@code file}, or 0 for the file as a whole
   * @param seq the seq it concerns (for removed records, the first missing one), or null when unknown
   */
  public record Problem(Path file, long line, @Nullable Long seq, Kind kind, String message) {
    public Problem {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
    }

    /** {@code FILE:LINE: seq S: kind: message}. */
    @Override
    public String toString() {
      return file + ":" + line + ": " + (seq == null ? "" : "seq " + seq + ": ")
          + kind.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + message;
    }
  }

  /**
   * The outcome of {@link #verify}.
   *
   * @param records the records read (checkpoints and crash records included; torn and unparsable lines not)
   * @param chain the chain id, or null when no record names one
   * @param lastCheckpointSeq the seq of the last checkpoint, or null when there is none
   * @param lastCheckpointSigned whether that checkpoint carries a signature
   * @param signaturesChecked whether a key was given, so that signatures were checked
   * @param problems what is wrong, in file and line order; empty for a good log
   * @param notes crashes recovered from and similar facts that are not problems
   */
  public record Result(
      long records,
      @Nullable String chain,
      @Nullable Long lastCheckpointSeq,
      boolean lastCheckpointSigned,
      boolean signaturesChecked,
      List<Problem> problems,
      List<Problem> notes) {
    public Result {
      problems = List.copyOf(problems);
      notes = List.copyOf(notes);
    }

    /** Whether the log has no problem. */
    public boolean ok() {
      return problems.isEmpty();
    }

    /**
     * {@code ok: N records, chain ID, last checkpoint at seq S (signed|unsigned)}, or {@code failed:
     * P problems in N records, chain ID}. A signature that was not checked (no key) reads {@code
     * signed, not checked}.
     */
    public String summary() {
      String checkpoint = lastCheckpointSeq == null ? "no checkpoint"
          : "last checkpoint at seq " + lastCheckpointSeq + " ("
              + (!lastCheckpointSigned ? "unsigned" : signaturesChecked ? "signed" : "signed, not checked") + ")";
      return ok()
          ? "ok: " + records + " records, chain " + chain + ", " + checkpoint
          : "failed: " + problems.size() + (problems.size() == 1 ? " problem" : " problems") + " in " + records
              + " records, chain " + chain + ", " + checkpoint;
    }
  }

  /** Reads an Ed25519 public key in X.509 PEM ({@code -----BEGIN PUBLIC KEY-----}, as {@code openssl pkey -pubout} writes). */
  public static PublicKey readPublicKey(Path pem) throws IOException, GeneralSecurityException {
    return Ed25519Pem.readPublic(pem);
  }

  /**
   * Verifies {@code files}, in the order of their records' seq whatever order they are given in.
   *
   * @param publicKey the key the checkpoints must be signed with, or null to check the chain only
   * @param live whether the log is still being written: its last file may then end without a
   *     closing checkpoint, and a last line without its newline is taken as a write in progress
   */
  public static Result verify(List<Path> files, @Nullable PublicKey publicKey, boolean live) {
    return new Run(publicKey, live).run(files);
  }

  /**
   * One line of a file: a record, or bytes that are not one. Keeps what the checks need, not the
   * line, so that a large log fits in memory (the text only of a signed checkpoint).
   */
  private static final class Line {
    final Path file;
    final int number;
    final boolean terminated;
    /** Whether the line is a JSON object. */
    final boolean object;
    @Nullable Long seq;
    @Nullable String prev;
    @Nullable String hash;
    String type = "";
    @Nullable String chain;
    boolean closing;
    String lastSeq = "";
    boolean tornLine;
    @Nullable String signature;
    @Nullable String text;

    Line(Path file, int number, byte[] bytes, boolean terminated) {
      this.file = file;
      this.number = number;
      this.terminated = terminated;
      JsonNode node = parse(bytes);
      this.object = node != null;
      if (node != null && node.path("seq").isIntegralNumber() && node.path("seq").canConvertToLong()
          && node.path("prev").isTextual()) {
        seq = node.get("seq").asLong();
        prev = node.get("prev").asText();
        hash = HashChain.hashHex(bytes);
        type = node.path("type").asText("");
        chain = node.path("chain").isTextual() ? node.get("chain").asText() : null;
        closing = node.path("closing").asBoolean();
        lastSeq = node.path("last_seq").asText();
        tornLine = node.path("torn_line").asBoolean();
        if (node.path("signature").isTextual()) {
          signature = node.get("signature").asText();
          text = new String(bytes, StandardCharsets.UTF_8);
        }
      }
    }

    boolean isRecord() {
      return seq != null;
    }

    private static @Nullable JsonNode parse(byte[] bytes) {
      try {
        JsonNode node = JsonRpcCodec.get().mapper().readTree(bytes);
        return node != null && node.isObject() ? node : null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  private static final class Run {
    private final @Nullable PublicKey key;
    private final boolean live;
    private final List<Problem> problems = new ArrayList<>();
    private final List<Problem> notes = new ArrayList<>();
    private final Set<String> reported = new LinkedHashSet<>();
    private final Map<Long, Line> bySeq = new HashMap<>();
    private @Nullable String chain;
    private long records;
    private @Nullable Line lastCheckpoint;
    private @Nullable Signature verifier;
    /** The previous record in chain order, and how many lines since it were not records. */
    private @Nullable Line last;
    private int skipped;
    private long maxSeq = Long.MIN_VALUE;
    private final Set<Long> seen = new HashSet<>();
    /** Indexes in the sequence of records whose prev is not the hash of the record before. */
    private final List<Integer> brokenLinks = new ArrayList<>();

    Run(@Nullable PublicKey key, boolean live) {
      this.key = key;
      this.live = live;
    }

    Result run(List<Path> paths) {
      List<FileLines> files = new ArrayList<>();
      for (Path path : paths) {
        try {
          files.add(new FileLines(path, read(path)));
        } catch (IOException e) {
          problem(path, 0, null, Kind.UNREADABLE, "cannot read: " + e.getMessage());
        }
      }
      files.sort(Comparator.comparingLong(FileLines::firstSeq));
      List<Path> order = new ArrayList<>();
      for (FileLines file : files) {
        order.add(file.path);
        if (file.lines.stream().noneMatch(Line::isRecord)) {
          problem(file.path, 0, null, Kind.UNREADABLE, "holds no record");
        }
        for (Line line : file.lines) {
          if (line.isRecord()) {
            bySeq.putIfAbsent(line.seq, line);
          }
        }
      }
      List<Line> sequence = new ArrayList<>();
      for (int f = 0; f < files.size(); f++) {
        check(files.get(f).lines, f == files.size() - 1, sequence);
      }
      resolveBrokenLinks(sequence);
      problems.sort(Comparator.comparingInt((Problem p) -> order.indexOf(p.file())).thenComparingLong(Problem::line));
      return new Result(records, chain, lastCheckpoint == null ? null : lastCheckpoint.seq,
          lastCheckpoint != null && lastCheckpoint.signature != null, key != null, problems, notes);
    }

    private record FileLines(Path path, List<Line> lines) {
      long firstSeq() {
        return lines.stream().filter(Line::isRecord).mapToLong(l -> l.seq).findFirst().orElse(Long.MAX_VALUE);
      }
    }

    private static List<Line> read(Path path) throws IOException {
      byte[] bytes = Files.readAllBytes(path);
      List<Line> lines = new ArrayList<>();
      int start = 0;
      int number = 1;
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '\n') {
          lines.add(new Line(path, number++, Arrays.copyOfRange(bytes, start, i), true));
          start = i + 1;
        }
      }
      if (start < bytes.length) {
        lines.add(new Line(path, number, Arrays.copyOfRange(bytes, start, bytes.length), false));
      }
      return lines;
    }

    private void check(List<Line> file, boolean lastFile, List<Line> sequence) {
      if (file.isEmpty()) {
        return;
      }
      Path path = file.get(0).file;
      boolean firstRecordOfFile = true;
      for (int i = 0; i < file.size(); i++) {
        Line line = file.get(i);
        if (!line.isRecord()) {
          notARecord(file, i, lastFile);
          continue;
        }
        records++;
        String named = line.chain;
        if (named != null) {
          if (chain == null) {
            chain = named;
          } else if (!chain.equals(named)) {
            problem(path, line.number, line.seq, Kind.OTHER_CHAIN, "names chain " + named + ", not " + chain);
          }
        }
        if (firstRecordOfFile && line.number == 1 && named == null) {
          problem(path, 1, line.seq - 1, Kind.REMOVED, "the file does not start with a file's first record: "
              + "records were removed from its start");
        }
        link(line, firstRecordOfFile, sequence);
        switch (line.type) {
          case "checkpoint" -> checkpoint(line);
          case "crash" -> notes.add(new Problem(path, line.number, line.seq, Kind.CRASH,
              "the gateway restarted after a crash; the run before ended at seq " + line.lastSeq));
          default -> { }
        }
        firstRecordOfFile = false;
      }
      if (lastFile && !live && last != null
          && !("checkpoint".equals(last.type) && last.closing)) {
        problem(last.file, last.number, last.seq, Kind.NOT_CLOSED,
            "ends after seq " + last.seq + " without a closing checkpoint: cut, or the gateway crashed");
      }
    }

    private void notARecord(List<Line> file, int i, boolean lastFile) {
      Line line = file.get(i);
      boolean end = i == file.size() - 1;
      if (!line.terminated && end && lastFile && live) {
        notes.add(new Problem(line.file, line.number, null, Kind.TORN, "no newline yet: taken as a write in progress"));
        return;
      }
      Line next = end ? null : file.get(i + 1);
      boolean crashFollows = next != null && "crash".equals(next.type) && next.tornLine;
      if (!line.terminated || crashFollows) {
        problem(line.file, line.number, expectedSeq(), Kind.TORN,
            "part of a record, cut by a crash" + (crashFollows ? " (the next line records the restart)" : ""));
      } else if (line.object) {
        problem(line.file, line.number, expectedSeq(), Kind.EDITED, "a JSON object without seq and prev");
      } else {
        problem(line.file, line.number, expectedSeq(), Kind.EDITED, "not a JSON object");
      }
      skipped++;
    }

    private @Nullable Long expectedSeq() {
      return last == null ? null : last.seq + 1 + skipped;
    }

    /** Checks a record's seq and prev against the record before it. */
    private void link(Line line, boolean firstRecordOfFile, List<Line> sequence) {
      long seq = line.seq;
      if (last == null) {
        if (seq == 1 && !Objects.equals(line.prev, line.chain)) {
          problem(line.file, line.number, seq, Kind.EDITED, "the chain's first record must have prev equal to its chain id");
        } else if (seq != 1 && Objects.equals(line.prev, line.chain)) {
          problem(line.file, line.number, seq, Kind.EDITED, "the chain's first record (prev is the chain id) has seq "
              + seq + ", not 1");
        } else if (seq != 1 && bySeq.containsKey(seq - 1)) {
          problem(line.file, line.number, seq, Kind.REORDERED, "seq " + seq + " comes first, but seq " + (seq - 1)
              + " is later in the log");
        } else if (seq != 1) {
          notes.add(new Problem(line.file, line.number, seq, Kind.EARLIER_FILES,
              "the records before seq " + seq + " are in files not given (rotation drops the oldest)"));
        }
      } else if (skipped > 0) {
        if (seq <= last.seq || seq > last.seq + 1 + skipped) {
          problem(line.file, line.number, seq, Kind.REORDERED, "seq " + seq + " after seq " + last.seq
              + " and " + skipped + " damaged line(s)");
        }
      } else if (seq == last.seq + 1) {
        if (!line.prev.equals(last.hash)) {
          brokenLinks.add(sequence.size()); // which of the two changed is decided with the next link
        }
      } else if (line.prev.equals(last.hash)) {
        problem(line.file, line.number, seq, Kind.EDITED, "seq " + seq + " follows seq " + last.seq
            + " and commits to it: its seq was changed");
        line.seq = last.seq + 1;
      } else if (seq > maxSeq && bySeq.get(seq - 1) != null && bySeq.get(seq - 1) != last
          && bySeq.get(seq - 1).hash.equals(line.prev) && seen.contains(seq - 1)) {
        // back in order after records reported out of order
      } else if (seq > last.seq + 1) {
        boolean allElsewhere = true;
        for (long s = last.seq + 1; s < seq && allElsewhere; s++) {
          allElsewhere = bySeq.containsKey(s);
        }
        if (allElsewhere) {
          problem(line.file, line.number, seq, Kind.REORDERED, "seq " + seq + " follows seq " + last.seq
              + "; seq " + (last.seq + 1) + " is elsewhere");
        } else if (firstRecordOfFile && line.chain != null && line.file != last.file) {
          problem(line.file, line.number, last.seq + 1, Kind.MISSING_FILE, "seq " + (last.seq + 1) + " to "
              + (seq - 1) + " are in no file given: a rotated file between " + last.file.getFileName()
              + " and " + line.file.getFileName() + " is missing");
        } else {
          problem(line.file, line.number, last.seq + 1, Kind.REMOVED, (seq - last.seq - 1)
              + " record(s) removed: seq " + seq + " follows seq " + last.seq);
        }
      } else {
        problem(line.file, line.number, seq, Kind.REORDERED, "seq " + seq + " after seq " + last.seq);
      }
      sequence.add(line);
      advance(line);
    }

    private void advance(Line line) {
      last = line;
      skipped = 0;
      seen.add(line.seq);
      maxSeq = Math.max(maxSeq, line.seq);
    }

    /**
     * A record's {@code prev} that is not the hash of the record before it means that one of the two
     * changed: the record before when the link after this one holds, this one (its own {@code prev}
     * changed) when that link breaks too.
     */
    private void resolveBrokenLinks(List<Line> sequence) {
      Set<Integer> broken = new HashSet<>(brokenLinks);
      for (int i : brokenLinks) {
        Line line = sequence.get(i);
        if (broken.contains(i + 1)) {
          problem(line.file, line.number, line.seq, Kind.EDITED, "its prev is not the hash of the record before it");
        } else {
          Line before = sequence.get(i - 1);
          problem(before.file, before.number, before.seq, Kind.EDITED,
              "its hash is not the prev of the next record (" + line.file.getFileName() + ":" + line.number + ")");
        }
      }
    }

    private void checkpoint(Line line) {
      lastCheckpoint = line;
      if (key == null) {
        return;
      }
      if (line.signature == null) {
        problem(line.file, line.number, line.seq, Kind.UNSIGNED, "a checkpoint without a signature");
        return;
      }
      String text = line.text;
      boolean valid = false;
      try {
        byte[] signatureBytes = Base64.getDecoder().decode(line.signature);
        if (text.endsWith("\"}")) { // the signature is the last member
          byte[] signed = HashChain.signedPart(text);
          if (verifier == null) {
            verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key); // verify() leaves it ready for the next one
          }
          verifier.update(signed);
          valid = verifier.verify(signatureBytes);
        }
      } catch (GeneralSecurityException | IllegalArgumentException | StringIndexOutOfBoundsException e) {
        verifier = null; // its state after a failure is unspecified
        valid = false;
      }
      if (!valid) {
        problem(line.file, line.number, line.seq, Kind.BAD_SIGNATURE,
            "the signature does not verify with the given key: signed with another key, or edited");
      }
    }

    private void problem(Path file, long line, @Nullable Long seq, Kind kind, String message) {
      if (reported.add(file + ":" + line + ":" + kind)) {
        problems.add(new Problem(file, line, seq, kind, message));
      }
    }
  }
}
