package dev.gatekit.server.http.internal;

import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty's thread pool for the front, with one shortcut. When a response completes on a thread that
 * is not handling its request — an upstream's reader that wrote the answer — Jetty resumes the
 * connection (reads and handles the client's next request) by handing the {@link Connection} itself
 * to the pool: a thread wake-up per request. Inside {@link #resumeHere} that resumption runs on the calling thread instead.
 * It is safe there because the front's handler never blocks ({@link McpHandler}: a request is parsed,
 * checked and given to the proxy, which only queues it for the upstream) and because the caller holds
 * no lock (a session's answer is written after its lock is released). Every other task goes to the
 * pool as usual.
 */
public final class FrontThreadPool extends QueuedThreadPool {

  private static final ThreadLocal<Boolean> RESUME_HERE = ThreadLocal.withInitial(() -> Boolean.FALSE);

  /**
   * Runs {@code write} (a response's last write) so that, when it completes the response at once, the
   * connection goes on to the client's next request on this thread. The caller must hold no lock.
   */
  static void resumeHere(Runnable write) {
    if (RESUME_HERE.get()) {
      write.run();
      return;
    }
    RESUME_HERE.set(Boolean.TRUE);
    try {
      write.run();
    } finally {
      RESUME_HERE.set(Boolean.FALSE);
    }
  }

  @Override
  public void execute(Runnable job) {
    if (job instanceof Connection && RESUME_HERE.get() && isRunning()) {
      RESUME_HERE.set(Boolean.FALSE); // what the next request's handling writes is resumed by the pool
      try {
        job.run();
      } finally {
        RESUME_HERE.set(Boolean.TRUE);
      }
      return;
    }
    super.execute(job);
  }
}
