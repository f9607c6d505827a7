/*
 * orphans: the reaping workload. Runs as the init's main child inside a fresh PID namespace
 * (the init is PID 1 there), measures from inside, writes one JSON object to RESULTFILE, exits 0.
 *
 *   orphans burst N RESULTFILE TIMEOUT_MS
 *       An intermediate process forks N grandchildren that _exit(0) at once and stay zombies
 *       (the intermediate never waits for them). When all N have exited, the intermediate exits:
 *       the kernel hands the N zombies to PID 1 in one go. Measured: from the moment this driver
 *       has reaped the intermediate (so the hand-over is done) until none of the N pids exists
 *       any more, polled with kill(pid, 0) (a zombie still exists, a reaped pid is ESRCH); then a
 *       /proc scan confirms zero zombies in the namespace.
 *   orphans stream N RESULTFILE TIMEOUT_MS
 *       N double-forks as fast as possible: each leaves a grandchild that is an orphan and exits
 *       at once, so a stream of zombies lands on PID 1. A poller thread scans /proc every ~0.5 ms
 *       counting zombies whose parent is PID 1: peak and mean; then the time to zero after the
 *       stream ends. Also PID 1's CPU time (utime + stime) over the whole run.
 *   orphans flood N RESULTFILE TIMEOUT_MS
 *       The same, faster: the intermediates are not waited for one by one (SIGCHLD ignored, the
 *       kernel reaps them), so the next double-fork starts at once and orphans land on PID 1
 *       two to three times as fast.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Zombies in this PID namespace whose parent is PID 1 (the init under test). */
static int count_init_zombies(void) {
  DIR *d = opendir("/proc");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  char path[300], buf[512];
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY);
    if (fd < 0) continue;
    ssize_t k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k <= 0) continue;
    buf[k] = 0;
    char *rp = strrchr(buf, ')');
    if (!rp) continue;
    char state = 0;
    int ppid = 0;
    if (sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' && ppid == 1) n++;
  }
  closedir(d);
  return n;
}

static void write_result(const char *path, const char *json) {
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); exit(1); }
  fputs(json, f);
  fclose(f);
}

static int run_burst(int n, const char *out, int timeout_ms) {
  int pids_pipe[2], done_pipe[2];
  if (pipe(pids_pipe) || pipe(done_pipe)) { perror("pipe"); return 1; }
  int64_t t_fork0 = now_ns();
  pid_t mid = fork();
  if (mid < 0) { perror("fork"); return 1; }
  if (mid == 0) {
    close(pids_pipe[0]);
    close(done_pipe[0]);
    for (int i = 0; i < n; i++) {
      pid_t g = fork();
      if (g < 0) { perror("fork grandchild"); _exit(1); }
      if (g == 0) _exit(0); /* holds done_pipe[1] until it exits */
      if (write(pids_pipe[1], &g, sizeof g) != sizeof g) _exit(1);
    }
    close(pids_pipe[1]);
    close(done_pipe[1]);
    char c;
    while (read(done_pipe[0], &c, 1) > 0) {} /* EOF: every grandchild has closed its fds */
    /* fds close just before a task turns zombie: wait until all N are zombies of ours. */
    for (int tries = 0; tries < 2000; tries++) {
      int zombies = 0;
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/task/%d/children", getpid(), getpid());
      FILE *f = fopen(path, "r");
      int alive = 0;
      if (f) {
        int p;
        while (fscanf(f, "%d", &p) == 1) {
          char sp[64], buf[256];
          snprintf(sp, sizeof sp, "/proc/%d/stat", p);
          FILE *s = fopen(sp, "r");
          if (!s) continue;
          size_t k = fread(buf, 1, sizeof buf - 1, s);
          fclose(s);
          buf[k] = 0;
          char *rp = strrchr(buf, ')');
          if (rp && rp[2] == 'Z') zombies++;
          else alive++;
        }
        fclose(f);
      }
      if (alive == 0 && zombies >= n) break;
      usleep(1000);
    }
    _exit(0); /* hands the N zombies over to PID 1 */
  }
  close(pids_pipe[1]);
  close(done_pipe[1]);
  close(done_pipe[0]);
  pid_t *pids = malloc(sizeof(pid_t) * (size_t)n);
  int got = 0;
  while (got < n) {
    ssize_t k = read(pids_pipe[0], pids + got, sizeof(pid_t) * (size_t)(n - got));
    if (k <= 0) break;
    got += (int)(k / (ssize_t)sizeof(pid_t));
  }
  int st;
  waitpid(mid, &st, 0);
  int64_t t0 = now_ns(); /* every zombie now belongs to PID 1 */
  int remaining = got, passes = 0;
  int64_t deadline = t0 + (int64_t)timeout_ms * 1000000;
  while (remaining > 0 && now_ns() < deadline) {
    int w = 0;
    for (int i = 0; i < remaining; i++)
      if (!(kill(pids[i], 0) != 0 && errno == ESRCH)) pids[w++] = pids[i];
    remaining = w;
    passes++;
  }
  int64_t t1 = now_ns();
  int zombies_left = count_init_zombies();
  char json[512];
  snprintf(json, sizeof json,
           "{\"mode\":\"burst\",\"n\":%d,\"forked\":%d,\"fork_ms\":%.3f,\"reap_ms\":%.3f,"
           "\"remaining\":%d,\"zombies_left\":%d,\"timeout\":%s,\"passes\":%d,\"ppid\":%d}\n",
           n, got, (t0 - t_fork0) / 1e6, (t1 - t0) / 1e6, remaining, zombies_left,
           remaining > 0 ? "true" : "false", passes, (int)getppid());
  write_result(out, json);
  return 0;
}

static volatile int stream_done;
static int peak;
static int64_t peak_at_ns; /* when the peak was first seen: tells a start-up stall from one later on */
static int64_t samples, sum;

static void *poller(void *arg) {
  (void)arg;
  while (!__atomic_load_n(&stream_done, __ATOMIC_ACQUIRE)) {
    int z = count_init_zombies();
    if (z > peak) { peak = z; peak_at_ns = now_ns(); }
    samples++;
    sum += z;
    usleep(500);
  }
  return NULL;
}

/* CPU time of PID 1 (the init under test: utime + stime, all its threads), in ms. */
static double init_cpu_ms(void) {
  char buf[1024];
  int fd = open("/proc/1/stat", O_RDONLY);
  if (fd < 0) return -1;
  ssize_t k = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (k <= 0) return -1;
  buf[k] = 0;
  char *rp = strrchr(buf, ')');
  unsigned long utime = 0, stime = 0;
  /* after ')': state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
  if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
  return (utime + stime) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static int run_stream(int n, const char *out, int timeout_ms, int flood) {
  pthread_t th;
  /* flood: the intermediates are not waited for, one by one; the kernel reaps them (SIGCHLD ignored) */
  if (flood) signal(SIGCHLD, SIG_IGN);
  double cpu0 = init_cpu_ms();
  pthread_create(&th, NULL, poller, NULL);
  int64_t t0 = now_ns();
  int made = 0;
  for (int i = 0; i < n; i++) {
    pid_t c = fork();
    if (c < 0) { perror("fork"); break; }
    if (c == 0) {
      pid_t g = fork();
      if (g == 0) _exit(0); /* the orphan: exits at once, its parent is already gone or going */
      _exit(0);
    }
    if (!flood) {
      int st;
      waitpid(c, &st, 0);
    }
    made++;
  }
  int64_t t_end = now_ns();
  __atomic_store_n(&stream_done, 1, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  /* after the stream: until no zombie of PID 1 is left */
  int64_t deadline = t_end + (int64_t)timeout_ms * 1000000;
  int z;
  while ((z = count_init_zombies()) > 0 && now_ns() < deadline) {
    if (z > peak) { peak = z; peak_at_ns = now_ns(); }
    usleep(200);
  }
  int64_t t_zero = now_ns();
  double cpu1 = init_cpu_ms();
  char json[640];
  snprintf(json, sizeof json,
           "{\"mode\":\"%s\",\"init_cpu_ms\":%.1f,\"n\":%d,\"made\":%d,\"stream_ms\":%.3f,\"peak_zombies\":%d,\"peak_at_ms\":%.1f,"
           "\"mean_zombies\":%.2f,\"samples\":%lld,\"drain_ms\":%.3f,\"zombies_left\":%d,"
           "\"timeout\":%s,\"ppid\":%d}\n",
           flood ? "flood" : "stream", cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1.0, n, made, (t_end - t0) / 1e6, peak, peak ? (peak_at_ns - t0) / 1e6 : -1.0, samples ? (double)sum / samples : 0.0,
           (long long)samples, (t_zero - t_end) / 1e6, z, z > 0 ? "true" : "false",
           (int)getppid());
  write_result(out, json);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "burst") == 0)
    return run_burst(atoi(argv[2]), argv[3], atoi(argv[4]));
  if (argc >= 5 && strcmp(argv[1], "stream") == 0)
    return run_stream(atoi(argv[2]), argv[3], atoi(argv[4]), 0);
  if (argc >= 5 && strcmp(argv[1], "flood") == 0)
    return run_stream(atoi(argv[2]), argv[3], atoi(argv[4]), 1);
  fprintf(stderr, "usage: orphans burst|stream|flood N RESULTFILE TIMEOUT_MS\n");
  return 2;
}
