package dev.gatekit.transport.stdio.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessTreeTest {

  private static boolean contains(String environment, String entry) {
    return ProcessTree.containsEntry(
        environment.getBytes(StandardCharsets.US_ASCII), entry.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void anEntryMatchesOnlyWhole() {
    assertThat(contains("A=1\0GATEKIT_RUN_X=1\0B=2\0", "GATEKIT_RUN_X=1")).isTrue();
    assertThat(contains("GATEKIT_RUN_X=1", "GATEKIT_RUN_X=1")).isTrue();
    assertThat(contains("A=1\0GATEKIT_RUN_X=1", "GATEKIT_RUN_X=1")).isTrue();
    assertThat(contains("A=1\0GATEKIT_RUN_X=10\0", "GATEKIT_RUN_X=1")).isFalse();
    assertThat(contains("A=1\0XGATEKIT_RUN_X=1\0", "GATEKIT_RUN_X=1")).isFalse();
    assertThat(contains("B=GATEKIT_RUN_X=1\0", "GATEKIT_RUN_X=1")).isFalse();
    assertThat(contains("", "GATEKIT_RUN_X=1")).isFalse();
  }

  @Test
  void theMarkedProcessesAreFoundEvenWhenOrphanedAndOthersAreNot() throws Exception {
    ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", "(sleep 1000 &) ; echo started; exec sleep 1000");
    ProcessTree tree = ProcessTree.marking(builder);
    assertThat(builder.environment()).containsEntry(tree.variable(), "1");
    Process unmarked = new ProcessBuilder("sleep", "1000").start();
    Process process = builder.start();
    try {
      assertThat(process.getInputStream().read()).isEqualTo('s'); // the orphan has been started
      List<ProcessHandle> members = tree.members();
      assertThat(members).extracting(ProcessHandle::pid).contains(process.pid()).doesNotContain(unmarked.pid());
      assertThat(members).hasSize(2); // the sleep that was exec'd, and the orphaned one
      assertThat(members).anySatisfy(p -> assertThat(p.parent().map(ProcessHandle::pid)).isNotEqualTo(java.util.Optional.of(process.pid())));
    } finally {
      tree.members().forEach(ProcessHandle::destroyForcibly);
      unmarked.destroyForcibly();
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    assertThat(unmarked.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }
}
