/*
 * The cheapest process that can stand between a client and an upstream, for CommandHopBenchmark's
 * peer "c-relay": the floor under any gateway's hop on this machine, against which Gatekit's added
 * round trip is compared in the same run.
 *
 *   line_relay UPSTREAM [ARGS...]
 *
 * starts UPSTREAM with pipes for its stdin and stdout, then one thread loops on poll() over its own
 * stdin and the upstream's stdout and copies whatever arrives to the other side with one read() and
 * one write() (bytes, not lines: no parsing, no id rewriting, no queue). So a sequential round trip
 * wakes it exactly twice, once per direction: no gateway can do with fewer, since something must
 * wake to read each side. It ends when its stdin ends (closing the upstream's stdin, then waiting for
 * it) or when the upstream's stdout ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUFFER_SIZE (64 * 1024)

static char buffer[BUFFER_SIZE];

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
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

/* Copies what one read() of from gives to to; returns 0, or -1 at the end of from or on an error. */
static int copy(int from, int to) {
  ssize_t n;
  do {
    n = read(from, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    return -1;
  }
  return write_all(to, buffer, (size_t) n);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: line_relay UPSTREAM [ARGS...]\n");
    return 2;
  }
  int to_upstream[2];
  int from_upstream[2];
  if (pipe(to_upstream) != 0 || pipe(from_upstream) != 0) {
    perror("line_relay: pipe");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  pid_t child = fork();
  if (child < 0) {
    perror("line_relay: fork");
    return 1;
  }
  if (child == 0) {
    dup2(to_upstream[0], STDIN_FILENO);
    dup2(from_upstream[1], STDOUT_FILENO);
    close(to_upstream[0]);
    close(to_upstream[1]);
    close(from_upstream[0]);
    close(from_upstream[1]);
    execvp(argv[1], argv + 1);
    perror("line_relay: exec");
    _exit(127);
  }
  close(to_upstream[0]);
  close(from_upstream[1]);
  struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {from_upstream[0], POLLIN, 0}};
  for (;;) {
    int ready = poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      perror("line_relay: poll");
      break;
    }
    if (fds[0].revents != 0 && copy(STDIN_FILENO, to_upstream[1]) != 0) {
      break; /* the client is gone */
    }
    if (fds[1].revents != 0 && copy(from_upstream[0], STDOUT_FILENO) != 0) {
      break; /* the upstream is gone */
    }
  }
  close(to_upstream[1]);
  close(from_upstream[0]);
  waitpid(child, NULL, 0);
  return 0;
}
