package dev.gatekit.proxy.plugins.builtin;

import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One kind of sensitive text: a pattern (compiled once), an optional check of each match (such as a
 * Luhn checksum), and the group to redact (0 for the whole match). Patterns are written so that
 * scanning is linear in the text: bounded repetitions, no nested quantifiers.
 *
 * <p>Matches are found whatever characters touch them: a pattern states only the boundaries its
 * value needs (a number is not glued to more digits; a token with a fixed prefix such as {@code
 * AKIA} needs none), never a word boundary. Where a value glued to word characters is too easily
 * mistaken for ordinary text (such as {@code c::c} in {@code Rc::clone}, or a word ending in
 * {@code bearer}), {@code gluedCheck} must also hold for a match that a letter, digit or underscore
 * touches on either side.
 *
 * <p>Two cheap filters keep a scan of a large text fast. A hint skips texts that lack a string every
 * match contains. A {@link MatchStart} names the positions where a match can begin (a digit that
 * starts a number, say); the pattern is then tried only there, anchored, instead of at every
 * character — a regex costs some nanoseconds per position even where nothing can match. Both must
 * hold for every match, so that they change how fast matches are found, never which.
 */
record Detector(
    String name,
    Pattern pattern,
    int group,
    Predicate<String> check,
    Predicate<String> gluedCheck,
    String quickHint,
    @Nullable MatchStart start) {

  /** A necessary condition for a match of the pattern to begin at {@code index} of {@code text}. */
  @FunctionalInterface
  interface MatchStart {
    boolean at(String text, int index);

    /**
     * The first character of a number written with separators: a digit or one of {@code first},
     * after a character that is neither a digit nor one of {@code notAfter}, from which digits and
     * {@code separators} (at most two of those in a row) run on to at least {@code minDigits} digits.
     * That is what a pattern such as {@code (?<![\\d-])[0-9]{3}-[0-9]{2}-[0-9]{4}} needs ({@code
     * number("", "-", "-", 9)}). The run is read forward only as far as that takes.
     */
    static MatchStart number(String first, String notAfter, String separators, int minDigits) {
      return (text, i) -> {
        char c = text.charAt(i);
        if (!(isDigit(c) || first.indexOf(c) >= 0)
            || (i > 0 && (isDigit(text.charAt(i - 1)) || notAfter.indexOf(text.charAt(i - 1)) >= 0))) {
          return false;
        }
        int digits = 0;
        int inRow = 0;
        for (int k = i; k < text.length(); k++) {
          char d = text.charAt(k);
          if (isDigit(d)) {
            if (++digits >= minDigits) {
              return true;
            }
            inRow = 0;
          } else if ((separators.indexOf(d) >= 0 || (k == i && first.indexOf(d) >= 0)) && ++inRow <= 2) {
            continue;
          } else {
            return false;
          }
        }
        return false;
      };
    }

    /**
     * The first character of a run of at most {@code maxLength} characters of {@code runChars} that
     * {@code next} directly follows: what {@code (?<![set])[set]{1,max}@} needs (an e-mail's local
     * part; {@code runChars} must be ASCII). The run is read forward once from its first character,
     * so a scan stays linear.
     */
    static MatchStart runBefore(String runChars, int maxLength, char next) {
      boolean[] inRun = new boolean[128]; // ASCII only: a run of other characters never matches
      runChars.chars().forEach(c -> inRun[c] = true);
      return (text, i) -> {
        if (!isIn(inRun, text.charAt(i)) || (i > 0 && isIn(inRun, text.charAt(i - 1)))) {
          return false;
        }
        int end = i;
        while (end < text.length() && end - i <= maxLength && isIn(inRun, text.charAt(end))) {
          end++;
        }
        return end - i <= maxLength && end < text.length() && text.charAt(end) == next;
      };
    }

    private static boolean isIn(boolean[] table, char c) {
      return c < table.length && table[c];
    }

    /**
     * An upper-case ASCII letter after neither an upper-case ASCII letter nor a digit: what {@code
     * (?<![A-Z0-9])[A-Z]} needs.
     */
    static MatchStart capitalNotAfterCapitalOrDigit() {
      return (text, i) -> {
        char c = text.charAt(i);
        if (c < 'A' || c > 'Z' || i == 0) {
          return c >= 'A' && c <= 'Z';
        }
        char before = text.charAt(i - 1);
        return !(before >= 'A' && before <= 'Z') && !isDigit(before);
      };
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }

  }

  private static final Predicate<String> ANY = s -> true;

  static Detector of(String name, String regex) {
    return new Detector(name, Pattern.compile(regex), 0, ANY, ANY, "", null);
  }

  /** Keeps only matches whose redact group passes {@code newCheck}. */
  Detector checked(Predicate<String> newCheck) {
    return new Detector(name, pattern, group, newCheck, gluedCheck, quickHint, start);
  }

  /**
   * Keeps a match that a word character (letter, digit, underscore) touches only if its redact group
   * also passes {@code newCheck}.
   */
  Detector whenGlued(Predicate<String> newCheck) {
    return new Detector(name, pattern, group, check, newCheck, quickHint, start);
  }

  Detector redactGroup(int newGroup) {
    return new Detector(name, pattern, newGroup, check, gluedCheck, quickHint, start);
  }

  /** Skips the regex for texts that do not contain {@code hint} (a cheap prefilter). */
  Detector hint(String newHint) {
    return new Detector(name, pattern, group, check, gluedCheck, newHint, start);
  }

  /** Tries the regex only where {@code newStart} holds; it must hold wherever a match begins. */
  Detector startingAt(MatchStart newStart) {
    return new Detector(name, pattern, group, check, gluedCheck, quickHint, newStart);
  }

  /** The same detector tried at every position: finds exactly what this one finds, only slower. */
  Detector withoutStart() {
    return new Detector(name, pattern, group, check, gluedCheck, quickHint, null);
  }

  boolean mayMatch(String text) {
    return quickHint.isEmpty() || text.contains(quickHint);
  }

  /** Returns whether the text holds a match that passes the check. */
  boolean find(String text) {
    if (!mayMatch(text)) {
      return false;
    }
    Matcher m = matcher(text);
    int from = 0;
    while (next(m, text, from)) {
      if (accepts(m, text)) {
        return true;
      }
      from = after(m);
    }
    return false;
  }

  /** Replaces every checked match (its redact group) with {@code replacement}. */
  String redact(String text, String replacement) {
    if (!mayMatch(text)) {
      return text;
    }
    Matcher m = matcher(text);
    StringBuilder out = null;
    int last = 0;
    int from = 0;
    while (next(m, text, from)) {
      from = after(m);
      if (!accepts(m, text)) {
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

  private boolean accepts(Matcher m, String text) {
    String value = m.group(group);
    if (!check.test(value)) {
      return false;
    }
    if (gluedCheck == ANY) {
      return true;
    }
    boolean glued = (m.start() > 0 && isWordChar(text.charAt(m.start() - 1)))
        || (m.end() < text.length() && isWordChar(text.charAt(m.end())));
    return !glued || gluedCheck.test(value);
  }

  /** A letter or digit in any script, or an underscore: what glues a value to a word. */
  static boolean isWordChar(char c) {
    return c == '_' || Character.isLetterOrDigit(c);
  }

  private Matcher matcher(String text) {
    // Transparent bounds: look-behinds and \b see the text before an anchored try's region.
    return pattern.matcher(text).useTransparentBounds(true).useAnchoringBounds(false);
  }

  /** Positions {@code m} on the next match beginning at or after {@code from}; false if none. */
  private boolean next(Matcher m, String text, int from) {
    MatchStart begin = start;
    if (begin == null) {
      return m.find(); // resumes where the last match ended: at from
    }
    for (int i = from; i < text.length(); i++) {
      if (begin.at(text, i)) {
        m.region(i, text.length());
        if (m.lookingAt()) {
          return true;
        }
      }
    }
    return false;
  }

  private static int after(Matcher m) {
    return Math.max(m.end(), m.start() + 1);
  }
}
