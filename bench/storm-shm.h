/* Shared record between sigchild (storm mode) and sigsend (storm mode): an mmap'ed file. */
#ifndef STORM_SHM_H
#define STORM_SHM_H
#include <stdint.h>

struct storm_shm {
  uint64_t ready;       /* child: handlers installed */
  uint64_t release;     /* sender: the child may exit now */
  int64_t child_pid;
  uint64_t total;       /* signals received by the child, all kinds */
  int64_t last_ns;      /* CLOCK_MONOTONIC of the latest receipt */
  uint64_t term;        /* SIGTERM received */
  int64_t term_ns;      /* ... and when */
  uint64_t count[65];   /* per signal number */
};

#endif
