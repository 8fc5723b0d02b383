/*
 * The most minimal line-echo upstream for the pipe baseline of the Gatekit benchmarks: every line
 * read from stdin is written back to stdout, unchanged.
 *
 * One read() takes whatever stdin holds (up to 64 KiB) and one write() returns every complete line
 * of it, so output is "flushed" exactly when no more input is buffered, and a burst of N lines
 * costs a few system calls, not N. A partial line waits for its end; nothing is parsed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define BUFFER_SIZE (64 * 1024)

static char buffer[BUFFER_SIZE];

static int write_all(const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(STDOUT_FILENO, data, length);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    data += n;
    length -= (size_t) n;
  }
  return 0;
}

int main(void) {
  size_t held = 0;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buffer + held, BUFFER_SIZE - held);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 1;
    }
    if (n == 0) {
      break;
    }
    held += (size_t) n;
    size_t complete = held;
    while (complete > 0 && buffer[complete - 1] != '\n') {
      complete--;
    }
    if (complete == 0) {
      if (held < BUFFER_SIZE) {
        continue; /* wait for the end of the line */
      }
      complete = held; /* a line longer than the buffer: pass it on in pieces */
    }
    if (write_all(buffer, complete) != 0) {
      return 1;
    }
    memmove(buffer, buffer + complete, held - complete);
    held -= complete;
  }
  return write_all(buffer, held) == 0 ? 0 : 1;
}
