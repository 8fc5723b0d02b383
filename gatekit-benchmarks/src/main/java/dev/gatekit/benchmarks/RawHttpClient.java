package dev.gatekit.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * A load generator's HTTP/1.1 client: keep-alive connections, one request at a time on each, all
 * served by one selector thread. It costs a few microseconds of CPU per exchange, so a benchmark with
 * it measures the server, not the client ({@code java.net.http} at 100 connections spent more CPU
 * than the front it measured). It understands what MCP fronts answer: a body by {@code
 * Content-Length}, {@code Transfer-Encoding: chunked} (an SSE stream that ends after the answer) or
 * until the connection closes. A connection the server closed while idle (a front's idle timeout,
 * say while a benchmark opens its other sessions) is opened again by its next request, and a request
 * that finds its connection closed before any byte of an answer came is sent once more on a new one,
 * as HTTP clients do with a stale keep-alive connection. A future completes on the selector thread; what it runs there must not block.
 */
final class RawHttpClient implements AutoCloseable {

  /** One HTTP response: status, content type (lower case, "" when none), body. */
  record Answer(int status, String contentType, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  RawHttpClient() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::run, "raw-http-client");
    thread.setDaemon(true);
    thread.start();
  }

  /** Opens a keep-alive connection to {@code endpoint}'s host and port (blocking connect). */
  Connection connect(URI endpoint) throws IOException {
    SocketChannel channel = open(endpoint);
    Connection connection = new Connection(channel, endpoint);
    CompletableFuture<Void> registered = new CompletableFuture<>();
    execute(() -> {
      try {
        connection.key = channel.register(selector, SelectionKey.OP_READ, connection); // notices an idle close
        registered.complete(null);
      } catch (IOException e) {
        registered.completeExceptionally(e);
      }
    });
    registered.join();
    return connection;
  }

  private static SocketChannel open(URI endpoint) throws IOException {
    SocketChannel channel = SocketChannel.open(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()));
    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
    channel.configureBlocking(false);
    return channel;
  }

  private void execute(Runnable task) {
    tasks.add(task);
    if (Thread.currentThread() != thread) {
      selector.wakeup();
    }
  }

  private void run() {
    try {
      while (!closed) {
        Runnable task;
        while ((task = tasks.poll()) != null) {
          task.run();
        }
        selector.select();
        Iterator<SelectionKey> ready = selector.selectedKeys().iterator();
        while (ready.hasNext()) {
          SelectionKey key = ready.next();
          ready.remove();
          Connection connection = (Connection) key.attachment();
          if (!key.isValid()) {
            connection.fail(new IOException("connection closed"));
            continue;
          }
          if (key.isWritable()) {
            connection.flush();
          }
          if (key.isValid() && key.isReadable()) {
            connection.read();
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        e.printStackTrace();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    selector.wakeup();
    try {
      thread.join(5_000);
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
      selector.close();
    } catch (IOException e) {
      // closing anyway
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One keep-alive connection; one request in flight at a time. */
  final class Connection {
    private final URI endpoint;
    private SocketChannel channel;
    private final String requestHead;
    private final ByteBuffer in = ByteBuffer.allocate(64 * 1024);
    private @Nullable SelectionKey key;
    private @Nullable ByteBuffer out;
    private @Nullable CompletableFuture<Answer> pending;
    /** The request in flight, whole, to send again on a new connection if this one was stale. */
    private @Nullable ByteBuffer sent;
    private boolean retried;
    // The response being parsed.
    private int status = -1;
    private String contentType = "";
    private long contentLength = -1;
    private boolean chunked;
    private long chunkLeft = -1;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    private Connection(SocketChannel channel, URI endpoint) {
      this.endpoint = endpoint;
      this.channel = channel;
      this.requestHead = "POST " + endpoint.getRawPath() + " HTTP/1.1\r\nHost: " + endpoint.getHost() + ":" + endpoint.getPort()
          + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n";
    }

    /**
     * POSTs {@code body} with the extra header lines {@code headers} (each ending in CRLF); completes
     * with the response. May be called from any thread, once the previous answer completed.
     */
    CompletableFuture<Answer> post(String extraHeaders, byte[] payload) {
      byte[] head = (requestHead + extraHeaders + "Content-Length: " + payload.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      ByteBuffer request = ByteBuffer.allocate(head.length + payload.length).put(head).put(payload).flip();
      CompletableFuture<Answer> answer = new CompletableFuture<>();
      if (Thread.currentThread() == thread) {
        start(request, answer);
      } else {
        execute(() -> start(request, answer));
      }
      return answer;
    }

    private void start(ByteBuffer request, CompletableFuture<Answer> answer) {
      if (pending != null) {
        answer.completeExceptionally(new IllegalStateException("a request is already in flight on this connection"));
        return;
      }
      pending = answer;
      sent = request.duplicate();
      retried = false;
      if (!channel.isOpen()) {
        try {
          reopen();
        } catch (IOException e) {
          fail(e);
          return;
        }
      }
      out = request;
      flush();
      if (pending == answer && key != null && key.isValid()) {
        key.interestOps(key.interestOps() | SelectionKey.OP_READ);
      }
    }

    /** Opens the connection again after the server closed it; on the selector thread. */
    private void reopen() throws IOException {
      channel = open(endpoint);
      key = channel.register(selector, SelectionKey.OP_READ, this);
      in.clear();
    }

    /** The server closed the connection before answering at all: a stale one; the request goes again once. */
    private void resendOnNewConnection(ByteBuffer request) {
      retried = true;
      if (key != null) {
        key.cancel();
      }
      try {
        channel.close();
        reopen();
      } catch (IOException e) {
        fail(e);
        return;
      }
      out = request.duplicate().rewind();
      flush();
    }

    private void flush() {
      ByteBuffer buffer = out;
      if (buffer == null || key == null) {
        return;
      }
      try {
        channel.write(buffer);
      } catch (IOException e) {
        fail(e);
        return;
      }
      if (buffer.hasRemaining()) {
        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
      } else {
        out = null;
        key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
      }
    }

    private void read() {
      int n;
      try {
        n = channel.read(in);
      } catch (IOException e) {
        fail(e);
        return;
      }
      if (n < 0) {
        ByteBuffer request = sent;
        if (pending != null && status < 0 && in.position() == 0 && !retried && request != null) {
          resendOnNewConnection(request);
          return;
        }
        if (pending != null && status > 0 && contentLength < 0 && !chunked) {
          in.flip();
          body.write(in.array(), in.position(), in.remaining());
          complete();
        }
        fail(new IOException("the server closed the connection"));
        return;
      }
      in.flip();
      parse();
      in.compact();
      if (!in.hasRemaining()) {
        fail(new IOException("a header or chunk line longer than the buffer"));
      }
    }

    /** Parses what the buffer (in read mode) holds, as far as it goes. */
    private void parse() {
      while (pending != null) {
        if (status < 0) {
          if (!parseHead()) {
            return;
          }
        } else if (chunked) {
          if (chunkLeft < 0) {
            String line = line();
            if (line == null) {
              return;
            }
            if (line.isEmpty()) {
              continue; // the CRLF after a chunk's data
            }
            int semicolon = line.indexOf(';');
            chunkLeft = Long.parseLong((semicolon < 0 ? line : line.substring(0, semicolon)).trim(), 16);
            if (chunkLeft == 0) {
              if (line() == null) { // the CRLF that ends the trailers (none expected)
                chunkLeft = -2;
                return;
              }
              complete();
            }
          } else if (chunkLeft == -2) {
            if (line() == null) {
              return;
            }
            complete();
          } else {
            int take = (int) Math.min(chunkLeft, in.remaining());
            if (take == 0) {
              return;
            }
            body.write(in.array(), in.position(), take);
            in.position(in.position() + take);
            chunkLeft -= take;
            if (chunkLeft == 0) {
              chunkLeft = -1;
            }
          }
        } else if (contentLength >= 0) {
          int take = (int) Math.min(contentLength - body.size(), in.remaining());
          body.write(in.array(), in.position(), take);
          in.position(in.position() + take);
          if (body.size() == contentLength) {
            complete();
          } else {
            return;
          }
        } else {
          body.write(in.array(), in.position(), in.remaining()); // until the connection closes
          in.position(in.limit());
          return;
        }
      }
    }

    private boolean parseHead() {
      int start = in.position();
      int end = -1;
      for (int i = start; i + 3 < in.limit(); i++) {
        if (in.get(i) == '\r' && in.get(i + 1) == '\n' && in.get(i + 2) == '\r' && in.get(i + 3) == '\n') {
          end = i;
          break;
        }
      }
      if (end < 0) {
        return false;
      }
      String head = new String(in.array(), start, end - start, StandardCharsets.ISO_8859_1);
      in.position(end + 4);
      String[] lines = head.split("\r\n");
      status = Integer.parseInt(lines[0].split(" ", 3)[1]);
      contentType = "";
      contentLength = -1;
      chunked = false;
      chunkLeft = -1;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim();
        switch (name) {
          case "content-type" -> contentType = value.toLowerCase(Locale.ROOT);
          case "content-length" -> contentLength = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
          default -> { }
        }
      }
      if (chunked) {
        contentLength = -1;
      }
      if (status == 204 || status == 304 || contentLength == 0) {
        complete();
      }
      return true;
    }

    private @Nullable String line() {
      for (int i = in.position(); i + 1 < in.limit(); i++) {
        if (in.get(i) == '\r' && in.get(i + 1) == '\n') {
          String line = new String(in.array(), in.position(), i - in.position(), StandardCharsets.ISO_8859_1);
          in.position(i + 2);
          return line;
        }
      }
      return null;
    }

    private void complete() {
      CompletableFuture<Answer> answer = pending;
      Answer done = new Answer(status, contentType, body.toByteArray());
      pending = null;
      status = -1;
      body.reset();
      if (answer != null) {
        answer.complete(done); // may send the next request on this thread
      }
    }

    private void fail(IOException e) {
      CompletableFuture<Answer> answer = pending;
      pending = null;
      status = -1;
      body.reset();
      if (key != null) {
        key.cancel();
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      if (answer != null) {
        answer.completeExceptionally(e);
      }
    }
  }
}
