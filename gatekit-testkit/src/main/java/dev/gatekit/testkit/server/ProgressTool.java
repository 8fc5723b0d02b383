package dev.gatekit.testkit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatekit.api.JsonRpcNotification;
import dev.gatekit.api.McpMethods;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@code progress {steps, interval_ms?}}: takes {@code steps} steps {@code interval_ms} apart
 * (default 0), sending {@code notifications/progress} for each when the call carries {@code
 * _meta.progressToken}, then answers "done &lt;steps&gt; steps". Steps are scheduled, never slept;
 * cancelling the call stops them.
 */
final class ProgressTool implements Tool {

  static final long MAX_STEPS = 1_000_000;

  private final ObjectNode schema =
      JsonSchemas.parse(
          """
          {"type":"object","properties":{
            "steps":{"type":"integer","minimum":0,"maximum":1000000,"description":"How many steps"},
            "interval_ms":{"type":"integer","minimum":0,"maximum":86400000,
              "description":"Milliseconds between steps (default 0)"}},
           "required":["steps"]}
          """);

  private final MessageWriter writer;
  private final ScheduledExecutorService scheduler;

  ProgressTool(MessageWriter writer, ScheduledExecutorService scheduler) {
    this.writer = writer;
    this.scheduler = scheduler;
  }

  @Override
  public String name() {
    return "progress";
  }

  @Override
  public String description() {
    return "Reports progress in steps (when the call has a progress token), then answers.";
  }

  @Override
  public ObjectNode inputSchema() {
    return schema;
  }

  @Override
  public void call(ToolCall call) {
    long steps = call.arguments().requiredLong("steps", 0, MAX_STEPS);
    long interval = call.arguments().optionalLong("interval_ms", 0, 0, SleepTool.MAX_MILLIS);
    Run run = new Run(call.exchange(), call.progressToken(), steps, interval);
    if (interval == 0) {
      run.allSteps();
    } else {
      call.exchange().onCancel(run::stop);
      run.scheduleNext();
    }
  }

  /** The steps of one call. */
  private final class Run implements Runnable {
    private final Exchange exchange;
    private final @Nullable JsonNode token;
    private final long steps;
    private final long interval;
    private long done;
    private volatile @Nullable ScheduledFuture<?> next;

    Run(Exchange exchange, @Nullable JsonNode token, long steps, long interval) {
      this.exchange = exchange;
      this.token = token;
      this.steps = steps;
      this.interval = interval;
    }

    void allSteps() {
      while (done < steps) {
        step();
      }
      finish();
    }

    void scheduleNext() {
      if (done == steps) {
        finish();
      } else if (!exchange.isFinished()) {
        next = scheduler.schedule(this, interval, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void run() {
      if (exchange.isFinished()) {
        return;
      }
      step();
      scheduleNext();
    }

    void stop() {
      ScheduledFuture<?> scheduled = next;
      if (scheduled != null) {
        scheduled.cancel(false);
      }
    }

    private void step() {
      done++;
      if (token != null) {
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        params.set("progressToken", token.deepCopy());
        params.put("progress", done);
        params.put("total", steps);
        params.put("message", "step " + done + " of " + steps);
        writer.send(new JsonRpcNotification(McpMethods.NOTIFICATIONS_PROGRESS, params));
      }
    }

    private void finish() {
      exchange.respond(ToolResults.text("done " + steps + " steps"));
    }
  }
}
