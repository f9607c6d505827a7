// Faults around gracie, with real processes and real signals: a stderr nobody reads, a child without stdio, a child
// that forks thousands of processes, a child that exits during the stop delay, signals at every instant of start-up,
// and an unexpected exception inside gracie. Each time gracie keeps supervising, strands nothing and exits with the
// child's status.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AS_PID1, AS_SEA, endedBySignal, FIXTURES, gracie, readIfExists, SIGNALS_FIXTURE, tryKill, waitFor, type Ended, type GracieRun } from './helpers';

/** A word no other process has in its argv: the child carries it as its $0, so /proc can tell whether it is gone. */
let markers = 0;
const marker = (what: string): string => `gracie-fault-${what}-${process.pid}-${++markers}`;

/** argv of every process as the test sees it (host pids), from /proc. */
function commandLines(): Array<{ pid: number; argv: string[] }> {
  const found: Array<{ pid: number; argv: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readIfExists(`/proc/${entry}/cmdline`);
    if (cmdline) found.push({ pid: Number(entry), argv: cmdline.split('\0').slice(0, -1) });
  }
  return found;
}

/** Host pids of the `sh -c <script> <marker>` children carrying `mark` (gracie's own argv holds it too, later on). */
/**
 * What a stuck gracie looks like from outside, for a timeout's message: its children (pid:state:command), each
 * thread (tid:state:utime/stime ticks:kernel wait channel) and its signal masks. Says whether it still waits for a
 * child, spins, or sleeps, and on what (hrtimer_nanosleep on the main thread: V8's CPU clock measurement).
 */
function processState(pid: number): string {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((other) => stat(other)?.ppid === pid)
    .map((child) => `${child}:${stat(child)?.state}:${readIfExists(`/proc/${child}/cmdline`)?.replaceAll('\0', ' ').slice(0, 40)}`);
  const threads = readdirSync(`/proc/${pid}/task`).map((tid) => {
    const text = readIfExists(`/proc/${pid}/task/${tid}/stat`) ?? '';
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return `${tid}:${fields[0]}:${fields[11]}/${fields[12]}:${readIfExists(`/proc/${pid}/task/${tid}/wchan`) ?? '?'}`;
  });
  const masks = (readIfExists(`/proc/${pid}/status`) ?? '').split('\n').filter((line) => /^(ShdPnd|SigPnd|SigBlk|SigIgn|SigCgt)/.test(line));
  return `children [${children.join(', ')}]; threads [${threads.join(' ')}]; ${masks.join(' ')}`;
}

function childrenMarked(mark: string): number[] {
  return commandLines()
    .filter(({ argv }) => argv[0] === 'sh' && argv[1] === '-c' && argv[3] === mark)
    .map(({ pid }) => pid);
}

/** "pid (comm) state ppid ...", split after the last ')' since comm may hold anything. */
function stat(pid: number): { state: string; ppid: number } | undefined {
  const text = readIfExists(`/proc/${pid}/stat`);
  if (!text) return undefined;
  const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid) };
}

/** Host pids of the zombie children of `parent`. */
function zombieChildren(parent: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const s = stat(pid);
      return s?.state === 'Z' && s.ppid === parent;
    });
}

/** Whether a signal has a handler in a process, from SigCgt in /proc/PID/status. */
function catches(pid: number, signal: number): boolean {
  const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(readIfExists(`/proc/${pid}/status`) ?? '')?.[1];
  return mask !== undefined && ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;
}

const SIGTERM = 15;
const SIGPWR = 30;
const SIGUSR1 = 10;

const entriesMatching = (run: GracieRun, pattern: RegExp): Array<Record<string, unknown>> =>
  run.logs().filter((entry) => pattern.test(String(entry.msg)));

describe("gracie's stderr is a pipe nobody reads", () => {
  it('every log write fails with EPIPE: the child still gets the forwarded SIGTERM and gracie exits with its status', async () => {
    // The child first proves its stderr (gracie's, inherited) is a pipe with no reader: a write there dies of SIGPIPE.
    const probe = 'if (echo probe >&2); then echo "child stderr works"; else echo "child stderr broken $?"; fi';
    // -vv: gracie writes log lines from the start (child started, received, forwarded, child exited...), all lost.
    const run = gracie(['-vv', '--', 'sh', '-c', `${probe}; exec "$@"`, 'sh', ...SIGNALS_FIXTURE, '--exit-on', 'SIGTERM=7'], { closeStderrReader: true });
    await run.ready();
    expect(run.stdout).toMatch(/^child stderr broken 141$/m);
    await run.signal('SIGTERM');
    await run.waitForLines(/^child got SIGTERM$/);
    expect(await run.exit()).toMatchObject({ code: 7, signal: null });
  });
});

describe('the child closes its own stdio', () => {
  it('gracie keeps supervising: SIGTERM is forwarded and gracie exits with the child status', async () => {
    const mark = marker('stdio');
    const script = `trap 'kill $s; exit 7' TERM; echo "child ready $$"; exec <&- >&- 2>&-; sleep 1000 & s=$!; wait`;
    const run = gracie(['--', 'sh', '-c', script, mark]);
    await run.ready();
    const [pid] = await waitFor(() => {
      const found = childrenMarked(mark);
      return found.length === 1 ? found : undefined;
    }, `one child with ${mark} in its argv`, () => run.describe());
    await waitFor(
      () => (['0', '1', '2'].every((fd) => readIfExists(`/proc/${pid}/fdinfo/${fd}`) === undefined) ? true : undefined),
      `the child (pid ${pid}) to have closed fds 0, 1 and 2`,
      () => readdirSync(`/proc/${pid}/fd`).join(' '),
    );
    await run.signal('SIGTERM');
    expect(await run.exit()).toMatchObject({ code: 7, signal: null });
    // gracie's own stderr is untouched by what the child did with its copies.
    expect(entriesMatching(run, /^received SIGTERM, forwarded SIGTERM$/)).toHaveLength(1);
    expect(entriesMatching(run, /^child exited with code 7 \d+ms after the stop request$/)).toHaveLength(1);
  });
});

describe('a child that forks thousands of processes', () => {
  it('3,000 processes, 1,000 of them orphans: gracie reaps every orphan, keeps no zombie and exits with the child status', async () => {
    const mark = marker('forks');
    // Per round: a subshell that orphans a /bin/true (gracie's to reap, as PID 1 or subreaper), and a backgrounded
    // /bin/true the shell reaps itself (or leaves to gracie when it exits first).
    const rounds = 1000;
    const script = `trap 'exit 9' TERM; i=0; while [ $i -lt ${rounds} ]; do ( /bin/true & ); /bin/true & i=$((i+1)); done; echo "child ready $$"; read line; exit 3`;
    const run = gracie(['-w', '--', 'sh', '-c', script, mark]);
    await run.waitForLines(/^child ready \d+$/, 1, 20_000);
    const graciePid = await run.graciePid();
    const reaped = (): number[] => entriesMatching(run, /^Reaped zombie process with pid=\d+$/).map((entry) => entry.pid as number);
    await waitFor(
      () => (reaped().length >= rounds && zombieChildren(graciePid).length === 0 ? true : undefined),
      `${rounds} orphans reaped and no zombie left under gracie`,
      () => `reaped ${reaped().length}, zombies of gracie: ${zombieChildren(graciePid).join(' ')}`,
    );
    await run.signal('SIGTERM');
    const stopped = performance.now();
    const ended = await run.exit();
    expect(ended).toMatchObject({ code: 9, signal: null });
    // Promptly: nothing was left to wait for, certainly not the 10 s stop budget.
    expect(performance.now() - stopped).toBeLessThan(5_000);
    // Each orphan reaped once; whatever the shell had not reaped when it exited came to gracie too.
    expect(new Set(reaped()).size).toBe(reaped().length);
    expect(reaped().length).toBeGreaterThanOrEqual(rounds);
    expect(reaped().length).toBeLessThanOrEqual(2 * rounds);
    expect(entriesMatching(run, /stop timeout reached|survived SIGKILL|could not/)).toEqual([]);
    expect(childrenMarked(mark)).toEqual([]);
  }, 30_000);
});

describe('the child exits during --stop-delay', () => {
  // No signal after the child is gone: the delayed SIGTERM is never forwarded, and with -v every send that finds
  // nobody would be logged ("nothing left to signal").
  const signalledAfter = /forwarded|sent|SIGKILL|nothing left to signal|could not send/;

  it('exiting on a signal forwarded during the delay: gracie exits at once with its status, the delayed SIGTERM never goes', async () => {
    const run = gracie(['-v', '--stop-delay', '8s', '-t', '60s', '--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGUSR1=3']);
    await run.ready();
    await run.signal('SIGTERM');
    await run.waitForLog(/^received SIGTERM, forwarding SIGTERM after the 8000ms stop delay$/);
    // Every other signal is forwarded at once, during the delay too.
    const sent = performance.now();
    await run.signal('SIGUSR1');
    const ended = await run.exit();
    // Promptly: not after the 8 s delay, let alone the 60 s timeout.
    expect(performance.now() - sent).toBeLessThan(4_000);
    expect(ended).toMatchObject({ code: 3, signal: null });
    expect(ended.stdout).toMatch(/^child got SIGUSR1$/m);
    expect(ended.stdout).not.toMatch(/got SIGTERM/);
    const logs = run.logs();
    const childEnd = logs.findIndex((entry) => /^child exited with code 3 \d+ms after the stop request$/.test(String(entry.msg)));
    expect(childEnd, run.describe()).toBeGreaterThanOrEqual(0);
    expect(logs.slice(childEnd + 1).filter((entry) => signalledAfter.test(String(entry.msg)))).toEqual([]);
    expect(logs.filter((entry) => /stop delay over|stop timeout reached/.test(String(entry.msg)))).toEqual([]);
  });

  it('exiting on its own, with -g: the same, nothing signalled after it is gone', async () => {
    const run = gracie(['-v', '-g', '--stop-delay', '8s', '-t', '60s', '--', 'sh', '-c', 'echo "child ready $$"; read line; exit 5']);
    await run.ready();
    await run.signal('SIGTERM');
    await run.waitForLog(/^received SIGTERM, forwarding SIGTERM after the 8000ms stop delay$/);
    const told = performance.now();
    run.proc.stdin?.end('exit now\n');
    const ended = await run.exit();
    expect(performance.now() - told).toBeLessThan(4_000);
    expect(ended).toMatchObject({ code: 5, signal: null });
    const logs = run.logs();
    const childEnd = logs.findIndex((entry) => /^child exited with code 5 \d+ms after the stop request$/.test(String(entry.msg)));
    expect(childEnd, run.describe()).toBeGreaterThanOrEqual(0);
    expect(logs.slice(childEnd + 1).filter((entry) => signalledAfter.test(String(entry.msg)))).toEqual([]);
    expect(logs.filter((entry) => /stop delay over|stop timeout reached/.test(String(entry.msg)))).toEqual([]);
  });
});

/** Where gracie is in its start-up, as /proc shows it; each later one implies the earlier ones. */
const PHASES = ['launcher', 'node', 'listening', 'spawned', 'ready'] as const;
type Phase = (typeof PHASES)[number];

/** gracie's host pid once it runs its own program (under unshare: not unshare's fork before its exec). */
function gracieProcess(run: GracieRun): number | undefined {
  if (!AS_PID1) return run.proc.pid;
  const unshare = run.proc.pid as number;
  const first = readIfExists(`/proc/${unshare}/task/${unshare}/children`)?.trim().split(' ')[0];
  if (!first) return undefined;
  const comm = readIfExists(`/proc/${first}/comm`)?.trim();
  return comm && comm !== 'unshare' ? Number(first) : undefined;
}

/**
 * The phase gracie is in: its shell launcher, its Node starting, its signal listeners installed (SIGPWR is the last
 * one signal-inbox.ts adds), the child spawned, the child ready (its trap is set).
 */
function phaseOf(run: GracieRun, pid: number): Phase | undefined {
  if (/^child ready \d+$/m.test(run.stdout)) return 'ready';
  if (readIfExists(`/proc/${pid}/task/${pid}/children`)?.trim()) return 'spawned';
  const comm = readIfExists(`/proc/${pid}/comm`)?.trim();
  if (comm === undefined) return undefined;
  if (comm !== 'node') return 'launcher';
  return catches(pid, SIGPWR) ? 'listening' : 'node';
}

/** True while gracie has not exited (under unshare: is still unshare's child, so its pid cannot have been reused). */
function stillRunning(run: GracieRun, pid: number): boolean {
  if (!AS_PID1) return run.proc.exitCode === null && run.proc.signalCode === null;
  const s = stat(pid);
  return s !== undefined && s.state !== 'Z' && s.ppid === run.proc.pid;
}

/** Resolves true if something listens on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolveListening(true)));
    socket.once('error', () => resolveListening(false));
  });
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Starts gracie with a child that exits 42 on SIGTERM once its trap is set, then waits until it reaches `trigger`. */
async function startUntil(trigger: Phase, mark: string): Promise<{ run: GracieRun; pid: number; phase: Phase }> {
  const run = gracie(['--', 'sh', '-c', `trap 'exit 42' TERM; echo "child ready $$"; read line; exit 3`, mark]);
  const deadline = performance.now() + 10_000;
  for (;;) {
    const pid = gracieProcess(run);
    const phase = pid === undefined ? undefined : phaseOf(run, pid);
    if (pid !== undefined && phase !== undefined && PHASES.indexOf(phase) >= PHASES.indexOf(trigger)) return { run, pid, phase };
    if (performance.now() > deadline) throw new Error(`gracie never reached phase ${trigger}; saw:\n${run.describe()}`);
    await nextTurn();
  }
}

/**
 * SIGTERMs in bursts of 10 until gracie is gone, for at most 10 s; returns how many were sent. Checked before each
 * burst, so a reused pid is never signalled.
 */
async function stormUntilGone(run: GracieRun, pid: number, context: string): Promise<number> {
  let sent = 0;
  const deadline = performance.now() + 10_000;
  while (stillRunning(run, pid)) {
    if (performance.now() > deadline) throw new Error(`${context}: gracie still runs after ${sent} SIGTERMs (${processState(pid)}); saw:\n${run.describe().slice(-4000)}`);
    for (let n = 0; n < 10; n++) tryKill(pid, 'SIGTERM');
    sent += 10;
    await nextTurn();
  }
  return sent;
}

/** A stop that says so: the child's trap (42), or death by SIGTERM (gracie's own before it listens, or the child's before its trap). */
function expectStoppedBySigterm(ended: Ended, context: string): void {
  const bySignal = endedBySignal('SIGTERM', SIGTERM);
  const ok = (ended.code === 42 && ended.signal === null) || (ended.code === bySignal.code && ended.signal === bySignal.signal);
  expect(ok, `${context}: ended with code ${ended.code}, signal ${ended.signal}`).toBe(true);
  // Once the child printed "ready" its trap was set: the SIGTERM reached it there.
  if (/^child ready \d+$/m.test(ended.stdout)) expect(ended.code, context).toBe(42);
}

describe('signals at every instant of start-up', () => {
  // 30 rounds: each phase 6 times, with 0 to 2 ms more each time (setImmediate turns) so the instants vary.
  const rounds = Array.from({ length: 30 }, (_, i) => ({ trigger: PHASES[i % PHASES.length], extraTurns: Math.floor(i / PHASES.length) % 3 }));

  it('one SIGTERM, from the launcher to the ready child: the child is always stopped, never stranded', async () => {
    const dropped: string[] = [];
    for (const [i, { trigger, extraTurns }] of rounds.entries()) {
      const mark = marker('early-term');
      const { run, pid } = await startUntil(trigger, mark);
      for (let turn = 0; turn < extraTurns; turn++) await nextTurn();
      const phase = phaseOf(run, pid) ?? 'gone';
      process.kill(pid, 'SIGTERM');
      const context = `round ${i + 1}, SIGTERM sent in phase ${phase}${AS_PID1 ? ' (PID 1)' : ''}`;
      if (AS_PID1 && (phase === 'launcher' || phase === 'node')) {
        // Before gracie's listeners exist, PID 1 has no handler for SIGTERM, and the kernel drops it: no init can
        // hear a signal before it has a handler (README, "Why PID 1 is special"). Once the child is ready (or gracie
        // is gone), a repeated SIGTERM is the runtime's second try.
        await waitFor(() => (/^child ready \d+$/m.test(run.stdout) || !stillRunning(run, pid) ? true : undefined), `${context}: the child ready or gracie gone`, () => run.describe());
        if (stillRunning(run, pid) && entriesMatching(run, /^received SIGTERM/).length === 0) {
          dropped.push(context);
          process.kill(pid, 'SIGTERM');
        }
      }
      const ended = await run.exit(10_000);
      if (process.env.FAULTS_DEBUG) console.info(`${context}: ${ended.code} ${ended.signal} ready=${/ready/.test(ended.stdout)}`);
      expectStoppedBySigterm(ended, `${context}\n${run.describe()}`);
      expect(childrenMarked(mark), `${context}: the child must be gone`).toEqual([]);
    }
    if (process.env.FAULTS_DEBUG) console.info(`dropped by the kernel: ${dropped.length}\n${dropped.join('\n')}`);
  }, 60_000);

  it('a storm of SIGTERMs from the first instant: the child is always stopped, never stranded', async () => {
    for (const [i, { trigger, extraTurns }] of rounds.entries()) {
      const mark = marker('early-storm');
      const { run, pid } = await startUntil(trigger, mark);
      for (let turn = 0; turn < extraTurns; turn++) await nextTurn();
      const phase = phaseOf(run, pid) ?? 'gone';
      const context = `round ${i + 1}, storm from phase ${phase}${AS_PID1 ? ' (PID 1)' : ''}`;
      const sent = await stormUntilGone(run, pid, context);
      const ended = await run.exit(10_000);
      if (process.env.FAULTS_DEBUG) console.info(`${context}: ${sent} sent, ${ended.code} ${ended.signal} ready=${/ready/.test(ended.stdout)}`);
      expectStoppedBySigterm(ended, `${context}, ${sent} SIGTERMs\n${run.describe().slice(0, 4000)}`);
      expect(childrenMarked(mark), `${context}: the child must be gone`).toEqual([]);
    }
  }, 60_000);
});

// Needs a --require hook in gracie's own Node: defined for the npm package only (see AS_SEA in helpers.ts).
if (!AS_SEA) describe("V8's one measurement of the CPU clock", () => {
  // V8 measures the CPU's clock rate (abseil, sleeping 1, 2, 4... ms) the first time two of its threads contend for
  // a lock, in the Node builds that export abseil's probe (absent in 20.20.2; present in 22.23, 24 and 26). A SIGTERM
  // storm that met it on gracie's main thread, in a garbage collection, froze gracie for the whole 10 s of the storm
  // test above (about 1 Node 24 run in 5 under load). gracie now has it measured at start, on a thread no signal
  // reaches; the hook asks for it on the main thread, mid-storm.
  const HOOK = resolve(FIXTURES, 'cpu-clock-hook.cjs');
  const nodeVersion = spawnSync('node', ['-v'], { encoding: 'utf8' }).stdout.trim();
  const hasProbe = nodeExportsCpuClockProbe();

  it('asked for mid-storm on the main thread, it never freezes gracie', async () => {
    for (let round = 1; round <= 3; round++) {
      const mark = marker('cpu-clock');
      const run = gracie(['--', 'sh', '-c', `trap 'exit 42' TERM; echo "child ready $$"; read line; exit 3`, mark], {
        nodeArgs: ['--require', HOOK],
      });
      await run.ready();
      const pid = gracieProcess(run) as number;
      const context = `round ${round}${AS_PID1 ? ' (PID 1)' : ''}, Node ${nodeVersion}, probe ${hasProbe ? 'exported' : 'absent'}`;
      const sent = await stormUntilGone(run, pid, context);
      const ended = await run.exit(10_000);
      expect(ended.code, `${context}, ${sent} SIGTERMs\n${run.describe()}`).toBe(42);
      // Where the binary exports the probe, the hook's call measured (so this test exercises the freeze); where it
      // does not, there is nothing to freeze on.
      expect(ended.stderr, context).toMatch(hasProbe ? /^cpu clock probe: [1-9]\d* MHz$/m : /^cpu clock probe: absent$/m);
      expect(childrenMarked(mark), `${context}: the child must be gone`).toEqual([]);
    }
  }, 60_000);
});

/**
 * Whether the Node that gracie runs on (the first `node` on PATH, as bin/gracie.js starts it) exports abseil's CPU
 * clock probe, looked up as gracie looks it up (src/libc.ts: dlsym in the global scope, through koffi): the test's
 * expectation follows what the binary has, never a guess from its major.
 */
function nodeExportsCpuClockProbe(): boolean {
  const koffi = resolve(__dirname, '../../node_modules/koffi');
  const probe = '_ZN4absl13base_internal19NominalCPUFrequencyEv';
  const script = `const dlsym = require(${JSON.stringify(koffi)}).load(null).func('void *dlsym(void *handle, const char *name)');
process.stdout.write(dlsym(null, ${JSON.stringify(probe)}) === null ? 'absent' : 'exported');`;
  const asked = spawnSync('node', ['-e', script], { encoding: 'utf8' });
  if (asked.status !== 0 || !/^(absent|exported)$/.test(asked.stdout)) {
    throw new Error(`could not ask gracie's Node for the CPU clock probe: expected 'absent' or 'exported', saw status ${asked.status}, stdout '${asked.stdout}', stderr ${asked.stderr}`);
  }
  return asked.stdout === 'exported';
}

describe('SIGUSR1 at every instant of start-up', () => {
  it("never opens Node's inspector, whenever it comes", async () => {
    // 20 rounds from each phase of start-up, each a burst of up to 100 SIGUSR1 (one per millisecond) until
    // the child is ready or gracie is gone. Without the launcher's --inspect-port, 17 of 20 starts flooded so opened
    // a debugger on 127.0.0.1:9229.
    for (let i = 0; i < 20; i++) {
      const trigger = PHASES[Math.floor(i / 2) % (PHASES.length - 1)];
      const mark = marker('early-usr1');
      const { run, pid } = await startUntil(trigger, mark);
      // Every other round waits for the riskiest instant: Node's own SIGUSR1 handler (the inspector's) is installed
      // and gracie's is not yet.
      const nodeHandlerOnly = (): boolean => catches(pid, SIGUSR1) && !catches(pid, SIGPWR);
      if (i % 2 === 1) {
        for (let turn = 0; turn < 10_000 && phaseOf(run, pid) === 'node' && !nodeHandlerOnly(); turn++) await nextTurn();
      }
      const armed = nodeHandlerOnly() ? ', Node armed' : '';
      const context = `round ${i + 1}, SIGUSR1 from phase ${phaseOf(run, pid) ?? 'gone'}${armed}${AS_PID1 ? ' (PID 1)' : ''}`;
      const ready = (): boolean => /^child ready \d+$/m.test(run.stdout);
      // Paced, not synchronising: one per millisecond spans the ~30 ms of Node's boot, whatever the phase.
      for (let sent = 0; sent < 100 && stillRunning(run, pid) && !ready(); sent++) {
        tryKill(pid, 'SIGUSR1');
        await new Promise((r) => setTimeout(r, 1));
      }
      await waitFor(() => (ready() || !stillRunning(run, pid) ? true : undefined), `${context}: the child ready or gracie gone`, () => run.describe());
      expect(run.stderr, context).not.toMatch(/Debugger listening/);
      expect(await listening(9229), context).toBe(false);
      // To the pid in hand, not run.signal(): that looks gracie up under unshare again, and a gracie that exits in
      // between (a SIGUSR1 that ended the child; gracie's exit takes ~2 ms) left it waiting 10 s for a process gone.
      if (stillRunning(run, pid)) tryKill(pid, 'SIGTERM');
      const ended = await run.exit(10_000);
      // Either the child's trap took the SIGTERM, or a SIGUSR1 ended it before its trap was set (gracie forwards it
      // and reports it) or ended gracie in the milliseconds of Node's boot when nothing catches it yet.
      const byUsr1 = endedBySignal('SIGUSR1', 10);
      const stopped = ended.code === 42 || (ended.code === byUsr1.code && ended.signal === byUsr1.signal);
      expect(stopped, `${context}: ended with code ${ended.code}, signal ${ended.signal}\n${run.describe()}`).toBe(true);
      expect(childrenMarked(mark), `${context}: the child must be gone`).toEqual([]);
    }
  }, 60_000);
});

// Needs a --require hook in gracie's own Node: defined for the npm package only (see AS_SEA in helpers.ts).
if (!AS_SEA) describe('an unexpected exception inside gracie after the child started', () => {
  const HOOK = resolve(FIXTURES, 'fault-hook.cjs');

  it.each([
    ['with libc', {}],
    ['without libc (GRACIE_FFI=0)', { GRACIE_FFI: '0' }],
  ])('%s: logged, never fatal; SIGTERM is still forwarded and gracie exits with the child status', async (_, env) => {
    const run = gracie(['--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGTERM=7'], { nodeArgs: ['--require', HOOK], env: { ...env, FAULT_DELAY_MS: '20' } });
    await run.ready();
    const thrown = await run.waitForLog(/^unexpected error, carrying on$/);
    expect(thrown).toMatchObject({ level: 50, err: { message: 'boom' } });
    const rejected = await run.waitForLog(/^unexpected rejection, carrying on$/);
    expect(rejected).toMatchObject({ level: 50, err: { message: 'boom, rejected' } });
    await run.signal('SIGTERM');
    await run.waitForLines(/^child got SIGTERM$/);
    expect(await run.exit()).toMatchObject({ code: 7, signal: null });
    expect(run.stdout.match(/^child got /gm)).toHaveLength(1);
  });
});
