package dev.gatekit.transport.stdio.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds every process of one upstream run — the process itself and all it started, including what
 * was re-parented away from it — so that none outlives the run.
 *
 * <p><b>How.</b> Each run is started with an environment variable of its own, {@code
 * GATEKIT_RUN_<random hex>=1}, which the processes it starts inherit. On Linux, {@link #members()}
 * reads {@code /proc/<pid>/environ} of every process it may read and picks those that carry the
 * variable: a grandchild the upstream orphaned at once ({@code sh -c '(server &); ...'}, re-parented
 * to init before anyone could see it as a descendant) is found as surely as a child, and so is a
 * daemon that moved itself into a session of its own. As a fallback — no {@code /proc} (macOS,
 * Windows), or a process that cleared its environment — the run's descendants are also remembered
 * from snapshots of {@link ProcessHandle#descendants()} taken while it lives ({@link #remember}).
 *
 * <p><b>Why not a process group or session.</b> Java cannot start a process in a group of its own
 * without a helper program ({@code setsid}, which not every system has), signalling a group needs
 * {@code kill(2)}, which Java does not offer (and the design runs no {@code kill} command), and a
 * new session takes the server out of the terminal's foreground group, so that Ctrl-C at a
 * terminal no longer reaches it. A process that starts a session of its own leaves a group
 * anyway, but keeps its environment.
 *
 * <p>Handles carry the process's start time, so a recycled pid is never signalled. Thread-safe.
 */
public final class ProcessTree {

  private static final Logger log = LoggerFactory.getLogger(ProcessTree.class);
  private static final Path PROC = Path.of("/proc");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final @Nullable String variable;
  private final byte @Nullable [] entry; // "NAME=1", as in /proc/<pid>/environ
  private final Set<ProcessHandle> remembered = ConcurrentHashMap.newKeySet();

  private ProcessTree(@Nullable String variable) {
    this.variable = variable;
    this.entry = variable == null ? null : (variable + "=1").getBytes(StandardCharsets.US_ASCII);
  }

  /** Returns a tree whose processes are marked through {@code builder}'s environment. */
  public static ProcessTree marking(ProcessBuilder builder) {
    byte[] id = new byte[12];
    RANDOM.nextBytes(id);
    String variable = "GATEKIT_RUN_" + HexFormat.of().withUpperCase().formatHex(id);
    builder.environment().put(variable, "1");
    return new ProcessTree(variable);
  }

  /** Returns a tree known only through the descendants it is shown ({@link #remember}). */
  static ProcessTree unmarked() {
    return new ProcessTree(null);
  }

  /** Returns the name of the environment variable that marks the run, if it is marked. */
  @Nullable String variable() {
    return variable;
  }

  /**
   * Returns whether the run's processes can be found by their mark ({@code /proc} is there and the run
   * is marked), so that snapshots ({@link #remember}) are only a fallback for a process that cleared
   * its environment, not worth taking while it serves.
   */
  public boolean foundByMark() {
    return entry != null && Files.isDirectory(PROC);
  }

  /** Notes the descendants {@code process} has now, to find them later should the mark fail. */
  public void remember(Process process) {
    try {
      process.descendants().forEach(remembered::add);
    } catch (RuntimeException e) {
      log.debug("Could not list the descendants of pid {}: {}", process.pid(), e.toString());
    }
  }

  /**
   * Returns the processes of the run that are alive now (never this JVM): those that carry the mark,
   * and those remembered.
   */
  public List<ProcessHandle> members() {
    Map<Long, ProcessHandle> found = new LinkedHashMap<>();
    if (entry != null && Files.isDirectory(PROC)) {
      long self = ProcessHandle.current().pid();
      ProcessHandle.allProcesses()
          .filter(p -> p.pid() != self && isMarked(p.pid()))
          .forEach(p -> found.put(p.pid(), p));
    }
    for (ProcessHandle handle : remembered) {
      if (handle.isAlive()) {
        found.putIfAbsent(handle.pid(), handle);
      } else {
        remembered.remove(handle);
      }
    }
    return found.values().stream().filter(ProcessHandle::isAlive).toList();
  }

  private boolean isMarked(long pid) {
    byte[] environment;
    try {
      environment = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("environ"));
    } catch (IOException | RuntimeException e) {
      return false; // gone, or another user's
    }
    return containsEntry(environment, entry);
  }

  /** Whether {@code environment} (NUL-separated entries) holds exactly {@code wanted} as an entry. */
  static boolean containsEntry(byte[] environment, byte[] wanted) {
    int start = 0;
    for (int i = 0; i <= environment.length; i++) {
      if (i == environment.length || environment[i] == 0) {
        if (i - start == wanted.length && regionEquals(environment, start, wanted)) {
          return true;
        }
        start = i + 1;
      }
    }
    return false;
  }

  private static boolean regionEquals(byte[] bytes, int offset, byte[] wanted) {
    for (int j = 0; j < wanted.length; j++) {
      if (bytes[offset + j] != wanted[j]) {
        return false;
      }
    }
    return true;
  }
}
