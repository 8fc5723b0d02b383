package dev.gatekit.benchmarks;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Markdown table built row by row, and the number formats the benchmark reports use: grouped
 * thousands, a fixed number of decimals, "–" for what was not measured.
 */
final class MarkdownTable {

  /** What a cell shows when there is no value. */
  static final String NONE = "–";

  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();

  MarkdownTable(String... headers) {
    this.headers = List.of(headers);
  }

  /** Adds a row; it must have one cell per header. */
  MarkdownTable row(String... cells) {
    if (cells.length != headers.size()) {
      throw new IllegalArgumentException(
          "a row needs " + headers.size() + " cells, has " + cells.length);
    }
    rows.add(List.of(cells));
    return this;
  }

  /** Prints the header, the alignment line (text left, the rest right) and the rows. */
  void print(PrintStream out) {
    out.println("| " + String.join(" | ", headers) + " |");
    StringBuilder alignment = new StringBuilder("|");
    for (int i = 0; i < headers.size(); i++) {
      alignment.append(i == 0 ? "---|" : "---:|");
    }
    out.println(alignment);
    for (List<String> row : rows) {
      out.println("| " + String.join(" | ", row) + " |");
    }
  }

  /** {@code value} with {@code decimals} decimals and grouped thousands, or {@link #NONE} if NaN. */
  static String number(double value, int decimals) {
    return Double.isNaN(value) ? NONE : String.format(Locale.ROOT, "%,." + decimals + "f", value);
  }

  /** {@code fraction} as a whole percentage, or {@link #NONE} if NaN. */
  static String percent(double fraction) {
    return Double.isNaN(fraction) ? NONE : number(100 * fraction, 0) + " %";
  }

  /** {@code value ± error}, both with {@code decimals} decimals; the error left out if NaN. */
  static String withError(double value, double error, int decimals) {
    return Double.isNaN(error)
        ? number(value, decimals)
        : number(value, decimals) + " ± " + number(error, decimals);
  }
}
