package dev.gatekit.proxy.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a command line into words as a POSIX shell would, without running one: blanks separate
 * words; {@code '...'} keeps everything literally; {@code "..."} keeps blanks and takes {@code \}
 * before {@code " \ $ `} literally; a {@code \} outside quotes takes the next character literally.
 * Nothing else is special: {@code $(...)}, {@code ;}, {@code |} and globs are plain characters.
 */
final class ShellWords {

  private ShellWords() {}

  /**
   * Returns the words of {@code line}, possibly none.
   *
   * @throws IllegalArgumentException for an unterminated quote or a trailing backslash, with a
   *     message saying which
   */
  static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unterminated single quote at character " + (i + 1));
        }
        word.append(line, i + 1, end);
        i = end;
        inWord = true;
      } else if (c == '"') {
        i = doubleQuoted(line, i, word);
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 >= line.length()) {
          throw new IllegalArgumentException("a backslash at the end");
        }
        word.append(line.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /** Appends the text of the double quote opening at {@code open}; returns the index of its end. */
  private static int doubleQuoted(String line, int open, StringBuilder word) {
    int j = open + 1;
    for (; j < line.length() && line.charAt(j) != '"'; j++) {
      char d = line.charAt(j);
      if (d == '\\' && j + 1 < line.length() && "\"\\$`".indexOf(line.charAt(j + 1)) >= 0) {
        word.append(line.charAt(++j));
      } else {
        word.append(d);
      }
    }
    if (j >= line.length()) {
      throw new IllegalArgumentException("unterminated double quote at character " + (open + 1));
    }
    return j;
  }
}
