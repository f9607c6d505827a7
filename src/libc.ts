// Every libc call gracie makes, through koffi. Loaded first thing (start-libc.ts: V8's CPU clock must be measured
// before gracie listens for signals), and optional: where it cannot load, gracie still forwards signals, and says
// what it cannot do.
// Checked on Linux x86_64 glibc 2.36; the sizes and offsets below also hold for musl and for aarch64.
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { elfInterpreter, koffiBuilds, libcOfInterpreter, type LibcFamily } from './elf-interpreter';
import { IS_SEA, loadEmbeddedAddon } from './sea';

type Koffi = typeof import('koffi');
type Fn = (...args: unknown[]) => number;

const WNOHANG = 1;
const WUNTRACED = 2;
const POSIX_SPAWN_SETPGROUP = 0x02;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const PR_SET_PDEATHSIG = 1;
const PR_SET_DUMPABLE = 4;
const PR_SET_CHILD_SUBREAPER = 36;
const SIGTTIN = 21;
const SIGTTOU = 22;
const FIONREAD = 0x541b;
const F_SETPIPE_SZ = 1031;
const SIG_IGN = 1;
/** uv_handle_type's UV_SIGNAL (uv.h, UV_HANDLE_TYPE_MAP: the 16th entry), stable across libuv 1.x. */
const UV_SIGNAL = 16;
const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
/** abseil's absl::base_internal::NominalCPUFrequency(), inside Node's own binary (V8's copy of abseil). */
const CPU_FREQUENCY_PROBE = '_ZN4absl13base_internal19NominalCPUFrequencyEv';
// Opaque libc objects, allocated generously: posix_spawnattr_t is 336 bytes, posix_spawn_file_actions_t 80
// and sigset_t 128 on glibc and musl alike.
const ATTR_SIZE = 1024;
const FILE_ACTIONS_SIZE = 256;
const SIGSET_SIZE = 256;

/** How waitpid reported a child's end. */
export type WaitStatus = { code: number; signal: null } | { code: null; signal: number };

/** One reaped child, or what is left when nothing was reaped. */
export type Reaped =
  | { pid: number; status: WaitStatus }
  /** the child stopped (job control); it is still alive */
  | { pid: number; stoppedBy: number }
  | 'none-exited'
  | 'no-children';

/** A libc call that failed, with the errno name (ENOENT, EACCES, ...) as `code`. */
export class LibcError extends Error {
  constructor(
    readonly syscall: string,
    readonly code: string,
  ) {
    super(`${syscall} failed: ${code}`);
  }
}

export interface Libc {
  /** posix_spawnp in a new process group, signals at default and unmasked; returns the pid. */
  spawn(command: readonly string[], env: readonly string[], keepFds: readonly number[], takeTerminal: boolean): number;
  /** waitpid(-1, WNOHANG | WUNTRACED) once. */
  reapOne(): Reaped;
  setChildSubreaper(): void;
  /** Arms the parent-death signal; false when the parent was already gone (the kernel will not send it). */
  setParentDeathSignal(signal: number, parentPid: number): boolean;
  /** Stops the kernel from dumping gracie's core when it ends itself with the child's signal. */
  disableCoreDumps(): void;
  /**
   * Runs a write with SIGTTOU blocked: a background process writing to a terminal with `stty tostop` would
   * otherwise get SIGTTOU, and as gracie catches it, the write would restart forever.
   */
  writeToTerminal(write: () => void): void;
  /** True when fd is a terminal whose foreground process group is gracie's own. */
  ownsForeground(fd: number): boolean;
  /** Gives the terminal on fd to a process group; gracie must own its foreground. */
  giveTerminal(fd: number, pgid: number): void;
  /** Bytes waiting in the pipe fd belongs to (FIONREAD). */
  pipeBytesQueued(fd: number): number;
  /** Sets the capacity of the pipe fd belongs to (F_SETPIPE_SZ); returns the capacity the kernel granted. */
  resizePipe(fd: number, bytes: number): number;
  /** The real-time signals, SIGRTMIN to SIGRTMAX as this libc numbers them (glibc keeps 32 and 33). */
  realtimeSignals(): { min: number; max: number };
  /** Sets a signal's disposition to ignore, in gracie only: the child is spawned with every signal at default. */
  ignoreSignal(signal: number): void;
  /**
   * Listens for signals Node has no name for (the real-time ones) on Node's own event loop, with libuv's signal
   * handles, as process.on does for named signals: `receive` runs on the main thread, in arrival order with
   * them, and the storm protection of libuv's (widened) signal pipe covers these too. Null where Node's binary
   * exports no libuv; otherwise the listener, with the signals libuv refused.
   */
  listenOnEventLoop(signals: readonly number[], receive: (signal: number) => void): EventLoopSignals | null;
  /**
   * Gives the heap memory start-up freed back to the kernel (glibc's malloc_trim); false where libc has no such
   * call (musl returns freed memory by itself).
   */
  releaseFreedMemory(): boolean;
  /**
   * Has V8 take its one measurement of the CPU's clock rate now, on a thread of its own with every signal
   * blocked. V8 (through abseil) takes it the first time two of its threads contend for a lock:
   * it sleeps 1, 2, 4... ms, each sleep resumed after every signal with what the kernel reports as left, and a
   * signal flood keeps that sleep from ever ending. Where the thread measuring was gracie's main thread, in a
   * garbage collection, gracie froze for as long as the flood lasted: a 10 s SIGTERM storm, no exit. Taken
   * here, where no signal reaches it, the measurement is cached for the process's life (~3 ms off the main
   * thread). False where Node's binary exports no such measurement (probed, never inferred from the major: absent
   * in 20.20.2, exported by 22.23, 24.21-24.22 and 26.10-26.12 on x64, 24.22 on arm64) or the thread could not start.
   */
  calibrateCpuClockAwayFromSignals(): boolean;
  /**
   * Ends gracie at once with `code` (libc's _exit): no exit handlers, no teardown of V8, its platform threads or
   * libuv (~0.8 ms of the ~3 ms from the child's death to gracie's as PID 1; the kernel's teardown of the process is
   * most of the rest). Safe because every byte gracie writes goes out through synchronous writes.
   */
  exitNow(code: number): never;
}

/** Signals caught through libuv (Libc.listenOnEventLoop). */
export interface EventLoopSignals {
  /** Signals libuv could not catch, with the errno name (qemu-user keeps some real-time signals for itself). */
  readonly refused: ReadonlyMap<number, string>;
  /** Stops listening for `signal`: libuv puts its default action back (gracie then ends itself with it). */
  stop(signal: number): void;
}

/** Loads libc through koffi; returns the reason instead when it cannot (unsupported platform, no binary). */
export function loadLibc(): Libc | string {
  if (process.platform !== 'linux') return `libc bindings are only built for Linux, not ${process.platform}`;
  let koffi: Koffi;
  try {
    koffi = requireKoffi();
  } catch (error) {
    return `cannot load koffi: ${(error as Error).message.split('\n')[0]}`;
  }
  try {
    return bindLibc(koffi);
  } catch (error) {
    return `cannot bind libc: ${(error as Error).message.split('\n')[0]}`;
  }
}

/**
 * koffi's prebuilt binary, required directly: koffi's entry point parses Node's ELF header (twice) to tell glibc
 * from musl and wraps deprecated APIs, 6 ms of every start against 1.7 ms for the binary alone. The build is
 * chosen by the loader Node's own executable names (elf-interpreter.ts: the rule koffi applies), so it cannot
 * misfire on a glibc host that also has musl's loader installed. That costs one 1 KiB read of process.execPath:
 * 0.6 ms of a Node 20 start, 0.3 ms on Node 24 (measured in gracie; mostly the first call of fs's open and read),
 * where the existsSync it replaced cost 0.03 ms. koffi's own entry point remains the fallback: a build from
 * source, another layout. A real require at run time: koffi stays outside the bundle.
 */
function requireKoffi(): Koffi {
  // The single executable carries the binary for its own platform and glibc (Node's official builds link glibc).
  if (IS_SEA) return loadEmbeddedAddon('koffi.node') as Koffi;
  const load = createRequire(__filename);
  const { arch } = process;
  for (const build of koffiBuilds(libcOfExecutable(process.execPath))) {
    try {
      return load(`@koromix/koffi-linux-${arch}/${build}_${arch}/koffi.node`) as Koffi;
    } catch {
      // not installed for this platform, or (libc unknown) built for the other libc
    }
  }
  return load('koffi') as Koffi;
}

/** The libc an executable runs on, from its PT_INTERP; null when that cannot be read (a static binary, no file). */
export function libcOfExecutable(path: string): LibcFamily | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    // One read covers the ELF header, the program headers and the loader's path in Node's binaries (x64, arm64:
    // the path ends before byte 900); anything beyond is read where it lies. A Uint8Array: Node 20's first
    // Buffer.alloc costs ~60 us more.
    const head = new Uint8Array(1024);
    const headLength = readSync(fd, head, 0, head.length, 0);
    const interpreter = elfInterpreter((offset, length) => {
      if (offset + length <= headLength) return head.subarray(offset, offset + length);
      const bytes = new Uint8Array(length);
      return bytes.subarray(0, readSync(fd, bytes, 0, length, offset));
    });
    return interpreter === null ? null : libcOfInterpreter(interpreter);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function bindLibc(koffi: Koffi): Libc {
  // null = the global scope, i.e. whichever libc Node itself is linked against (glibc or musl).
  const lib = koffi.load(null as unknown as string);
  const fn = (prototype: string): Fn => lib.func(prototype) as Fn;
  const optional = (prototype: string): Fn | null => {
    try {
      return fn(prototype);
    } catch {
      return null;
    }
  };
  const c = {
    posix_spawnp: fn('int posix_spawnp(int *pid, const char *file, void *fa, void *attr, const char **argv, const char **envp)'),
    attrInit: fn('int posix_spawnattr_init(void *attr)'),
    attrDestroy: fn('int posix_spawnattr_destroy(void *attr)'),
    attrSetFlags: fn('int posix_spawnattr_setflags(void *attr, short flags)'),
    attrSetPgroup: fn('int posix_spawnattr_setpgroup(void *attr, int pgroup)'),
    attrSetSigDefault: fn('int posix_spawnattr_setsigdefault(void *attr, void *set)'),
    attrSetSigMask: fn('int posix_spawnattr_setsigmask(void *attr, void *set)'),
    faInit: fn('int posix_spawn_file_actions_init(void *fa)'),
    faDestroy: fn('int posix_spawn_file_actions_destroy(void *fa)'),
    faDup2: fn('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)'),
    // glibc >= 2.35: the child takes the terminal itself, before exec, with every signal blocked.
    faTcsetpgrp: optional('int posix_spawn_file_actions_addtcsetpgrp_np(void *fa, int fd)'),
    sigemptyset: fn('int sigemptyset(void *set)'),
    sigaddset: fn('int sigaddset(void *set, int signo)'),
    sigprocmask: fn('int sigprocmask(int how, void *set, void *oldset)'),
    waitpid: fn('int waitpid(int pid, int *status, int options)'),
    // Variadic in libc: each extra argument goes with its type.
    prctl: fn('int prctl(int option, ...)'),
    getppid: fn('int getppid()'),
    getpgrp: fn('int getpgrp()'),
    tcgetpgrp: fn('int tcgetpgrp(int fd)'),
    read: fn('long read(int fd, void *buf, size_t count)'),
    tcsetpgrp: fn('int tcsetpgrp(int fd, int pgrp)'),
    ioctl: fn('int ioctl(int fd, unsigned long request, ...)'),
    fcntl: fn('int fcntl(int fd, int cmd, ...)'),
    signal: fn('intptr_t signal(int signum, intptr_t handler)'),
    // Exported by glibc and musl alike; the constants differ (34 and 35).
    sigrtmin: optional('int __libc_current_sigrtmin()'),
    sigrtmax: optional('int __libc_current_sigrtmax()'),
    exit: fn('void _exit(int status)'),
    // glibc only
    mallocTrim: optional('int malloc_trim(size_t pad)'),
  };
  const errnoName = (): string => errnoNameOf(koffi.errno());
  const errnoNameOf = (errno: number): string =>
    Object.entries(koffi.os.errno).find(([, value]) => value === errno)?.[0] ?? `errno ${errno}`;
  const check = (syscall: string, result: number): void => {
    if (result !== 0) throw new LibcError(syscall, errnoNameOf(result));
  };
  const prctl = (option: number, value: number): void => {
    const result = c.prctl(option, 'unsigned long', value, 'unsigned long', 0, 'unsigned long', 0, 'unsigned long', 0);
    if (result === -1) throw new LibcError('prctl', errnoName());
  };
  const status = new Int32Array(1);
  /**
   * Runs `action` with `signal` (or every signal) blocked in this thread: the kernel's terminal checks look at
   * this thread, and a thread created meanwhile starts with this mask.
   */
  const withSignalBlocked = (signal: number | 'all', action: () => void): void => {
    const set = Buffer.alloc(SIGSET_SIZE, signal === 'all' ? 0xff : 0);
    const old = Buffer.alloc(SIGSET_SIZE);
    if (signal !== 'all') {
      c.sigemptyset(set);
      c.sigaddset(set, signal);
    }
    c.sigprocmask(SIG_BLOCK, set, old);
    try {
      action();
    } finally {
      c.sigprocmask(SIG_SETMASK, old, null);
    }
  };
  const giveTerminal = (fd: number, pgid: number): void => {
    // Called from the foreground group, tcsetpgrp raises no SIGTTOU; block it anyway so a race with a
    // job-control shell can never stop gracie.
    let errno: string | null = null;
    withSignalBlocked(SIGTTOU, () => {
      if (c.tcsetpgrp(fd, pgid) === -1) errno = errnoName();
    });
    if (errno) throw new LibcError('tcsetpgrp', errno);
  };

  return {
    spawn(command, env, keepFds, takeTerminal) {
      const attr = koffi.alloc('uint8_t', ATTR_SIZE);
      const fa = koffi.alloc('uint8_t', FILE_ACTIONS_SIZE);
      const set = koffi.alloc('uint8_t', SIGSET_SIZE);
      try {
        check('posix_spawnattr_init', c.attrInit(attr));
        check('posix_spawn_file_actions_init', c.faInit(fa));
        // Every signal back to its default action. Not sigfillset(): glibc's leaves out its internal signals
        // 32 and 33, and posix_spawn would then leave them ignored in the child, across exec.
        new Uint8Array(koffi.view(set, SIGSET_SIZE) as ArrayBuffer).fill(0xff);
        check('posix_spawnattr_setsigdefault', c.attrSetSigDefault(attr, set));
        c.sigemptyset(set);
        check('posix_spawnattr_setsigmask', c.attrSetSigMask(attr, set));
        check('posix_spawnattr_setpgroup', c.attrSetPgroup(attr, 0));
        check('posix_spawnattr_setflags', c.attrSetFlags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
        // Node marks the descriptors it inherited close-on-exec (0-15, see bin/gracie.js); dup2(fd, fd) in the
        // child clears the flag there only.
        for (const fd of [0, 1, 2, ...keepFds]) check('posix_spawn_file_actions_adddup2', c.faDup2(fa, fd, fd));
        if (takeTerminal && c.faTcsetpgrp) check('posix_spawn_file_actions_addtcsetpgrp_np', c.faTcsetpgrp(fa, 0));
        const pid = new Int32Array(1);
        check('posix_spawnp', c.posix_spawnp(pid, command[0], fa, attr, [...command, null], [...env, null]));
        if (takeTerminal && !c.faTcsetpgrp) {
          // musl and older glibc: hand the terminal over from here. The child may already have stopped on
          // SIGTTIN by reading it too early: SIGCONT undoes that.
          giveTerminal(0, pid[0]);
          process.kill(-pid[0], 'SIGCONT');
        }
        return pid[0];
      } finally {
        c.faDestroy(fa);
        c.attrDestroy(attr);
        koffi.free(attr);
        koffi.free(fa);
        koffi.free(set);
      }
    },
    reapOne() {
      for (;;) {
        const pid = c.waitpid(-1, status, WNOHANG | WUNTRACED);
        // WIFSTOPPED: low byte 0x7f, the stop signal in the next byte.
        if (pid > 0 && (status[0] & 0xff) === 0x7f) return { pid, stoppedBy: (status[0] >> 8) & 0xff };
        if (pid > 0) return { pid, status: decodeWaitStatus(status[0]) };
        if (pid === 0) return 'none-exited';
        const errno = errnoName();
        if (errno === 'EINTR') continue;
        if (errno === 'ECHILD') return 'no-children';
        throw new LibcError('waitpid', errno);
      }
    },
    setChildSubreaper: () => prctl(PR_SET_CHILD_SUBREAPER, 1),
    setParentDeathSignal(signal, parentPid) {
      prctl(PR_SET_PDEATHSIG, signal);
      // The parent may have died before prctl: then we were re-parented and no signal will ever come.
      return c.getppid() === parentPid;
    },
    disableCoreDumps: () => prctl(PR_SET_DUMPABLE, 0),
    writeToTerminal: (write) => withSignalBlocked(SIGTTOU, write),
    giveTerminal,
    ownsForeground(fd) {
      const foreground = c.tcgetpgrp(fd);
      // -1: not a terminal, or not gracie's controlling terminal.
      if (foreground === -1) return false;
      if (foreground > 0) return foreground === c.getpgrp();
      // 0: the terminal's foreground group lies outside gracie's PID namespace (`unshare --pid --fork gracie`
      // run from a shell), and so does gracie's own group (getpgrp() is 0 too), in the foreground as in the
      // background: the ids cannot tell. The kernel's job-control check can: with SIGTTIN blocked, a read of
      // 0 bytes fails with EIO exactly when the caller's group is not the terminal's foreground group, and
      // returns 0, consuming nothing, when it is.
      let result = -1;
      withSignalBlocked(SIGTTIN, () => (result = c.read(fd, Buffer.alloc(1), 0)));
      return result === 0;
    },
    pipeBytesQueued(fd) {
      const queued = new Int32Array(1);
      if (c.ioctl(fd, FIONREAD, 'int *', queued) === -1) throw new LibcError('ioctl(FIONREAD)', errnoName());
      return queued[0];
    },
    resizePipe(fd, bytes) {
      const granted = c.fcntl(fd, F_SETPIPE_SZ, 'int', bytes);
      if (granted === -1) throw new LibcError('fcntl(F_SETPIPE_SZ)', errnoName());
      return granted;
    },
    realtimeSignals: () => ({ min: c.sigrtmin?.() ?? 34, max: c.sigrtmax?.() ?? 64 }),
    ignoreSignal(signal) {
      if (c.signal(signal, SIG_IGN) === -1) throw new LibcError('signal', errnoName());
    },
    listenOnEventLoop(signals, receive) {
      // Node exports libuv for addons (checked in 20.20, 22.23, 24.22 and 26.12, and in the single executable:
      // stripping keeps the dynamic symbols). The main thread's loop is uv_default_loop() in every Node release.
      const uv = {
        defaultLoop: optional('void *uv_default_loop()'),
        handleSize: optional('size_t uv_handle_size(int type)'),
        init: optional('int uv_signal_init(void *loop, void *handle)'),
        start: optional('int uv_signal_start(void *handle, void *cb, int signum)'),
        stop: optional('int uv_signal_stop(void *handle)'),
        unref: optional('void uv_unref(void *handle)'),
        errName: optional('const char *uv_err_name(int err)'),
      };
      if (Object.values(uv).some((bound) => bound === null)) return null;
      const call = uv as { [K in keyof typeof uv]: Fn };
      const loop = call.defaultLoop();
      const size = Number(call.handleSize(UV_SIGNAL));
      // Called by libuv on the main thread from its loop, like Node's own signal callback: plain JS is safe here.
      const callback = koffi.register((_handle: unknown, signal: number) => receive(signal), koffi.pointer(koffi.proto('void gracie_uv_signal_cb(void *handle, int signum)')));
      const handles = new Map<number, unknown>();
      const refused = new Map<number, string>();
      for (const signal of signals) {
        const handle = koffi.alloc('uint8_t', size);
        let result = call.init(loop, handle);
        if (result === 0) result = call.start(handle, callback, signal);
        if (result !== 0) {
          refused.set(signal, String(call.errName(result)));
          continue; // a handle that failed to start is inactive: left to the loop, it costs nothing
        }
        // Like Node's own signal handles: listening must not keep gracie's loop alive.
        call.unref(handle);
        handles.set(signal, handle);
      }
      return {
        refused,
        stop(signal) {
          const handle = handles.get(signal);
          if (handle !== undefined) call.stop(handle);
          handles.delete(signal);
        },
      };
    },
    exitNow(code) {
      c.exit(code);
      throw new Error('_exit returned'); // never reached: for the type checker
    },
    releaseFreedMemory() {
      if (!c.mallocTrim) return false;
      c.mallocTrim(0);
      return true;
    },
    calibrateCpuClockAwayFromSignals() {
      // Bound here, not with the rest: used once, and where Node has no probe only to find it missing.
      // null handle: RTLD_DEFAULT, the global scope, where Node's binary exports the probe (when it has one).
      const probe = optional('void *dlsym(void *handle, const char *name)')?.(null, CPU_FREQUENCY_PROBE);
      if (!probe) return false;
      // glibc >= 2.34 and musl have them in libc itself; older glibc in libpthread, which Node links.
      const pthreadCreate = fn('int pthread_create(_Out_ uint64_t *thread, void *attr, void *start, void *arg)');
      const pthreadDetach = fn('int pthread_detach(uint64_t thread)');
      // A new thread starts with its creator's signal mask: created with every signal blocked, the probe's thread
      // keeps them blocked for its whole (short) life. The probe is `double f(void)`, started as `void *f(void *)`:
      // its argument is ignored, its result never read.
      const thread: [bigint] = [0n];
      let created = -1;
      withSignalBlocked('all', () => (created = pthreadCreate(thread, null, probe, null)));
      if (created !== 0) return false;
      pthreadDetach(thread[0]);
      return true;
    },
  };
}

/** Decodes a waitpid status word (no WUNTRACED: only exits and deaths). */
export function decodeWaitStatus(word: number): WaitStatus {
  const signal = word & 0x7f;
  return signal === 0 ? { code: (word >> 8) & 0xff, signal: null } : { code: null, signal };
}
