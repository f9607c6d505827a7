/* Shared record between sigchild (wait mode) and sigsend (multi mode): an mmap'ed file per target.
   The harness sizes the file (header + one struct multi_rec per expected receipt, with some room);
   the child takes its capacity from the file's size. */
#ifndef MULTI_SHM_H
#define MULTI_SHM_H
#include <stdint.h>

struct multi_rec {
  int32_t signo;        /* si_signo from sigwaitinfo */
  int32_t code;         /* si_code (SI_USER for kill(2)) */
  int64_t ns;           /* CLOCK_MONOTONIC when sigwaitinfo returned */
};

struct multi_shm {
  uint64_t ready;       /* child: SIGHUP and SIGUSR2 blocked, waiting in sigwaitinfo */
  int64_t child_pid;    /* as the child sees itself (1 as PID 1 of a namespace) */
  uint64_t count;       /* receipts recorded in rec[] (stored with release after the record) */
  uint64_t overflow;    /* receipts that did not fit */
  uint64_t cap;         /* rec[] capacity, from the file's size */
  uint64_t pad[3];
  struct multi_rec rec[];
};

#define MULTI_SHM_BYTES(n) (sizeof(struct multi_shm) + (size_t)(n) * sizeof(struct multi_rec))

#endif
