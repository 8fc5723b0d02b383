package dev.gatekit.testkit.server;

import dev.gatekit.api.JsonRpcCodec;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.jspecify.annotations.Nullable;

/**
 * A real MCP server over stdio for tests, demos and benchmarks: newline-delimited JSON-RPC 2.0 in
 * UTF-8, one message per line, on stdin and stdout. Start it with {@link TestServer}.
 *
 * <p><b>Protocol.</b> {@code initialize} (the client's protocol version if it is 2025-11-25,
 * 2025-06-18 or 2025-03-26, else 2025-11-25; capabilities tools and logging), {@code ping}, {@code
 * tools/list}, {@code tools/call}, {@code logging/setLevel}; other requests get -32601. {@code
 * notifications/cancelled} cancels a pending tool call (it is never answered) and is recorded with
 * its id as it came; other notifications are ignored. Responses from the client complete the
 * server's own requests (sampling). A line that is not a valid message gets a -32700 or -32600
 * error response (a malformed response is dropped), and the server keeps serving; blank lines are
 * skipped.
 *
 * <p><b>Tools.</b>
 *
 * <ul>
 *   <li>{@code echo {text}}: text content equal to {@code text}.
 *   <li>{@code sleep {ms}}: "slept &lt;ms&gt; ms" after {@code ms} milliseconds; scheduled, so any
 *       number of sleeps wait together.
 *   <li>{@code fail {code?, message?}}: a JSON-RPC error response, by default -32603 "Failure
 *       requested by the fail tool".
 *   <li>{@code invalid_answer {kind}}: answers with an invalid response to its own id (both result
 *       and error, invalid UTF-8, a bad error, a batch); see {@link InvalidAnswerTool}.
 *   <li>{@code progress {steps, interval_ms?}}: with {@code _meta.progressToken}, a {@code
 *       notifications/progress} per step, then "done &lt;steps&gt; steps".
 *   <li>{@code sample {prompt}}: asks the client with {@code sampling/createMessage} (ids {@code
 *       "srv-1"}, {@code "srv-2"}, ...) and answers with the text the client returned.
 *   <li>{@code notify {method?, count?}}: sends {@code count} notifications (default 1 of {@code
 *       notifications/message}) before answering.
 *   <li>{@code stats {}}: {@code {"inFlight","maxInFlight","requests","cancelled"}} as structured
 *       content and JSON text; tool calls are in flight from arrival to answer (the stats tools
 *       themselves do not count). {@code reset_stats {}} resets {@code maxInFlight} and {@code
 *       cancelled}.
 * </ul>
 *
 * <p><b>Threads.</b> One thread reads and answers cheap requests directly, writing the answers to
 * the lines of one read with one flush; one scheduler thread sends delayed answers, which one writer
 * thread writes in batches with one flush each. Nothing but protocol
 * messages goes to stdout ({@code System.out} is pointed at stderr); diagnostics go to stderr.
 *
 * <p><b>End of input.</b> When stdin ends, the server writes and flushes every message already
 * queued and exits with code 0 at once; answers still waiting (sleeps, progress, sampling) are
 * dropped.
 *
 * <p><b>Fault modes</b> are chosen by command-line flags (run with {@code --help}); an invalid
 * command line prints the usage to stderr and exits with code 2.
 *
 * <p><b>Exit codes.</b> 0 at the end of input (or for {@code --help}); 1 when stdin or stdout fails;
 * 2 for an invalid command line; the chosen code for {@code --exit-after} (3 unless {@code
 * --exit-code} says otherwise) and {@code --exit-now}. Every exit with a code other than 0 says
 * why on stderr.
 */
public final class TestMcpServer {

  /** The exit code for an invalid command line. */
  public static final int USAGE_EXIT_CODE = 2;

  private TestMcpServer() {}

  /** Runs the server on stdin and stdout until stdin ends or a fault mode ends it. */
  public static void main(String[] args) {
    Stderr stderr = new Stderr(System.err);
    if (CommandLine.asksForHelp(args)) {
      System.err.print(CommandLine.USAGE);
      System.exit(0);
    }
    ServerOptions options;
    try {
      options = CommandLine.parse(args);
    } catch (UsageException e) {
      System.err.println("gatekit-test-server: " + e.getMessage());
      System.err.print(CommandLine.USAGE);
      System.exit(USAGE_EXIT_CODE);
      return;
    }
    OutputStream stdout = new FileOutputStream(FileDescriptor.out);
    System.setOut(System.err); // nothing but protocol messages may reach stdout
    try {
      run(options, stdout, stderr);
    } catch (IOException e) {
      stderr.line("cannot read stdin, exiting: " + e);
      System.exit(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.exit(1);
    }
  }

  private static void run(ServerOptions options, OutputStream stdout, Stderr stderr)
      throws IOException, InterruptedException {
    if (options.exitNowCode().isPresent()) {
      int code = options.exitNowCode().getAsInt();
      stderr.line("exiting at once with code " + code + " as asked (--exit-now)");
      System.exit(code);
    }
    if (options.stderrFloodBytes().isPresent()) {
      stderr.flood(options.stderrFloodBytes().getAsLong());
    }
    if (options.startDelayMillis() > 0) {
      stderr.line("waiting " + options.startDelayMillis() + " ms before reading (--start-delay)");
      Thread.sleep(options.startDelayMillis());
    }

    JsonRpcCodec codec = JsonRpcCodec.get();
    MessageWriter writer =
        new MessageWriter(
            stdout,
            codec,
            new ResponseFaults(options, codec),
            (code, reason) -> exit(stderr, code, reason));
    ScheduledExecutorService scheduler = scheduler();
    ServerStats stats = new ServerStats();
    OutboundRequests outbound = new OutboundRequests(writer);
    ToolRegistry tools =
        new ToolRegistry(
            List.of(
                new EchoTool(),
                new SleepTool(scheduler),
                new FailTool(),
                new InvalidAnswerTool(),
                new ProgressTool(writer, scheduler),
                new SampleTool(outbound),
                new NotifyTool(writer),
                new StatsTool(stats),
                new ResetStatsTool(stats)));
    MessageDispatcher dispatcher =
        new MessageDispatcher(options, codec, writer, tools, outbound, stats, stderr);

    writer.writeInlineFrom(Thread.currentThread());
    writer.start();
    new LineReader(new FileInputStream(FileDescriptor.in)).readAll(dispatcher);
    writer.exitAfterPending(0, null);
    writer.awaitExit();
  }

  private static ScheduledExecutorService scheduler() {
    ScheduledThreadPoolExecutor scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "gatekit-test-server-scheduler");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    return scheduler;
  }

  private static void exit(Stderr stderr, int code, @Nullable String reason) {
    if (reason != null) {
      stderr.line(reason);
    }
    System.exit(code);
  }
}
