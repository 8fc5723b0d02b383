package dev.gatekit.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.proxy.plugins.builtin.AuditLogVerifier;
import dev.gatekit.proxy.plugins.builtin.AuditLogVerifier.Problem;
import dev.gatekit.proxy.plugins.builtin.AuditLogVerifier.Result;
import java.io.PrintStream;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code gatekit audit verify FILE... [--public-key KEY.pem] [--live] [--json]}: checks an {@code
 * audit_jsonl} log with {@link AuditLogVerifier}. Prints one line per problem ({@code FILE:LINE: seq
 * S: kind: message}), one per note ({@code note: ...}) and a summary ({@code ok: N records, chain ID,
 * last checkpoint at seq S (signed|unsigned)} or {@code failed: ...}); with {@code --json}, one JSON
 * object instead. Exit codes: 0 the log is good, 1 it has problems, 2 bad usage or an unreadable key.
 */
final class AuditVerify {

  private AuditVerify() {}

  static final String USAGE = "gatekit audit verify FILE... [--public-key KEY.pem] [--live] [--json]";

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || !args[0].equals("verify")) {
      return usage(err, "audit: expected 'verify'");
    }
    List<Path> files = new ArrayList<>();
    Path keyFile = null;
    boolean live = false;
    boolean json = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--public-key" -> {
          if (i + 1 >= args.length) {
            return usage(err, "--public-key needs a PEM file");
          }
          keyFile = Path.of(args[++i]);
        }
        case "--live" -> live = true;
        case "--json" -> json = true;
        case "-h", "--help" -> {
          err.println("Usage: " + USAGE);
          return GatekitCommand.OK;
        }
        default -> {
          if (args[i].startsWith("-")) {
            return usage(err, "audit verify: unknown option '" + args[i] + "'");
          }
          files.add(Path.of(args[i]));
        }
      }
    }
    if (files.isEmpty()) {
      return usage(err, "audit verify needs the log file(s): the current one and its rotated backups");
    }
    PublicKey key = null;
    if (keyFile != null) {
      try {
        key = AuditLogVerifier.readPublicKey(keyFile);
      } catch (Exception e) {
        return usage(err, "cannot read the public key " + keyFile + ": " + e.getMessage());
      }
    }
    Result result = AuditLogVerifier.verify(files, key, live);
    if (json) {
      out.println(toJson(result));
    } else {
      result.problems().forEach(out::println);
      result.notes().forEach(note -> out.println("note: " + note));
      out.println(result.summary());
    }
    out.flush();
    return result.ok() ? GatekitCommand.OK : GatekitCommand.FAILURE;
  }

  static String toJson(Result result) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("ok", result.ok());
    root.put("records", result.records());
    root.put("chain", result.chain());
    ObjectNode checkpoint = root.putObject("last_checkpoint");
    checkpoint.put("seq", result.lastCheckpointSeq());
    checkpoint.put("signed", result.lastCheckpointSigned());
    checkpoint.put("signature_checked", result.signaturesChecked());
    add(root.putArray("problems"), result.problems());
    add(root.putArray("notes"), result.notes());
    return root.toString();
  }

  private static void add(ArrayNode array, List<Problem> problems) {
    for (Problem p : problems) {
      array.addObject().put("file", p.file().toString()).put("line", p.line()).put("seq", p.seq())
          .put("kind", p.kind().name().toLowerCase(Locale.ROOT)).put("message", p.message());
    }
  }

  private static int usage(PrintStream err, String problem) {
    err.println("gatekit: " + problem);
    err.println("Usage: " + USAGE);
    return GatekitCommand.USAGE;
  }
}
