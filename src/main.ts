// gracie, top-down: parse, configure, spawn, supervise, exit. The only place that catches errors and picks
// the exit path. Setup may fail (exit 2, 126, 127, 1); once the child runs, errors are logged, never fatal.
import { writeSync } from 'node:fs';
import { childEnvironment, groupAlive, inheritedDescriptors, kill, killTarget, sendSignal, spawnWithLibc, spawnWithLibuv } from './child';
import { parseCommandLine } from './cli';
import { resolveConfig, type Config, type Env } from './config';
import { GracieError, UsageError } from './errors';
import { decideExit, INTERNAL_FAILURE, type ChildEnd, type ExitDecision } from './exit-status';
import { createLogger, stderrSink, type Logger } from './log';
import type { Libc } from './libc';
import { listChildren, Reaper } from './reaper';
import { SignalBatch } from './signal-batch';
import { deliverSignalsTo, realtimeNotCaught } from './signal-inbox';
import { cpuClockAtStart, libcAtStart } from './start-libc';
import { widenSignalPipe } from './signal-pipe';
import { stopSignalHint } from './hints';
import { SIGCONT, SIGTERM, signalName } from './signals';
import { isTerminal, Terminal } from './terminal';
import { Supervisor, type Target } from './supervisor';

const writeOut = (text: string): void => {
  writeSync(1, text);
};

/** Runs gracie with its arguments (argv without node and script) and environment; resolves to how to exit. */
export async function main(args: readonly string[], env: Env): Promise<ExitDecision> {
  let config: Config;
  // asked once: it picks the default log format, and whether log writes need SIGTTOU blocked (openLibc)
  let stderrIsTerminal: boolean;
  try {
    const parsed = parseCommandLine(args, writeOut);
    if (parsed.kind === 'done') return { kind: 'code', code: 0 };
    stderrIsTerminal = isTerminal(2);
    config = resolveConfig(parsed.values, parsed.command, env, stderrIsTerminal);
  } catch (error) {
    return failBeforeStart(error);
  }
  const log = createLogger(config.logLevel, config.logFormat);
  // A hint, never a behaviour change: the server drains on another signal than the one it will get.
  const hint = stopSignalHint(config.command, config.rewrite.has(SIGTERM));
  if (hint) log.warn({ command: config.command[0] }, hint);
  try {
    return await supervise(config, env, log, stderrIsTerminal);
  } catch (error) {
    if (error instanceof GracieError) {
      log.error({ exitCode: error.exitCode }, error.message);
      return { kind: 'code', code: error.exitCode };
    }
    log.error({ err: error }, 'internal failure');
    return { kind: 'code', code: INTERNAL_FAILURE };
  }
}

/** Usage errors and failures before logging exists: one plain line on stderr. */
function failBeforeStart(error: unknown): ExitDecision {
  const isUsage = error instanceof UsageError;
  const message = isUsage ? error.message : `internal error: ${(error as Error)?.stack ?? String(error)}`;
  try {
    writeSync(2, `gracie: ${message}\n`);
  } catch {
    // stderr is closed: the exit code still says it.
  }
  return { kind: 'code', code: isUsage ? 2 : INTERNAL_FAILURE };
}

async function supervise(config: Config, env: Env, log: Logger, stderrIsTerminal: boolean): Promise<ExitDecision> {
  const isPid1 = process.pid === 1;
  const libc = openLibc(log, stderrIsTerminal);
  const parentDied = libc ? setUpInit(libc, config, isPid1, log) : false;
  ignoreRealtimeSignalsNotCaught(libc, isPid1, log);
  // With a terminal on stdin, the child's process group gets it while gracie is the foreground job.
  const terminal = libc && isTerminal(0) ? new Terminal(libc, isPid1, log) : null;
  let finish: (end: ChildEnd) => void = () => {};
  const ended = new Promise<ChildEnd>((resolve) => (finish = resolve));
  const child = { pid: 0 };
  const supervisor = createSupervisor(config, log, isPid1, child, finish, () => reaper);
  const reaper = libc
    ? new Reaper(libc, log, config.warnOnReap, {
        mainExited: (end) => supervisor.onChildExit(end),
        mainStopped: (signal) => terminal?.childStopped(signal),
        orphanReaped: () => supervisor.onOrphanReaped(),
        nothingLeft: () => supervisor.onLeftoversGone(),
      })
    : null;
  child.pid = await startChild(config, env, log, libc && reaper ? { libc, reaper, terminal } : null, supervisor);
  // Nothing else keeps Node's event loop alive while gracie waits for SIGCHLD; this timer never fires in practice.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1);
  keepRunningOnErrors(log);
  // gracie must pin no directory (a mount the app's operator wants to unmount); the child keeps its cwd.
  process.chdir('/');
  const plainPid = killTarget(supervisor.plainTarget, child.pid, isPid1);
  const handleSignal = (signal: number): void => {
    // SIGCONT with a terminal is never plain: gracie, resumed by its shell, hands the terminal back first.
    const plain = signal === SIGCONT && terminal ? 0 : supervisor.plainForwards[signal];
    if (plain === 0) {
      if (signal !== SIGCONT || !terminal?.resumed(child.pid)) supervisor.onSignal(signal);
      return;
    }
    // A plain forward (the supervisor's table), sent with kill(), not send() and sendSignal(): every call between
    // Node's listener and kill(2) shows in the latency of this cold path (docs/benchmarks.md, issue 14).
    const failure = kill(plainPid, plain);
    if (failure) reportSendFailure(log, supervisor.plainTarget, plain, failure);
    supervisor.plainForwarded(signal, plain);
  };
  // A flood that outruns the event loop fills libuv's signal pipe, and libuv drops what does not fit: a lost
  // SIGCHLD would leave gracie waiting for a child long dead. Every turn that handled signals also reaps.
  deliverSignalsTo(byLoopTurn(handleSignal, log, () => reaper?.sweep()));
  if (parentDied && config.parentDeathSignal) supervisor.onSignal(config.parentDeathSignal);
  // Start-up is over: what it allocated and freed (modules, koffi's set-up, V8's first compile jobs on other
  // threads) can go back to the kernel for the container's whole life, 0.1-0.3 MiB (docs/benchmarks.md).
  if (libc) setImmediate(() => tryOrLog(log, 'release freed memory', () => libc.releaseFreedMemory()));
  const end = await ended;
  clearInterval(keepAlive);
  const decision = decideExit(end, config.successExit, isPid1);
  if (decision.kind === 'signal' && libc) tryOrLog(log, 'disable core dumps', () => libc.disableCoreDumps());
  return decision;
}

/** The libc bindings, or null (with one warning saying what gracie cannot do without them). */
function openLibc(log: Logger, stderrIsTerminal: boolean): Libc | null {
  // Loaded before gracie listened for signals, unless GRACIE_FFI=0 (start-libc.ts; config.ffi is the same reading).
  const libc = libcAtStart;
  if (typeof libc === 'string') {
    log.warn({ reason: libc }, 'no libc bindings: forwarding signals only; cannot reap orphans, be a subreaper, arm -p or hand over the terminal');
    return null;
  }
  if (cpuClockAtStart instanceof Error) log.warn({ err: cpuClockAtStart.message }, "could not measure V8's CPU clock away from signals");
  else if (cpuClockAtStart) log.debug({}, "V8's CPU clock measured on a thread no signal reaches");
  if (stderrIsTerminal) stderrSink.guard = (write) => libc.writeToTerminal(write);
  return libc;
}

/**
 * The state machine, wired to the clock, kill(2), the reaper or a group watch, and the logger. The plain forwards
 * it publishes are sent by the signal path itself (supervise()).
 */
function createSupervisor(
  config: Config,
  log: Logger,
  isPid1: boolean,
  child: { pid: number },
  finish: (end: ChildEnd) => void,
  reaper: () => Reaper | null,
): Supervisor {
  // As PID 1 or subreaper, every process the child leaves behind becomes gracie's child: reaping tells when
  // none remain. Otherwise what is left is the child's process group, watched with kill(-pgid, 0).
  const adoptsOrphans = (): boolean => reaper() !== null && (isPid1 || config.subreaper);
  const adopted = (): number[] => (adoptsOrphans() ? listChildren() : []);
  const send = (target: Target, signal: number): void => {
    const failure = sendSignal(target, child.pid, isPid1, signal, adopted);
    if (failure) reportSendFailure(log, target, signal, failure);
  };
  const supervisor: Supervisor = new Supervisor(config, {
    // hrtime, not performance.now(): the global `performance` loads perf_hooks (10 modules) on first use
    now: () => Number(process.hrtime.bigint()) / 1e6,
    setTimer: (ms, fire) => {
      const timer = setTimeout(fire, ms);
      return () => clearTimeout(timer);
    },
    send,
    watchLeftovers: () => (adoptsOrphans() ? (reaper()?.anyChildLeft ?? false) : watchGroup(child.pid, () => supervisor.onLeftoversGone())),
    finish,
    // As PID 1 there is no shell to report a stopped job to: forward only.
    suspendSelf: () => (isPid1 ? undefined : process.kill(process.pid, 'SIGSTOP')),
    log,
  });
  return supervisor;
}

/** Spawns the command: posix_spawnp with gracie reaping, or libuv's spawn without libc. Returns the pid. */
async function startChild(
  config: Config,
  env: Env,
  log: Logger,
  withLibc: { libc: Libc; reaper: Reaper; terminal: Terminal | null } | null,
  supervisor: Supervisor,
): Promise<number> {
  const childEnv = childEnvironment(env);
  const isPid1 = process.pid === 1;
  if (!withLibc) {
    const pid = await spawnWithLibuv(config.command, childEnv, (end) => supervisor.onChildExit(end));
    log.debug({ pid, command: config.command, isPid1 }, 'child started');
    return pid;
  }
  const { libc, reaper, terminal } = withLibc;
  reaper.listen();
  tryOrLog(log, "widen libuv's signal pipe", () => log.debug({ bytes: widenSignalPipe(libc) }, 'signal pipe widened'));
  const takeTerminal = terminal?.shouldHandOver() ?? false;
  const pid = spawnWithLibc(libc, config.command, childEnv, inheritedDescriptors(env), takeTerminal);
  log.debug({ pid, command: config.command, isPid1, takeTerminal }, 'child started');
  reaper.watchMain(pid);
  return pid;
}

/**
 * Subreaper and parent-death signal, before the child exists so no orphan and no parent death is missed.
 * Returns true when the parent was already gone at that point.
 */
function setUpInit(libc: Libc, config: Config, isPid1: boolean, log: Logger): boolean {
  if (!isPid1 && config.subreaper) tryOrLog(log, 'register as child subreaper', () => libc.setChildSubreaper());
  if (!isPid1 && !config.subreaper) log.debug({}, 'not PID 1 and not a subreaper: orphans of the child go to the real init');
  if (config.parentDeathSignal === null) return false;
  const signal = config.parentDeathSignal;
  const parent = process.ppid;
  let alive = true;
  tryOrLog(log, 'arm the parent-death signal', () => (alive = libc.setParentDeathSignal(signal, parent)));
  if (!alive) log.info({ parent, signal: signalName(signal) }, 'the parent died before gracie armed -p: acting on it now');
  return !alive;
}

/**
 * Real-time signals are caught through libuv (signal-inbox.ts) and forwarded. Where that failed (a Node binary
 * without libuv's symbols, qemu-user keeping some for itself), they are not forwarded, and their default action
 * would kill: SIGRTMIN+3, systemd's stop signal, would end gracie and with it the container. Those are ignored
 * (as PID 1 the kernel already drops them; without libc nothing can), said once at debug. The child is spawned
 * with every signal at its default action, so this stays in gracie.
 */
function ignoreRealtimeSignalsNotCaught(libc: Libc | null, isPid1: boolean, log: Logger): void {
  const notCaught = realtimeNotCaught();
  if (!notCaught) return;
  const names = notCaught.signals.map(signalName).join(' ');
  log.debug({ reason: notCaught.reason, signals: names }, libc ? 'real-time signals not forwarded: ignored' : 'real-time signals not forwarded');
  if (libc && !isPid1) tryOrLog(log, 'ignore real-time signals', () => notCaught.signals.forEach((signal) => libc.ignoreSignal(signal)));
}

/**
 * Hands each signal on: the first of an event-loop turn at once (no latency added), those that arrive after it in
 * the same turn (libuv reads its signal pipe in batches) at the turn's end, merged as the kernel merges pending
 * standard signals (signal-batch.ts), and every 256 arrivals in a turn that a storm keeps going. In a storm gracie
 * then forwards a few signals per 256 received, not every one, as a C init does; `endOfTurn` runs once at the end
 * of every turn that had signals.
 */
function byLoopTurn(handle: (signal: number) => void, log: Logger, endOfTurn: () => void): (signal: number) => void {
  const batch = new SignalBatch();
  let turnOpen = false;
  const handleBatch = (): void => {
    for (const signal of batch.take()) tryOrLog(log, `handle ${signalName(signal)}`, () => handle(signal));
  };
  const closeTurn = (): void => {
    handleBatch();
    turnOpen = false;
    tryOrLog(log, 'reap', endOfTurn);
  };
  return (signal) => {
    if (turnOpen) {
      if (batch.add(signal)) handleBatch();
      return;
    }
    turnOpen = true;
    try {
      handle(signal);
    } finally {
      // After the forward, not before: scheduling the first immediate of a turn costs ~5 us (a call into C++).
      setImmediate(closeTurn);
    }
  };
}

/** A signal gracie could not send: ESRCH (nothing left there) is expected while draining. */
function reportSendFailure(log: Logger, target: Target, signal: number, failure: string): void {
  if (failure === 'ESRCH') log.debug({ target, signal }, 'nothing left to signal');
  else log.error({ target, signal, errno: failure }, 'could not send signal');
}

/** Polls the child's process group while draining without a reaper: kill(-pgid, 0) says whether any is left. */
function watchGroup(pid: number, gone: () => void): boolean {
  if (!groupAlive(pid)) return false;
  const timer = setInterval(() => {
    if (groupAlive(pid)) return;
    clearInterval(timer);
    gone();
  }, 20);
  return true;
}

function tryOrLog(log: Logger, what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    log.warn({ err: (error as Error).message }, `could not ${what}`);
  }
}

/** After the child started, an unexpected error is logged and gracie carries on: its death kills the container. */
function keepRunningOnErrors(log: Logger): void {
  process.on('uncaughtException', (error) => log.error({ err: error }, 'unexpected error, carrying on'));
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unexpected rejection, carrying on'));
}
