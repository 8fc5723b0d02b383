package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code sleep {ms, gate?}}: answers "slept &lt;ms&gt; ms" after {@code ms} milliseconds. The answer is
 * scheduled, never slept on a thread, so any number of calls wait together; cancelling the call
 * cancels its answer.
 *
 * <p>With {@code gate: N}, the clock of a call starts only once N calls with that gate have arrived
 * (the N-th starts them all). A client that sends N gated calls one after another, each waiting for
 * its answer, never gets one; a client that really has N in flight gets all N answers, whatever the
 * machine's load. Tests use it to prove concurrency by observation rather than by timing.
 */
final class SleepTool implements Tool {

  static final long MAX_MILLIS = TimeUnit.DAYS.toMillis(1);

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{"ms":{"type":"integer","minimum":0,"maximum":86400000,
           "description":"How long to wait before answering, in milliseconds"},
           "gate":{"type":"integer","minimum":1,"maximum":1000000,
           "description":"Start the clock only once this many calls with the same gate are waiting"}},
           "required":["ms"]}
          """);

  private final ScheduledExecutorService scheduler;
  private final Map<Long, List<Runnable>> gates = new HashMap<>();

  SleepTool(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  @Override
  public String name() {
    return "sleep";
  }

  @Override
  public String description() {
    return "Waits the given number of milliseconds, then answers.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    long millis = call.arguments().requiredLong("ms", 0, MAX_MILLIS);
    long gate = call.arguments().optionalLong("gate", 0, 1, 1_000_000);
    Exchange exchange = call.exchange();
    Runnable startClock =
        () -> {
          ScheduledFuture<?> answer =
              scheduler.schedule(
                  () -> exchange.respond(ToolResults.text("slept " + millis + " ms")),
                  millis,
                  TimeUnit.MILLISECONDS);
          exchange.onCancel(() -> answer.cancel(false));
        };
    if (gate == 0) {
      startClock.run();
      return;
    }
    List<Runnable> opened = null;
    synchronized (gates) {
      List<Runnable> waiting = gates.computeIfAbsent(gate, g -> new ArrayList<>());
      waiting.add(startClock);
      if (waiting.size() >= gate) {
        opened = gates.remove(gate);
      }
    }
    if (opened != null) {
      opened.forEach(Runnable::run);
    }
  }
}
