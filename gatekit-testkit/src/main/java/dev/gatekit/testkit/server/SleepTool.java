package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code sleep {ms}}: answers "slept &lt;ms&gt; ms" after {@code ms} milliseconds. The answer is
 * scheduled, never slept on a thread, so any number of calls wait together; cancelling the call
 * cancels its answer.
 */
final class SleepTool implements Tool {

  static final long MAX_MILLIS = TimeUnit.DAYS.toMillis(1);

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{"ms":{"type":"integer","minimum":0,"maximum":86400000,
           "description":"How long to wait before answering, in milliseconds"}},"required":["ms"]}
          """);

  private final ScheduledExecutorService scheduler;

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
    Exchange exchange = call.exchange();
    ScheduledFuture<?> answer =
        scheduler.schedule(
            () -> exchange.respond(ToolResults.text("slept " + millis + " ms")),
            millis,
            TimeUnit.MILLISECONDS);
    exchange.onCancel(() -> answer.cancel(false));
  }
}
