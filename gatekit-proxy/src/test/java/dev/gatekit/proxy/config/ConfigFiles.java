package dev.gatekit.proxy.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes configuration files for tests. */
final class ConfigFiles {

  private ConfigFiles() {}

  /** Writes {@code yaml} to {@code name} (which may name sub-folders) under {@code dir}; returns the file. */
  static Path write(Path dir, String name, String yaml) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, yaml);
    return file;
  }
}
