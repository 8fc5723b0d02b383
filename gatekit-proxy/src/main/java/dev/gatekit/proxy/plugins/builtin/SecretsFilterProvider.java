package dev.gatekit.proxy.plugins.builtin;

import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code basic_secrets_filter}: a security plugin that finds credentials in every string of requests,
 * responses and notifications, in both directions (server-to-client requests and the client's
 * answers included): the method, a string request id, every string value and object member name at
 * any depth, and an error's message and data. Strings are scanned decoded, so JSON escapes hide
 * nothing; numbers are not scanned.
 *
 * <p>Options: {@code action} ({@code block} (default), {@code redact}, {@code audit_only});
 * {@code secret_types}, a map of {@code aws_access_keys}, {@code github_tokens}, {@code slack_tokens},
 * {@code bearer_tokens}, {@code jwt_tokens}, {@code private_keys} to {@code {enabled: bool}} (all on
 * by default); {@code entropy_detection: {enabled (default false), min_length (default 32),
 * threshold (bits per character, default 4.5)}} for long random-looking tokens. Block reasons and
 * metadata name the kinds found, never the secrets.
 *
 * <p>A token is found whatever touches it ({@code key_AKIA...}, {@code token=ghp_...}, glued to
 * letters or digits): the fixed prefixes {@code AKIA}/{@code ASIA}, {@code gh?_}/{@code
 * github_pat_}, {@code xox?-}, {@code eyJ} and {@code -----BEGIN} need no word boundary. Checks
 * keep glued look-alikes out: a GitHub or bearer token that touches a letter, digit or underscore
 * must hold a digit ({@code highs_temperatureReadings...}, {@code pallbearer /home/docs} are
 * prose), and such a JWT's header must decode to a JSON object. In {@code redact} mode a match in a method or id blocks the message,
 * and a member whose name holds one is renamed (see {@code DetectorFilter}); {@link
 * dev.gatekit.api.plugin.SecurityPlugin#isSensitive} answers true for text with a match unless the
 * action is {@code audit_only}.
 */
public final class SecretsFilterProvider implements PluginProvider {

  /** The handler name. */
  public static final String HANDLER = "basic_secrets_filter";

  private static final Map<String, Detector> DETECTORS = new LinkedHashMap<>();

  static {
    // No word boundaries: a fixed prefix (AKIA, ghp_, xoxb-, eyJ, -----BEGIN) marks the token
    // wherever it stands, glued to an identifier (key_AKIA...) or not. Where a glued match is easily
    // ordinary text, a stricter check applies to it (see Detector).
    add(Detector.of("aws_access_keys", "(?:AKIA|ASIA)[0-9A-Z]{16}").hint("A"));
    // "daily_highs_temperatureReadingsForTheLastThirtyDays" holds "ghs_" and 36 letters: glued to a
    // word, a token must hold a digit (a random one of 36 characters lacks one about once in 500).
    add(Detector.of("github_tokens", "gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}").hint("_")
        .whenGlued(SecretsFilterProvider::hasDigit));
    add(Detector.of("slack_tokens", "xox[abprs]-[A-Za-z0-9-]{10,250}").hint("xox"));
    // "pallbearer /home/user/files" is prose: glued to a word, the token must hold a digit.
    add(Detector.of("bearer_tokens", "(?i)bearer[ \\t]{1,10}([A-Za-z0-9._~+/=-]{16,4096})").redactGroup(1)
        .whenGlued(SecretsFilterProvider::hasDigit));
    // "surveyJobs_x.internal_package.implementation" is not a token: glued to a word, the header
    // must decode to the JSON a JWT header is.
    add(Detector.of("jwt_tokens", "eyJ[A-Za-z0-9_-]{8,8192}\\.[A-Za-z0-9_-]{8,8192}\\.[A-Za-z0-9_-]{8,8192}").hint("eyJ")
        .whenGlued(SecretsFilterProvider::hasJsonHeader));
    add(Detector.of("private_keys",
        "-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[A-Za-z0-9+/=\\s:,.-]{0,65536}-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)?")
        .hint("PRIVATE KEY-----"));
  }

  static boolean hasDigit(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        return true;
      }
    }
    return false;
  }

  /** Whether a JWT's first part decodes (base64url) to printable ASCII that starts a JSON object. */
  static boolean hasJsonHeader(String jwt) {
    byte[] header;
    try {
      header = java.util.Base64.getUrlDecoder().decode(jwt.substring(0, jwt.indexOf('.')));
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (byte b : header) {
      if ((b < 0x20 || b > 0x7e) && b != '\t' && b != '\n' && b != '\r') {
        return false;
      }
    }
    return header.length >= 2 && header[0] == '{' && header[1] == '"';
  }

  private static void add(Detector detector) {
    DETECTORS.put(detector.name(), detector);
  }

  /** Creates the provider (found by {@link java.util.ServiceLoader}). */
  public SecretsFilterProvider() {}

  @Override
  public String handler() {
    return HANDLER;
  }

  @Override
  public PluginKind kind() {
    return PluginKind.SECURITY;
  }

  @Override
  public Plugin create(PluginConfig config) {
    String action = config.choice("action", DetectorFilter.Action.NAMES, "block");
    Map<String, Boolean> defaults = new LinkedHashMap<>();
    DETECTORS.keySet().forEach(name -> defaults.put(name, true));
    Set<String> enabled = DetectorFilter.enabledTypes(config, "secret_types", defaults);
    PluginConfig entropy = config.object("entropy_detection");
    entropy.rejectUnknownKeys(Set.of("enabled", "min_length", "threshold"));
    boolean entropyOn = entropy.bool("enabled", false);
    int minLength = entropy.integer("min_length", 32, 8, 4096);
    double threshold = entropy.number("threshold", 4.5, 0.5, 8.0);
    config.rejectUnknownKeys(Set.of("action", "secret_types", "entropy_detection"));
    config.validate();

    List<Detector> detectors = new ArrayList<>();
    enabled.forEach(name -> detectors.add(DETECTORS.get(name)));
    if (entropyOn) {
      String token = "[A-Za-z0-9+/=_-]{" + minLength + ",65536}";
      detectors.add(Detector.of("high_entropy_strings", token).checked(s -> entropy(s) >= threshold));
    }
    return new SecretsFilter(DetectorFilter.Action.parse(action), detectors);
  }

  /** Shannon entropy of {@code s} in bits per character. */
  static double entropy(String s) {
    int[] counts = new int[128];
    int other = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 128) {
        counts[c]++;
      } else {
        other++;
      }
    }
    double result = 0;
    double n = s.length();
    for (int count : counts) {
      if (count > 0) {
        double p = count / n;
        result -= p * (Math.log(p) / Math.log(2));
      }
    }
    if (other > 0) {
      double p = other / n;
      result -= p * (Math.log(p) / Math.log(2));
    }
    return result;
  }

  private static final class SecretsFilter extends DetectorFilter {
    SecretsFilter(Action action, List<Detector> detectors) {
      super(action, detectors, "Secret", "secret_types");
    }

    @Override
    public String toString() {
      return HANDLER;
    }
  }
}
