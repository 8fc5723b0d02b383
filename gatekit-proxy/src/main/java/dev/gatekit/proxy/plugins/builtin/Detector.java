package dev.gatekit.proxy.plugins.builtin;

import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One kind of sensitive text: a pattern (compiled once), an optional check of each match (such as a
 * Luhn checksum), and the group to redact (0 for the whole match). Patterns are written so that
 * scanning is linear in the text: bounded repetitions, no nested quantifiers.
 */
record Detector(String name, Pattern pattern, int group, Predicate<String> check, String quickHint) {

  static Detector of(String name, String regex) {
    return new Detector(name, Pattern.compile(regex), 0, s -> true, "");
  }

  Detector checked(Predicate<String> newCheck) {
    return new Detector(name, pattern, group, newCheck, quickHint);
  }

  Detector redactGroup(int newGroup) {
    return new Detector(name, pattern, newGroup, check, quickHint);
  }

  /** Skips the regex for texts that do not contain {@code hint} (a cheap prefilter). */
  Detector hint(String newHint) {
    return new Detector(name, pattern, group, check, newHint);
  }

  boolean mayMatch(String text) {
    return quickHint.isEmpty() || text.contains(quickHint);
  }

  /** Returns whether the text holds a match that passes the check. */
  boolean find(String text) {
    if (!mayMatch(text)) {
      return false;
    }
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      if (check.test(m.group(group))) {
        return true;
      }
    }
    return false;
  }

  /** Replaces every checked match (its redact group) with {@code replacement}. */
  String redact(String text, String replacement) {
    if (!mayMatch(text)) {
      return text;
    }
    Matcher m = pattern.matcher(text);
    StringBuilder out = null;
    int last = 0;
    while (m.find()) {
      if (!check.test(m.group(group))) {
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length());
      }
      out.append(text, last, m.start(group)).append(replacement);
      last = m.end(group);
    }
    if (out == null) {
      return text;
    }
    return out.append(text, last, text.length()).toString();
  }
}
