package dev.gatekit.proxy.plugins.builtin;

import dev.gatekit.api.plugin.Plugin;
import dev.gatekit.api.plugin.PluginConfig;
import dev.gatekit.api.plugin.PluginKind;
import dev.gatekit.api.plugin.PluginProvider;
import dev.gatekit.proxy.plugins.builtin.Detector.MatchStart;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code basic_pii_filter}: a security plugin that finds personal data in every string of requests,
 * responses and notifications, in both directions (server-to-client requests and the client's
 * answers included): the method, a string request id, every string value and object member name at
 * any depth, and an error's message and data. Strings are scanned decoded, so JSON escapes hide
 * nothing; numbers are not scanned (a millisecond timestamp would pass for a card number).
 *
 * <p>Options: {@code action} ({@code block} (default), {@code redact}, {@code audit_only});
 * {@code pii_types}, a map of {@code email}, {@code phone}, {@code credit_card} (Luhn-checked),
 * {@code ip_address} (IPv4 and IPv6), {@code national_id} (US SSN, UK National Insurance number) to
 * {@code {enabled: bool}} (all on by default). Block reasons and metadata name the kinds found, never
 * the data. Every pattern scans in time linear in the text.
 *
 * <p>A value is found whatever touches it, except what would make it another value: a number glued
 * to more digits (or an SSN to a dash), an IPv6 address to a hex digit or colon, a National
 * Insurance number to a capital or digit. An IPv6 address glued to another word character needs
 * three groups, so that code such as {@code Rc::clone} is not an address. In {@code redact} mode a
 * match in a method or id blocks the message, and a member whose name holds one is renamed; {@link
 * dev.gatekit.api.plugin.SecurityPlugin#isSensitive} answers true for text with a match unless the
 * action is {@code audit_only}.
 */
public final class PiiFilterProvider implements PluginProvider {

  /** The handler name. */
  public static final String HANDLER = "basic_pii_filter";

  private static final String LOCAL_PART_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-";

  private static final String OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";

  /** Each PII type and its detectors. */
  private static final Map<String, List<Detector>> TYPES = new LinkedHashMap<>();

  static {
    TYPES.put("email", List.of(Detector.of("email",
        "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){0,8}\\.[A-Za-z]{2,24}")
        .hint("@")
        .startingAt(MatchStart.runBefore(LOCAL_PART_CHARS, 64, '@'))));
    TYPES.put("phone", List.of(
        // US: (555) 123-4567, 555-123-4567, 555.123.4567, +1 555 123 4567 (separators required).
        Detector.of("phone", "(?<![\\d+])(?:\\+?1[ .-])?(?:\\([2-9][0-9]{2}\\) ?|[2-9][0-9]{2}[ .-])[0-9]{3}[ .-][0-9]{4}(?![\\d])")
            .startingAt(MatchStart.number("+(", "+", " .-()", 10)),
        // International: +44 20 7946 0958, +49-30-1234567 (8 to 15 digits).
        Detector.of("phone", "\\+[1-9][0-9]{0,3}(?:[ .-][0-9]{1,5}){2,6}(?![\\d])").hint("+")
            .checked(s -> { int d = digits(s).length(); return d >= 8 && d <= 15; })));
    TYPES.put("credit_card", List.of(Detector.of("credit_card", "(?<![\\d])(?:[0-9][ -]?){12,18}[0-9](?![\\d])")
        .startingAt(MatchStart.number("", "", " -", 13))
        .checked(s -> luhn(digits(s)))));
    TYPES.put("ip_address", List.of(
        Detector.of("ip_address", "(?<![\\d.])" + OCTET + "(?:\\." + OCTET + "){3}(?!\\d|\\.\\d)").hint(".")
            .startingAt(MatchStart.number("", ".", ".", 4)),
        // Not glued to what could continue it (a hex digit, a colon); glued to another word character
        // it needs three groups, so that "Rc::clone" or "self::dbg" is not an address.
        Detector.of("ip_address", "(?<![:0-9A-Fa-f])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![:0-9A-Fa-f])").hint(":")
            .checked(PiiFilterProvider::isIpv6)
            .whenGlued(s -> ipv6Groups(s) >= 3)));
    TYPES.put("national_id", List.of(
        Detector.of("national_id", "(?<![\\d-])(?!000|666|9[0-9]{2})[0-9]{3}-(?!00)[0-9]{2}-(?!0000)[0-9]{4}(?![\\d-])").hint("-")
            .startingAt(MatchStart.number("", "-", "-", 9)),
        Detector.of("national_id",
            // Not glued to capitals or digits, which would make it another code (ORDER123456A).
            "(?<![A-Z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Z0-9])")
            .startingAt(MatchStart.capitalNotAfterCapitalOrDigit())));
  }

  /** Creates the provider (found by {@link java.util.ServiceLoader}). */
  public PiiFilterProvider() {}

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
    TYPES.keySet().forEach(name -> defaults.put(name, true));
    Set<String> enabled = DetectorFilter.enabledTypes(config, "pii_types", defaults);
    config.rejectUnknownKeys(Set.of("action", "pii_types"));
    config.validate();
    List<Detector> detectors = new ArrayList<>();
    enabled.forEach(name -> detectors.addAll(TYPES.get(name)));
    return new PiiFilter(DetectorFilter.Action.parse(action), detectors);
  }

  /** Every detector of every type, in order. */
  static List<Detector> detectors() {
    return TYPES.values().stream().flatMap(List::stream).toList();
  }

  static String digits(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** Returns whether a 13 to 19 digit number passes the Luhn checksum. */
  static boolean luhn(String digits) {
    if (digits.length() < 13 || digits.length() > 19) {
      return false;
    }
    int sum = 0;
    boolean twice = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (twice) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      twice = !twice;
    }
    return sum % 10 == 0;
  }

  /** The number of non-empty colon-separated groups of {@code s}. */
  static int ipv6Groups(String s) {
    int groups = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != ':' && (i == 0 || s.charAt(i - 1) == ':')) {
        groups++;
      }
    }
    return groups;
  }

  /** Returns whether {@code s} is an IPv6 address: eight groups, or fewer with one {@code ::}. */
  static boolean isIpv6(String s) {
    int compressed = s.indexOf("::");
    if (compressed >= 0 && s.indexOf("::", compressed + 1) >= 0) {
      return false;
    }
    String[] groups = s.split(":", -1);
    int nonEmpty = 0;
    for (int i = 0; i < groups.length; i++) {
      String g = groups[i];
      if (g.isEmpty()) {
        boolean partOfCompression = compressed >= 0;
        if (!partOfCompression) {
          return false;
        }
        continue;
      }
      if (g.length() > 4) {
        return false;
      }
      nonEmpty++;
    }
    if (compressed < 0) {
      return groups.length == 8;
    }
    // "::" alone or with a few groups; require at least two groups so times like "12::" stay out.
    return nonEmpty >= 2 && nonEmpty <= 7;
  }

  private static final class PiiFilter extends DetectorFilter {
    PiiFilter(Action action, List<Detector> detectors) {
      super(action, detectors, "PII", "pii_types");
    }

    @Override
    public String toString() {
      return HANDLER;
    }
  }
}
