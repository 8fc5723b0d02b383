package dev.gatekit.proxy.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gatekit.api.plugin.ConfigProblem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Parses a YAML file into a tree, turning every way it can fail into one {@link ConfigException}: an
 * unreadable file, or a syntax error with its line and column. Duplicate keys in a mapping are a
 * syntax error.
 */
final class YamlFile {

  private static final YAMLMapper YAML = YAMLMapper.builder(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  private YamlFile() {}

  /**
   * Returns the document of {@code file} (absolute), or null for an empty one.
   *
   * @throws ConfigException with the one problem that stopped it
   */
  static @Nullable JsonNode read(Path file) throws ConfigException {
    try {
      return YAML.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      throw new ConfigException(file, List.of(syntaxProblem(e)));
    } catch (IOException e) {
      throw new ConfigException(file, List.of(new ConfigProblem("(file)", "a readable file", e.toString())));
    }
  }

  /** The place and cause of a YAML syntax error, from SnakeYAML's mark when there is one. */
  private static ConfigProblem syntaxProblem(JsonProcessingException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
        Mark mark = marked.getProblemMark();
        String context = marked.getContext() != null ? marked.getContext() + ": " : "";
        return new ConfigProblem("(line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")",
            "valid YAML", context + marked.getProblem());
      }
    }
    JsonLocation location = e.getLocation();
    String where = location == null ? "(document)" : "(line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    return new ConfigProblem(where, "valid YAML", String.valueOf(e.getOriginalMessage()).replaceAll("\\s+", " "));
  }
}
