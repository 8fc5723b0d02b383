/*
 * The most minimal MCP upstream there is, for CommandHopBenchmark: like line_echo.c, but every
 * request line is answered with one JSON-RPC response line carrying the request's id, so that a
 * gateway (which correlates responses by id) can stand in front of it.
 *
 * - A line with an "id": member and "method":"initialize" gets an initialize result (protocol
 *   version 2025-11-25, the tools capability).
 * - Any other line with an "id": member gets the result of the benchmarks' echo call:
 *   {"content":[{"type":"text","text":"hello from the gatekit benchmarks"}]}.
 * - A line without "id": (a notification) gets nothing.
 *
 * Nothing is parsed beyond finding the first "id": of the line, which is the message's own id in
 * every line the benchmark and the gateway write (they put "jsonrpc" and "id" first). As in
 * line_echo.c, one read() takes whatever stdin holds and one write() returns the answers to every
 * complete line of it: a burst of N lines costs a few system calls, not N. A line longer than the
 * buffer is dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define BUFFER_SIZE (64 * 1024)
/* Every line with an id is at least 8 bytes ("id":1\n); its answer is at most ~200 bytes + the id. */
#define OUT_SIZE (BUFFER_SIZE * 32)

static char in[BUFFER_SIZE + 1];
static char out[OUT_SIZE];

static const char PREFIX[] = "{\"jsonrpc\":\"2.0\",\"id\":";
static const char ECHO_RESULT[] =
    ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hello from the gatekit benchmarks\"}]}}\n";
static const char INITIALIZE_RESULT[] =
    ",\"result\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"tools\":{}},"
    "\"serverInfo\":{\"name\":\"line_answer\",\"version\":\"0\"}}}\n";

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

static size_t append(size_t at, const char *data, size_t length) {
  memcpy(out + at, data, length);
  return at + length;
}

/* Appends the answer to the line [start, end) (end points at its '\n'), if it needs one. */
static size_t answer(char *start, char *end, size_t at) {
  *end = '\0';
  char *id = strstr(start, "\"id\":");
  if (id == NULL) {
    return at; /* a notification */
  }
  id += 5;
  char *id_end = id;
  if (*id_end == '"') {
    for (id_end++; id_end < end && *id_end != '"'; id_end++) {
      if (*id_end == '\\' && id_end + 1 < end) {
        id_end++;
      }
    }
    if (id_end < end) {
      id_end++;
    }
  } else {
    while (id_end < end && *id_end != ',' && *id_end != '}') {
      id_end++;
    }
  }
  if (at + sizeof PREFIX + (size_t) (id_end - id) + sizeof INITIALIZE_RESULT + sizeof ECHO_RESULT > OUT_SIZE) {
    if (write_all(out, at) != 0) {
      _exit(1);
    }
    at = 0;
  }
  at = append(at, PREFIX, sizeof PREFIX - 1);
  at = append(at, id, (size_t) (id_end - id));
  if (strstr(start, "\"method\":\"initialize\"") != NULL) {
    return append(at, INITIALIZE_RESULT, sizeof INITIALIZE_RESULT - 1);
  }
  return append(at, ECHO_RESULT, sizeof ECHO_RESULT - 1);
}

int main(void) {
  size_t held = 0;
  int dropping = 0;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, in + held, BUFFER_SIZE - held);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return 1;
    }
    if (n == 0) {
      return 0;
    }
    held += (size_t) n;
    size_t at = 0;
    char *line = in;
    char *limit = in + held;
    char *newline;
    while ((newline = memchr(line, '\n', (size_t) (limit - line))) != NULL) {
      if (!dropping) {
        at = answer(line, newline, at);
      }
      dropping = 0;
      line = newline + 1;
    }
    held = (size_t) (limit - line);
    if (held == BUFFER_SIZE) {
      dropping = 1; /* a line longer than the buffer: dropped up to its end */
      held = 0;
    } else {
      memmove(in, line, held);
    }
    if (at > 0 && write_all(out, at) != 0) {
      return 1;
    }
  }
}
