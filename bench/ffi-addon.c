// A minimal N-API addon exposing the libc calls gracie makes through koffi: the memory reference the bench uses to
// tell what gracie's FFI layer costs (section 2, "node-floor + C addon"). Not part of gracie: it only has to load,
// export its functions and answer the two calls the preload makes, like the koffi layer beside it.
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int32_t int_arg(napi_env env, napi_callback_info info, size_t i) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t value = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (i < argc) napi_get_value_int32(env, argv[i], &value);
  return value;
}

static napi_value result(napi_env env, int32_t value) {
  napi_value out;
  napi_create_int32(env, value, &out);
  return out;
}

// a libc call's result, or -errno when it failed
static napi_value checked(napi_env env, int value) { return result(env, value < 0 ? -errno : value); }
#define CALL(expr) checked(env, (expr))

static napi_value reap_one(napi_env env, napi_callback_info info) {
  int status;
  return CALL(waitpid(-1, &status, WNOHANG | WUNTRACED));
}
static napi_value set_child_subreaper(napi_env env, napi_callback_info info) { return CALL(prctl(PR_SET_CHILD_SUBREAPER, 1)); }
static napi_value kill_pid(napi_env env, napi_callback_info info) { return CALL(kill(int_arg(env, info, 0), int_arg(env, info, 1))); }
static napi_value pipe_bytes_queued(napi_env env, napi_callback_info info) {
  int bytes = 0;
  return ioctl(int_arg(env, info, 0), FIONREAD, &bytes) < 0 ? result(env, -errno) : result(env, bytes);
}
static napi_value resize_pipe(napi_env env, napi_callback_info info) {
  return CALL(fcntl(int_arg(env, info, 0), F_SETPIPE_SZ, int_arg(env, info, 1)));
}
static napi_value give_terminal(napi_env env, napi_callback_info info) { return CALL(tcsetpgrp(int_arg(env, info, 0), int_arg(env, info, 1))); }
static napi_value ignore_signal(napi_env env, napi_callback_info info) {
  struct sigaction action = {0};
  action.sa_handler = SIG_IGN;
  return CALL(sigaction(int_arg(env, info, 0), &action, NULL));
}
static napi_value spawn_true(napi_env env, napi_callback_info info) {
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  char *argv[] = {"/bin/true", NULL};
  pid_t pid;
  int failed = posix_spawnp(&pid, argv[0], NULL, &attr, argv, NULL);
  posix_spawnattr_destroy(&attr);
  return result(env, failed ? -failed : pid);
}

#define EXPORT(name, fn)                                                    \
  do {                                                                      \
    napi_value f;                                                           \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);        \
    napi_set_named_property(env, exports, name, f);                         \
  } while (0)

NAPI_MODULE_INIT() {
  EXPORT("reapOne", reap_one);
  EXPORT("setChildSubreaper", set_child_subreaper);
  EXPORT("kill", kill_pid);
  EXPORT("pipeBytesQueued", pipe_bytes_queued);
  EXPORT("resizePipe", resize_pipe);
  EXPORT("giveTerminal", give_terminal);
  EXPORT("ignoreSignal", ignore_signal);
  EXPORT("spawn", spawn_true);
  return exports;
}
