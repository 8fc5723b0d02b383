package dev.gatekit.proxy.plugins.builtin;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * The head of one audit hash chain: the last record's {@code seq} and SHA-256, and how to frame the
 * next record so it commits to it. The record format is described on {@link AuditJsonlProvider}.
 * A line is {@linkplain #frame framed} first and {@linkplain #commit committed} once written, so a
 * line that was never written never moves the head. Not thread-safe: its owner serialises.
 */
final class HashChain {
  private static final HexFormat HEX = HexFormat.of();
  /** What a signed checkpoint ends with, before the signature's Base64 and {@code "}"}. */
  static final String SIGNATURE_MEMBER = ",\"signature\":\"";

  private final String id;
  private final @Nullable PrivateKey signingKey;
  private final MessageDigest sha256 = sha256();
  private @Nullable Signature signature;
  private long seq;
  private String head;

  private HashChain(String id, long seq, String head, @Nullable PrivateKey signingKey) {
    this.id = id;
    this.seq = seq;
    this.head = head;
    this.signingKey = signingKey;
  }

  /** A new chain with a random id; its first record's {@code prev} is that id. */
  static HashChain start(@Nullable PrivateKey signingKey) {
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    String id = HEX.formatHex(random);
    return new HashChain(id, 0, id, signingKey);
  }

  /** The chain {@code id} continued after the record {@code lastLine} (without its newline), seq {@code lastSeq}. */
  static HashChain resume(String id, long lastSeq, byte[] lastLine, @Nullable PrivateKey signingKey) {
    return new HashChain(id, lastSeq, hashHex(lastLine), signingKey);
  }

  String id() {
    return id;
  }

  long seq() {
    return seq;
  }

  /**
   * The next record's line, newline included: {@code {"seq":..,"prev":..}} (with {@code chain} when
   * asked, and always in the chain's first record) followed by the members of {@code object}, a JSON
   * object's text.
   */
  byte[] frame(String object, boolean withChainId) {
    StringBuilder line = new StringBuilder(object.length() + 128);
    line.append("{\"seq\":").append(seq + 1).append(",\"prev\":\"").append(head).append('"');
    if (withChainId || seq == 0) { // a file's first record, and the chain's first
      line.append(",\"chain\":\"").append(id).append('"');
    }
    if (object.length() > 2) {
      line.append(',').append(object, 1, object.length());
    } else {
      line.append('}');
    }
    return line.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A checkpoint's line: the head it follows, and a signature over the line when keyed. */
  byte[] checkpoint(boolean closing, Instant time) {
    String body = "{\"type\":\"checkpoint\",\"chain\":\"" + id + "\",\"closing\":" + closing
        + ",\"time\":\"" + time + "\"}";
    return signed(frame(body, false));
  }

  /** The record a start writes after finding the previous run ended without a closing checkpoint. */
  byte[] crash(Instant time, @Nullable Long lastSeq, boolean tornLine) {
    String body = "{\"type\":\"crash\",\"chain\":\"" + id + "\",\"time\":\"" + time + "\",\"last_seq\":"
        + lastSeq + ",\"torn_line\":" + tornLine + "}";
    return signed(frame(body, false));
  }

  /** Moves the head to {@code line}, which has just been written. */
  void commit(byte[] line) {
    sha256.update(line, 0, line.length - 1);
    seq++;
    head = HEX.formatHex(sha256.digest());
  }

  private byte[] signed(byte[] line) {
    if (signingKey == null) {
      return line;
    }
    try {
      if (signature == null) {
        signature = Signature.getInstance("Ed25519");
        signature.initSign(signingKey); // sign() leaves it ready for the next one
      }
      signature.update(line, 0, line.length - 1);
      String text = new String(line, 0, line.length - 2, StandardCharsets.UTF_8) + SIGNATURE_MEMBER
          + Base64.getEncoder().encodeToString(signature.sign()) + "\"}\n";
      return text.getBytes(StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      signature = null;
      throw new IllegalStateException("cannot sign an audit checkpoint", e);
    }
  }

  /** The bytes a signed line's signature covers: the line without its signature member. */
  static byte[] signedPart(String line) {
    int at = line.lastIndexOf(SIGNATURE_MEMBER);
    return (line.substring(0, at) + "}").getBytes(StandardCharsets.UTF_8);
  }

  /** SHA-256 of {@code bytes}, lowercase hex. */
  static String hashHex(byte[] bytes) {
    return HEX.formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
