/*
 * sigchild: the child that runs *under* each init in the benchmark.
 *
 *   sigchild lat FIFO        latency child: on each SIGUSR1/SIGUSR2/SIGHUP/SIGWINCH, stamp
 *                            CLOCK_MONOTONIC inside the handler and write the 8-byte stamp to
 *                            FIFO (write(2) is async-signal-safe). SIGTERM keeps its default
 *                            action, so the init's usual stop ends the run.
 *   sigchild storm SHMFILE   storm child: count every SIGUSR1/SIGUSR2/SIGHUP/SIGWINCH/SIGTERM in
 *                            a shared-memory record (see struct storm_shm, also used by
 *                            sigsend.c) and exit 0 when the sender sets `release`.
 *   sigchild ignterm         ignores SIGTERM (SIG_IGN), prints "ready", sleeps until killed.
 *   sigchild wait SHMFILE    latency child of the "all targets alive" method: blocks SIGHUP and
 *                            SIGUSR2 and takes them with sigwaitinfo() in a loop, stamping
 *                            CLOCK_MONOTONIC when it returns; each receipt (signo, stamp) goes into
 *                            a shared-memory record (struct multi_shm, also used by sigsend.c).
 *                            SIGTERM keeps its default action, so the init's usual stop ends it.
 *                            Blocked signals reach even a PID 1 with no handler, so this also runs
 *                            as PID 1 of its own namespace (then only SIGKILL from outside ends it).
 *                            PR_SET_PDEATHSIG(SIGKILL): it dies with its parent, never left behind.
 *
 * Each mode prints "ready <pid>\n" on stdout once its handlers are installed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "multi-shm.h"
#include "storm-shm.h"

static int out_fd = -1;
static struct storm_shm *shm;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_lat(int sig) {
  int saved = errno;
  int64_t t = now_ns();
  (void)sig;
  if (write(out_fd, &t, sizeof t) < 0) { /* the sender went away: nothing to do */ }
  errno = saved;
}

static void on_storm(int sig) {
  int64_t t = now_ns();
  __atomic_add_fetch(&shm->count[sig], 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&shm->total, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&shm->last_ns, t, __ATOMIC_RELAXED);
  if (sig == SIGTERM) {
    __atomic_store_n(&shm->term_ns, t, __ATOMIC_RELAXED);
    __atomic_store_n(&shm->term, 1, __ATOMIC_RELEASE);
  }
}

static void install(int sig, void (*fn)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = fn;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) { perror("sigaction"); exit(70); }
}

static void unblock_all(void) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
}

static void say_ready(void) {
  printf("ready %d\n", (int)getpid());
  fflush(stdout);
}

static int run_lat(const char *fifo) {
  static const int sigs[] = {SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) install(sigs[i], on_lat);
  signal(SIGTERM, SIG_DFL);
  unblock_all();
  out_fd = open(fifo, O_WRONLY); /* blocks until the sender opens the read end */
  if (out_fd < 0) { perror(fifo); return 71; }
  int64_t hello = 0; /* a zero stamp = "handlers are installed" */
  if (write(out_fd, &hello, sizeof hello) != sizeof hello) { perror("write"); return 71; }
  say_ready();
  for (;;) pause();
}

static int run_storm(const char *path) {
  int fd = open(path, O_RDWR);
  if (fd < 0) { perror(path); return 71; }
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (shm == MAP_FAILED) { perror("mmap"); return 71; }
  static const int sigs[] = {SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH, SIGTERM};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) install(sigs[i], on_storm);
  unblock_all();
  shm->child_pid = getpid();
  __atomic_store_n(&shm->ready, 1, __ATOMIC_RELEASE);
  say_ready();
  /* Poll for release (10 ms): this child only lives for one storm, its own wake-ups do not matter.
     Give up after 120 s so a broken run never leaves it behind. */
  for (int i = 0; i < 12000 && !__atomic_load_n(&shm->release, __ATOMIC_ACQUIRE); i++) usleep(10000);
  return 0;
}

static int run_ignterm(void) {
  signal(SIGTERM, SIG_IGN);
  unblock_all();
  say_ready();
  for (;;) pause();
  return 0;
}

static int run_wait(const char *path) {
  int fd = open(path, O_RDWR);
  if (fd < 0) { perror(path); return 71; }
  struct stat st;
  if (fstat(fd, &st) != 0 || (size_t)st.st_size < MULTI_SHM_BYTES(1)) { fprintf(stderr, "sigchild: %s too small\n", path); return 71; }
  struct multi_shm *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 71; }
  close(fd);
  m->cap = ((size_t)st.st_size - sizeof *m) / sizeof m->rec[0];
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR2);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGUSR2, SIG_DFL);
  if (sigprocmask(SIG_SETMASK, &set, NULL) != 0) { perror("sigprocmask"); return 70; } /* only these two blocked */
  /* an init SIGKILLed by the harness must not leave this child behind: die with the parent */
  pid_t ppid = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != ppid) return 0;
  m->child_pid = getpid();
  __atomic_store_n(&m->ready, 1, __ATOMIC_RELEASE);
  say_ready();
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    int64_t t = now_ns();
    if (sig < 0) {
      if (errno == EINTR) continue;
      perror("sigwaitinfo");
      return 72;
    }
    uint64_t n = __atomic_load_n(&m->count, __ATOMIC_RELAXED);
    if (n < m->cap) {
      m->rec[n].signo = sig;
      m->rec[n].code = si.si_code;
      m->rec[n].ns = t;
      __atomic_store_n(&m->count, n + 1, __ATOMIC_RELEASE);
    } else {
      __atomic_add_fetch(&m->overflow, 1, __ATOMIC_RELAXED);
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "lat") == 0) return run_lat(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "storm") == 0) return run_storm(argv[2]);
  if (argc >= 2 && strcmp(argv[1], "ignterm") == 0) return run_ignterm();
  if (argc >= 3 && strcmp(argv[1], "wait") == 0) return run_wait(argv[2]);
  fprintf(stderr, "usage: sigchild lat FIFO | storm SHMFILE | ignterm | wait SHMFILE\n");
  return 2;
}
