package dev.gatekit.benchmarks;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The Java fallback of the pipe baseline's upstream, for machines without a C compiler: the same
 * logic as {@code line_echo.c}. Each read takes whatever stdin holds (up to 64 KiB) and one write
 * returns every complete line of it; raw bytes, nothing parsed.
 */
public final class LineEcho {

  private static final int BUFFER_SIZE = 64 * 1024;

  private LineEcho() {}

  /** Echoes stdin to stdout line by line until stdin ends. */
  public static void main(String[] args) throws IOException {
    try (InputStream in = new FileInputStream(FileDescriptor.in);
        OutputStream out = new FileOutputStream(FileDescriptor.out)) {
      echo(in, out);
    }
  }

  static void echo(InputStream in, OutputStream out) throws IOException {
    byte[] buffer = new byte[BUFFER_SIZE];
    int held = 0;
    while (true) {
      int n = in.read(buffer, held, buffer.length - held);
      if (n < 0) {
        break;
      }
      held += n;
      int complete = held;
      while (complete > 0 && buffer[complete - 1] != '\n') {
        complete--;
      }
      if (complete == 0) {
        if (held < buffer.length) {
          continue; // wait for the end of the line
        }
        complete = held; // a line longer than the buffer: pass it on in pieces
      }
      out.write(buffer, 0, complete);
      System.arraycopy(buffer, complete, buffer, 0, held - complete);
      held -= complete;
    }
    out.write(buffer, 0, held);
  }
}
