package dev.gatekit.proxy.plugins.builtin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** Ed25519 keys in PEM: {@code PRIVATE KEY} (PKCS#8) and {@code PUBLIC KEY} (X.509), as OpenSSL writes them. */
final class Ed25519Pem {
  private Ed25519Pem() {}

  static PrivateKey readPrivate(Path file) throws IOException, GeneralSecurityException {
    byte[] der = der(Files.readString(file, StandardCharsets.US_ASCII), "PRIVATE KEY", file);
    return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  static PublicKey readPublic(Path file) throws IOException, GeneralSecurityException {
    byte[] der = der(Files.readString(file, StandardCharsets.US_ASCII), "PUBLIC KEY", file);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }

  /** The PEM text of a key: PKCS#8 for a private key, X.509 for a public one. */
  static String write(Key key) {
    String label = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
    return "-----BEGIN " + label + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
        + "\n-----END " + label + "-----\n";
  }

  private static byte[] der(String pem, String label, Path file) throws GeneralSecurityException {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int from = pem.indexOf(begin);
    int to = pem.indexOf(end);
    if (from < 0 || to < from) {
      throw new GeneralSecurityException(file + " holds no '" + begin + "' block");
    }
    try {
      return Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException(file + ": " + e.getMessage(), e);
    }
  }
}
