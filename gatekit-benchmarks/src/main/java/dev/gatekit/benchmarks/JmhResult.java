package dev.gatekit.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One benchmark result of a JMH JSON result file ({@code -rf json -rff FILE}): which benchmark
 * method with which parameters, the primary score with its error and unit, and the secondary
 * results of profilers by name ({@code gc.alloc.rate.norm}, {@code cpu.client}, ...).
 *
 * @param method the benchmark method's simple name, such as {@code concurrent}
 * @param className the benchmark class's simple name, such as {@code ProxyScenarioBenchmark}
 * @param params the parameters, by name
 * @param score the primary score
 * @param error the primary score's error (99.9 %), NaN with a single iteration
 * @param unit the primary score's unit, such as {@code ms/op}
 * @param secondary the secondary scores, by name without JMH's leading "·"
 */
record JmhResult(
    String className,
    String method,
    Map<String, String> params,
    double score,
    double error,
    String unit,
    Map<String, Double> secondary) {

  /** Reads every result in a JMH JSON result file. */
  static List<JmhResult> read(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    if (root == null || !root.isArray()) {
      throw new IOException(file + " is not a JMH JSON result file (a JSON array)");
    }
    List<JmhResult> results = new ArrayList<>();
    for (JsonNode node : root) {
      String benchmark = node.path("benchmark").asText();
      int dot = benchmark.lastIndexOf('.');
      String owner = benchmark.substring(0, Math.max(dot, 0));
      Map<String, String> params = new LinkedHashMap<>();
      node.path("params").fields().forEachRemaining(p -> params.put(p.getKey(), p.getValue().asText()));
      Map<String, Double> secondary = new LinkedHashMap<>();
      node.path("secondaryMetrics")
          .fields()
          .forEachRemaining(
              m -> secondary.put(m.getKey().replaceFirst("^·", ""), m.getValue().path("score").asDouble()));
      JsonNode primary = node.path("primaryMetric");
      results.add(
          new JmhResult(
              owner.substring(owner.lastIndexOf('.') + 1),
              benchmark.substring(dot + 1),
              params,
              primary.path("score").asDouble(),
              primary.path("scoreError").asDouble(Double.NaN),
              primary.path("scoreUnit").asText(),
              secondary));
    }
    return results;
  }

  /**
   * Reads the result files named by a report's arguments, in order; without an argument, prints the
   * usage of {@code report} and exits with code 2.
   */
  static List<JmhResult> readArguments(String[] args, String report) throws IOException {
    if (args.length == 0) {
      System.err.println(
          "usage: " + report + " RESULT.json... (from JMH's -rf json -rff RESULT.json)");
      System.exit(2);
    }
    List<JmhResult> results = new ArrayList<>();
    for (String file : args) {
      results.addAll(read(Path.of(file)));
    }
    return results;
  }

  /** Returns a parameter's value, or {@code fallback} when the benchmark has no such parameter. */
  String param(String name, String fallback) {
    return params.getOrDefault(name, fallback);
  }

  /** Returns a secondary score, or null when that profiler did not run. */
  @Nullable Double secondary(String name) {
    return secondary.get(name);
  }
}
