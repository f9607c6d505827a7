/*
 * sigsend: the sender side of the signal sections. Prints one JSON object on stdout.
 *
 *   sigsend lat PID SIG N FIFO GAP_US
 *       Ping-pong latency: for each of N rounds, stamp CLOCK_MONOTONIC, kill(PID, SIG), block on
 *       FIFO until the child (sigchild lat) writes its receipt stamp. One signal in flight at a
 *       time, GAP_US idle microseconds between rounds so the init is idle when each one lands.
 *   sigsend storm PID N SHMFILE QUIET_MS [SIGNUMS]
 *       Send N signals (SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH in turn) to PID as fast as possible,
 *       then one SIGTERM at once. Wait until the child's receipt count has been still for QUIET_MS
 *       (and the SIGTERM arrived, or 2 s passed), then report counts, drain time, the init's CPU.
 *       SIGNUMS (comma list of numbers) replaces the four signals cycled through.
 *   sigsend stall-storm PID N SHMFILE QUIET_MS STALL_MS [SIGNUMS]
 *       The same storm while only the init's main thread is held stopped (PTRACE_SEIZE +
 *       PTRACE_INTERRUPT on that one thread) for STALL_MS from just before the first signal: an
 *       event loop that cannot run, as when it is stuck in a synchronous write or a long GC pause.
 *       A single-threaded init just keeps the signals pending; a multi-threaded one may have them
 *       handled on another thread meanwhile (Node: libuv's handler queues them in a pipe).
 *   sigsend esc INITPID CHILDPID
 *       Escalation: pidfd_open both, stamp, kill(INITPID, SIGTERM), report when each one died.
 *   sigsend die INITPID CHILDPID
 *       Exit after the child: pidfd_open both, stamp, kill(CHILDPID, SIGKILL), report when each one died.
 *   sigsend multi ROUNDS SEED PID1 SHM1 [PID2 SHM2 ...]
 *       Latency with all targets alive: each PIDi is an init (or a child run directly) whose child
 *       runs `sigchild wait SHMi`. Waits (15 s at most) until every child is ready, then for each of
 *       ROUNDS rounds sends one signal to every target in an order shuffled per round (xorshift
 *       seeded by SEED), SIGHUP in even rounds and SIGUSR2 in odd ones, each kill() 1-2 ms after the
 *       previous one (uniform, to the absolute CLOCK_MONOTONIC time with clock_nanosleep), stamping
 *       CLOCK_MONOTONIC right before each kill(). Receipts are matched to sends per target and per
 *       signal number, in order: a send takes the first unmatched receipt of its signal stamped at
 *       or after it, unless that receipt is stamped at or after the next send of the same signal to
 *       the same target (then the send is lost: coalesced or never delivered). Prints
 *       {"rounds","seed","targets":[{"pid","shm","sent","received","lost","extra","overflow","kill_errors",
 *       "lat_ns":[...]}]}
 *       with lat_ns sorted; extra = receipts that matched no send.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "multi-shm.h"
#include "storm-shm.h"

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int read_full(int fd, void *buf, size_t n, int timeout_ms) {
  size_t got = 0;
  while (got < n) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1; /* timeout or error */
    ssize_t k = read(fd, (char *)buf + got, n - got);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1; /* EOF: the child is gone */
    got += (size_t)k;
  }
  return 0;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* CPU time (ns, from schedstat) and context switches summed over every thread of PID. */
struct cpu { int64_t ns; int64_t ctx; int threads; };
static struct cpu read_cpu(int pid) {
  struct cpu c = {0, 0, 0};
  char path[128];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (!d) { c.ns = -1; return c; }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char p[320], buf[4096];
    snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", pid, e->d_name);
    FILE *f = fopen(p, "r");
    if (f) { long long ns; if (fscanf(f, "%lld", &ns) == 1) c.ns += ns; fclose(f); }
    snprintf(p, sizeof p, "/proc/%d/task/%s/status", pid, e->d_name);
    f = fopen(p, "r");
    if (f) {
      while (fgets(buf, sizeof buf, f)) {
        long long v;
        if (sscanf(buf, "voluntary_ctxt_switches: %lld", &v) == 1) c.ctx += v;
        else if (sscanf(buf, "nonvoluntary_ctxt_switches: %lld", &v) == 1) c.ctx += v;
      }
      fclose(f);
    }
    c.threads++;
  }
  closedir(d);
  return c;
}

/* 1 if PID exists and is not a zombie. */
static int alive(int pid) {
  char p[64], buf[512];
  snprintf(p, sizeof p, "/proc/%d/stat", pid);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  if (!rp || rp[1] == 0) return 0;
  return rp[2] != 'Z' && rp[2] != 'X';
}

static int run_lat(int pid, int sig, int n, const char *fifo, int gap_us) {
  int fd = open(fifo, O_RDONLY);
  if (fd < 0) { perror(fifo); return 1; }
  int64_t hello;
  if (read_full(fd, &hello, sizeof hello, 15000) != 0) {
    fprintf(stderr, "sigsend: the child never said hello\n");
    return 1;
  }
  usleep(200000); /* let the init finish its own start-up work before the first signal */
  int64_t *lat = calloc((size_t)n, sizeof *lat);
  int got = 0, lost = 0;
  for (int i = 0; i < n; i++) {
    int64_t t0 = now_ns();
    if (kill(pid, sig) != 0) { lost += n - i; break; }
    int64_t stamp;
    if (read_full(fd, &stamp, sizeof stamp, 2000) != 0) {
      lost++;
      if (lost > 5) { lost += n - i - 1; break; } /* the init is not forwarding: stop early */
      continue;
    }
    lat[got++] = stamp - t0;
    if (gap_us > 0) usleep((useconds_t)gap_us);
  }
  qsort(lat, (size_t)got, sizeof *lat, cmp_i64);
  printf("{\"n\":%d,\"received\":%d,\"lost\":%d,\"lat_ns\":[", n, got, lost);
  for (int i = 0; i < got; i++) printf(i ? ",%" PRId64 : "%" PRId64, lat[i]);
  printf("]}\n");
  return 0;
}

/* Stop only the main thread of PID (ptrace is per thread), so its event loop cannot run while the
   process's other threads still can. Returns 0 when the thread is in its interrupt stop. */
static int stall_main_thread(int pid) {
  if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) { perror("ptrace(SEIZE)"); return -1; }
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0) { perror("ptrace(INTERRUPT)"); return -1; }
  int st;
  if (waitpid(pid, &st, __WALL) != pid) { perror("waitpid(tracee)"); return -1; }
  return 0;
}

static int run_storm(int pid, int n, const char *path, int quiet_ms, const char *list, int stall_ms) {
  int fd = open(path, O_RDWR);
  if (fd < 0) { perror(path); return 1; }
  struct storm_shm *shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (shm == MAP_FAILED) { perror("mmap"); return 1; }
  for (int i = 0; i < 1500 && !__atomic_load_n(&shm->ready, __ATOMIC_ACQUIRE); i++) usleep(10000);
  if (!shm->ready) { fprintf(stderr, "sigsend: storm child never ready\n"); return 1; }
  usleep(200000); /* the init settles (a Node init may still be compiling) */
  int sigs[64] = {SIGUSR1, SIGUSR2, SIGHUP, SIGWINCH}, nsigs = 4;
  if (list && *list) { /* optional comma list of signal numbers to cycle through instead */
    nsigs = 0;
    for (char *p = (char *)list; *p && nsigs < 64;) {
      sigs[nsigs++] = (int)strtol(p, &p, 10);
      if (*p == ',') p++;
    }
  }
  struct cpu c0 = read_cpu(pid);
  int64_t t_stall = 0;
  if (stall_ms > 0) {
    if (stall_main_thread(pid) != 0) return 1;
    t_stall = now_ns();
  }
  int64_t t0 = now_ns();
  int sent = 0, kill_err = 0;
  for (int i = 0; i < n; i++) {
    if (kill(pid, sigs[i % nsigs]) == 0) sent++;
    else kill_err++;
  }
  int64_t t_end = now_ns();
  int64_t t_term = now_ns(); /* stamped before kill(), as in the latency mode */
  int term_sent = kill(pid, SIGTERM) == 0;
  if (stall_ms > 0) {
    /* keep the main thread stopped for stall_ms in all, then let it go */
    int64_t left = t_stall + (int64_t)stall_ms * 1000000 - now_ns();
    if (left > 0) usleep((useconds_t)(left / 1000));
    if (ptrace(PTRACE_DETACH, pid, 0, 0) != 0) perror("ptrace(DETACH)");
  }
  int64_t term_wait_ns = 2000000000LL + (int64_t)stall_ms * 1000000;
  uint64_t last_total = __atomic_load_n(&shm->total, __ATOMIC_RELAXED);
  int64_t last_change = now_ns();
  int init_died = 0;
  for (;;) {
    usleep(1000);
    uint64_t t = __atomic_load_n(&shm->total, __ATOMIC_RELAXED);
    int64_t now = now_ns();
    if (t != last_total) { last_total = t; last_change = now; }
    int term = (int)__atomic_load_n(&shm->term, __ATOMIC_ACQUIRE);
    /* a SIGTERM still missing 2 s after the storm (and the stall) is counted as lost */
    if (now - last_change > (int64_t)quiet_ms * 1000000 && (term || now - t_end > term_wait_ns)) break;
    if (!alive(pid)) { init_died = 1; break; }
    if (now - t_end > 20000000000LL) break;
  }
  struct cpu c1 = read_cpu(pid);
  int init_alive = !init_died && alive(pid);
  int child_alive = alive((int)shm->child_pid);
  int64_t last_ns = __atomic_load_n(&shm->last_ns, __ATOMIC_RELAXED);
  printf("{\"n\":%d,\"sent\":%d,\"kill_errors\":%d,\"send_ms\":%.3f,\"received\":%" PRIu64
         ",\"usr1\":%" PRIu64 ",\"usr2\":%" PRIu64 ",\"hup\":%" PRIu64 ",\"winch\":%" PRIu64
         ",\"drain_ms\":%.3f,\"term_sent\":%s,\"term_received\":%s,\"term_count\":%" PRIu64 ",\"term_delay_ms\":%.3f"
         ",\"init_cpu_ms\":%.3f,\"init_ctx\":%" PRId64 ",\"init_alive\":%s,\"child_alive\":%s}\n",
         n, sent, kill_err, (t_end - t0) / 1e6, shm->total - shm->count[SIGTERM],
         shm->count[SIGUSR1], shm->count[SIGUSR2], shm->count[SIGHUP], shm->count[SIGWINCH],
         (last_ns - t_end) / 1e6, term_sent ? "true" : "false", shm->term ? "true" : "false", shm->count[SIGTERM],
         shm->term ? (shm->term_ns - t_term) / 1e6 : -1.0,
         (c0.ns >= 0 && c1.ns >= 0) ? (c1.ns - c0.ns) / 1e6 : -1.0, c1.ctx - c0.ctx,
         init_alive ? "true" : "false", child_alive ? "true" : "false");
  fflush(stdout);
  __atomic_store_n(&shm->release, 1, __ATOMIC_RELEASE);
  return 0;
}

static int pidfd_open_(int pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* Sends SIGTERM to the init (esc) or SIGKILL to the child (die), then times both deaths with pidfds. */
static int run_esc(int init_pid, int child_pid, int kill_child) {
  int fi = pidfd_open_(init_pid), fc = pidfd_open_(child_pid);
  if (fi < 0 || fc < 0) { perror("pidfd_open"); return 1; }
  struct pollfd p[2] = {{.fd = fc, .events = POLLIN}, {.fd = fi, .events = POLLIN}};
  int64_t stamp[2] = {-1, -1};
  int64_t t0 = now_ns();
  if (kill(kill_child ? child_pid : init_pid, kill_child ? SIGKILL : SIGTERM) != 0) { perror("kill"); return 1; }
  while (p[0].fd >= 0 || p[1].fd >= 0) {
    int r = poll(p, 2, 15000); /* a pidfd turns readable when its process exits */
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    int64_t t = now_ns();
    for (int i = 0; i < 2; i++)
      if (p[i].fd >= 0 && p[i].revents) { stamp[i] = t; p[i].fd = -1; }
  }
  printf("{\"child_dead_ms\":%.3f,\"init_exit_ms\":%.3f}\n",
         stamp[0] >= 0 ? (stamp[0] - t0) / 1e6 : -1.0, stamp[1] >= 0 ? (stamp[1] - t0) / 1e6 : -1.0);
  return 0;
}

/* xorshift64*: the per-round shuffles and gaps, reproducible from SEED */
static uint64_t rng_state;
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

struct send { int sig; int64_t ns; };
struct target {
  int pid;
  const char *shm_path;
  struct multi_shm *shm;
  struct send *sends;
  int nsent;
  int kill_errors;
};

static void sleep_until(int64_t t) {
  struct timespec ts = {(time_t)(t / 1000000000LL), (long)(t % 1000000000LL)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

static int run_multi(int rounds, uint64_t seed, int n, char **args) {
  struct target *tg = calloc((size_t)n, sizeof *tg);
  for (int i = 0; i < n; i++) {
    tg[i].pid = atoi(args[2 * i]);
    tg[i].shm_path = args[2 * i + 1];
    int fd = open(tg[i].shm_path, O_RDWR);
    if (fd < 0) { perror(tg[i].shm_path); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < MULTI_SHM_BYTES(1)) {
      fprintf(stderr, "sigsend: %s too small\n", tg[i].shm_path);
      return 1;
    }
    tg[i].shm = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (tg[i].shm == MAP_FAILED) { perror("mmap"); return 1; }
    close(fd);
    tg[i].sends = calloc((size_t)rounds, sizeof *tg[i].sends);
  }
  /* every child ready (signals blocked, in sigwaitinfo), or a clear error naming the ones that are not */
  int64_t give_up = now_ns() + 15000000000LL;
  for (;;) {
    int missing = 0;
    for (int i = 0; i < n; i++) missing += !__atomic_load_n(&tg[i].shm->ready, __ATOMIC_ACQUIRE);
    if (!missing) break;
    if (now_ns() > give_up) {
      for (int i = 0; i < n; i++)
        if (!tg[i].shm->ready) fprintf(stderr, "sigsend: target pid %d (%s) never ready within 15 s\n", tg[i].pid, tg[i].shm_path);
      return 1;
    }
    usleep(5000);
  }
  usleep(200000); /* let the inits finish their own start-up work before the first signal */
  prctl(PR_SET_TIMERSLACK, 1UL); /* wake at the drawn time, not up to 50 us later */
  rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
  int *order = calloc((size_t)n, sizeof *order);
  for (int i = 0; i < n; i++) order[i] = i;
  int64_t next = now_ns();
  for (int r = 0; r < rounds; r++) {
    int sig = r % 2 ? SIGUSR2 : SIGHUP;
    for (int i = n - 1; i > 0; i--) { /* Fisher-Yates */
      int j = (int)(rng() % (uint64_t)(i + 1)), t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int k = 0; k < n; k++) {
      struct target *t = &tg[order[k]];
      sleep_until(next);
      int64_t t0 = now_ns();
      if (kill(t->pid, sig) != 0) { t->kill_errors++; continue; }
      t->sends[t->nsent].sig = sig;
      t->sends[t->nsent++].ns = t0;
      next = t0 + 1000000 + (int64_t)(rng() % 1000001); /* 1-2 ms after this kill() */
    }
  }
  /* let the last signals land: until every target has as many receipts as sends, 1 s at most */
  int64_t end = now_ns() + 1000000000LL;
  for (;;) {
    int behind = 0;
    for (int i = 0; i < n; i++) behind += __atomic_load_n(&tg[i].shm->count, __ATOMIC_ACQUIRE) < (uint64_t)tg[i].nsent;
    if (!behind || now_ns() > end) break;
    usleep(2000);
  }
  printf("{\"rounds\":%d,\"seed\":%" PRIu64 ",\"targets\":[", rounds, seed);
  for (int i = 0; i < n; i++) {
    struct target *t = &tg[i];
    uint64_t nrec = __atomic_load_n(&t->shm->count, __ATOMIC_ACQUIRE);
    struct multi_rec *rec = t->shm->rec;
    char *used = calloc(nrec + 1, 1);
    int64_t *lat = calloc((size_t)t->nsent + 1, sizeof *lat);
    int got = 0, lost = 0;
    uint64_t cur[65] = {0}; /* per signal number: receipts before this index are matched or skipped */
    for (int s = 0; s < t->nsent; s++) {
      int sig = t->sends[s].sig;
      int64_t t0 = t->sends[s].ns, t_next = INT64_MAX;
      for (int s2 = s + 1; s2 < t->nsent; s2++)
        if (t->sends[s2].sig == sig) { t_next = t->sends[s2].ns; break; }
      uint64_t j = cur[sig];
      while (j < nrec && (rec[j].signo != sig || rec[j].ns < t0)) j++; /* earlier ones of this signal: extra */
      if (j < nrec && rec[j].ns < t_next) {
        lat[got++] = rec[j].ns - t0;
        used[j] = 1;
        cur[sig] = j + 1;
      } else {
        lost++;
      }
    }
    int extra = 0;
    for (uint64_t j = 0; j < nrec; j++) extra += !used[j];
    qsort(lat, (size_t)got, sizeof *lat, cmp_i64);
    printf("%s{\"pid\":%d,\"shm\":\"%s\",\"sent\":%d,\"received\":%d,\"lost\":%d,\"extra\":%d,\"overflow\":%" PRIu64 ",\"kill_errors\":%d,\"lat_ns\":[",
           i ? "," : "", t->pid, t->shm_path, t->nsent, got, lost, extra, t->shm->overflow, t->kill_errors);
    for (int k = 0; k < got; k++) printf(k ? ",%" PRId64 : "%" PRId64, lat[k]);
    printf("]}");
    free(used);
    free(lat);
  }
  printf("]}\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "lat") == 0)
    return run_lat(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), argv[5], atoi(argv[6]));
  if (argc >= 6 && strcmp(argv[1], "storm") == 0)
    return run_storm(atoi(argv[2]), atoi(argv[3]), argv[4], atoi(argv[5]), argc >= 7 ? argv[6] : NULL, 0);
  if (argc >= 7 && strcmp(argv[1], "stall-storm") == 0)
    return run_storm(atoi(argv[2]), atoi(argv[3]), argv[4], atoi(argv[5]), argc >= 8 ? argv[7] : NULL, atoi(argv[6]));
  if (argc >= 4 && strcmp(argv[1], "esc") == 0) return run_esc(atoi(argv[2]), atoi(argv[3]), 0);
  if (argc >= 4 && strcmp(argv[1], "die") == 0) return run_esc(atoi(argv[2]), atoi(argv[3]), 1);
  if (argc >= 6 && argc % 2 == 0 && strcmp(argv[1], "multi") == 0)
    return run_multi(atoi(argv[2]), strtoull(argv[3], NULL, 10), (argc - 4) / 2, argv + 4);
  fprintf(stderr, "usage: sigsend lat PID SIG N FIFO GAP_US | storm PID N SHMFILE QUIET_MS [SIGNUMS]\n"
                  "     | stall-storm PID N SHMFILE QUIET_MS STALL_MS [SIGNUMS] | esc|die INITPID CHILDPID\n"
                  "     | multi ROUNDS SEED PID1 SHM1 [PID2 SHM2 ...]\n");
  return 2;
}
