package dev.gatekit.api.plugin;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The problems found in one configuration, collected in the order they are found so that all of them
 * are reported at once instead of the first alone.
 *
 * <p>Whatever reads a configuration — a {@link PluginConfig} and the configs it hands out, or the
 * gateway's reader of a whole configuration file — adds to one instance as it goes and checks
 * {@link #isEmpty()} at the end. Paths are spelled the way problems name them: {@link #key} for a
 * key of a mapping ({@code proxy.upstreams}), {@link #index} for an element of a list ({@code
 * proxy.upstreams[1]}). {@link #closest} finds the key a misspelt one most likely meant.
 *
 * <p>Not thread-safe: one reader fills it, then its problems are read.
 */
public final class ConfigProblems {

  private final List<ConfigProblem> problems = new ArrayList<>();

  /** Creates an empty collection. */
  public ConfigProblems() {}

  /**
   * Records a problem.
   *
   * @param path where in the configuration, such as {@code proxy.upstreams[1].command}
   * @param expected what would have been valid
   * @param found what the configuration holds, or {@code missing}
   */
  public void add(String path, String expected, String found) {
    problems.add(new ConfigProblem(path, expected, found));
  }

  /** Records problems found elsewhere, in their order. */
  public void addAll(Collection<ConfigProblem> found) {
    problems.addAll(found);
  }

  /** Returns whether no problem has been recorded. */
  public boolean isEmpty() {
    return problems.isEmpty();
  }

  /** Returns how many problems have been recorded. */
  public int size() {
    return problems.size();
  }

  /** Returns the problems recorded so far, in the order recorded: an unmodifiable snapshot. */
  public List<ConfigProblem> toList() {
    return List.copyOf(problems);
  }

  /**
   * Returns the path of {@code key} inside the mapping at {@code path}: {@code path.key}, or {@code
   * key} alone at the root (an empty {@code path}).
   */
  public static String key(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Returns the path of element {@code index} of the list at {@code path}: {@code path[index]}. */
  public static String index(String path, int index) {
    return path + "[" + index + "]";
  }

  /**
   * Returns the candidate closest to {@code word} by edit distance, ignoring case, when it is close
   * enough to be a likely typo (at most a third of the word's length, at least 1 and at most 3),
   * else {@code null}.
   */
  public static @Nullable String closest(String word, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String lower = word.toLowerCase(Locale.ROOT);
    for (String candidate : candidates) {
      int distance = editDistance(lower, candidate.toLowerCase(Locale.ROOT));
      if (distance < bestDistance) {
        bestDistance = distance;
        best = candidate;
      }
    }
    int allowed = Math.min(3, Math.max(1, word.length() / 3));
    return bestDistance <= allowed ? best : null;
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  @Override
  public String toString() {
    return problems.toString();
  }
}
