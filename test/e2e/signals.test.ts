// Forwarding, rewriting, process groups, stop requests and escalation, on real processes.
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { AS_PID1, endedBySignal, FIXTURES, GRACIE_COMMAND, gracie, type GracieRun, readIfExists, SIGNALS_FIXTURE, waitFor } from './helpers';

// Every signal gracie forwards that the Node fixture can catch (SIGKILL, SIGSTOP, faults, SIGPIPE and SIGCHLD
// are never forwarded: see src/signals.ts). The job-control signals have their own test below.
const FORWARDED = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCONT',
  'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR'] as const;

const REALTIME_FIXTURE = resolve(FIXTURES, 'realtime-child.py');

/** SIGRTMIN and SIGRTMAX as the child's C library numbers them (the realtime fixture prints them first). */
async function realtimeRange(run: GracieRun): Promise<{ min: number; max: number }> {
  const [match] = await run.waitForLines(/^child realtime (\d+) (\d+)$/);
  return { min: Number(match[1]), max: Number(match[2]) };
}

/** The state letter of a process (R, S, T, Z...) from /proc. */
function processState(pid: number): string | undefined {
  const stat = readIfExists(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Resolves true if something listens on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('forwarding', () => {
  it('forwards every forwardable signal to the child, each once', async () => {
    const run = gracie(['-t', '0', '--', ...SIGNALS_FIXTURE]);
    await run.ready();
    for (const signal of FORWARDED) {
      await run.signal(signal);
      await run.waitForLines(new RegExp(`^child got ${signal}$`));
    }
    // Sent in order and each awaited: the child saw exactly that sequence, nothing twice.
    const got = run.stdout.split('\n').filter((line) => line.startsWith('child got '));
    expect(got).toEqual(FORWARDED.map((signal) => `child got ${signal}`));
  });

  it('SIGUSR1 reaches the child and never opens the Node inspector', async () => {
    expect(await listening(9229)).toBe(false);
    const run = gracie(['--', ...SIGNALS_FIXTURE]);
    await run.ready();
    await run.signal('SIGUSR1');
    await run.waitForLines(/^child got SIGUSR1$/);
    expect(await listening(9229)).toBe(false);
    expect(run.stderr).not.toMatch(/Debugger listening/);
  });

  it('forwards SIGRTMIN, SIGRTMIN+3 and SIGRTMAX, then every real-time signal, each once', async () => {
    const run = gracie(['--', 'python3', REALTIME_FIXTURE]);
    await run.ready();
    const { min, max } = await realtimeRange(run);
    const pid = await run.graciePid();
    for (const signal of [min, min + 3, max]) {
      process.kill(pid, signal);
      await run.waitForLines(new RegExp(`^child got ${signal}$`));
    }
    // Real-time signals queue (one delivery per kill, none merged), in gracie as in the child: 31 sent, 31 arrive.
    const all = Array.from({ length: max - min + 1 }, (_, i) => min + i);
    for (const signal of all) process.kill(pid, signal);
    await run.waitForLines(/^child got \d+$/, 3 + all.length);
    const got = run.stdout.split('\n').filter((line) => /^child got \d+$/.test(line)).map((line) => Number(line.slice(10)));
    expect(got.slice(3).sort((a, b) => a - b)).toEqual(all);
    await run.signal('SIGTERM');
    expect((await run.exit()).code).toBe(7);
  });

  it('STOPSIGNAL SIGRTMIN+3 with -r RTMIN+3:TERM: the child gets SIGTERM and the stop budget starts', async () => {
    const run = gracie(['-r', 'RTMIN+3:TERM', '--', 'python3', REALTIME_FIXTURE]);
    await run.ready();
    const { min } = await realtimeRange(run);
    process.kill(await run.graciePid(), min + 3);
    const ended = await run.exit();
    expect(ended.code).toBe(7);
    expect(ended.stdout).toMatch(/^child got SIGTERM$/m);
    const stop = run.logs().find((entry) => entry.msg === 'received SIGRTMIN+3, forwarded SIGTERM');
    expect(stop, run.describe()).toMatchObject({ level: 30, signal: 'SIGRTMIN+3', forwardAs: 'SIGTERM', timeoutMs: 10_000 });
  });

  it('a received SIGRTMIN+3 starts the stop budget whatever it is forwarded as: SIGKILL when it runs out', async () => {
    const run = gracie(['-t', '300ms', '-r', 'SIGRTMIN+3:SIGRTMAX-2', '--', 'python3', REALTIME_FIXTURE]);
    await run.ready();
    const { min, max } = await realtimeRange(run);
    process.kill(await run.graciePid(), min + 3);
    await run.waitForLines(new RegExp(`^child got ${max - 2}$`));
    const ended = await run.exit();
    expect(ended).toMatchObject(endedBySignal('SIGKILL', 9));
    await run.waitForLog(/^stop timeout reached/);
  });

  it('a child killed by SIGRTMIN+3: gracie ends itself with it (not PID 1), or exits 128+N (PID 1)', async () => {
    const suicide = 'import os, signal; print(int(signal.SIGRTMIN) + 3, flush=True); os.kill(os.getpid(), signal.SIGRTMIN + 3)';
    if (AS_PID1) {
      const ended = await gracie(['--', 'python3', '-c', suicide]).exit();
      expect(ended.code, ended.stderr).toBe(128 + Number(ended.stdout.trim()));
      return;
    }
    // Node reports a death by a signal it has no name for as code 0, and a shell cannot tell a death by signal N from
    // an exit with 128+N: Python's returncode is -N for the one, 128+N for the other.
    const parent = 'import subprocess, sys; print(subprocess.run(sys.argv[1:]).returncode)';
    const ran = spawnSync('python3', ['-c', parent, ...GRACIE_COMMAND, '--', 'python3', '-c', suicide], { encoding: 'utf8' });
    const [signal, returncode] = ran.stdout.trim().split('\n');
    expect(returncode, ran.stderr).toBe(String(-Number(signal)));
    expect(ran.stderr).toMatch(/"msg":"child was killed by SIGRTMIN\+3"/);
  });

  it('rewrites to a real-time signal, by name and by number: -r USR1:RTMIN+1, -r USR2:<SIGRTMAX>', async () => {
    const range = spawnSync('python3', ['-c', 'import signal; print(signal.SIGRTMIN, signal.SIGRTMAX)'], { encoding: 'utf8' });
    const [min, max] = range.stdout.trim().split(' ').map(Number);
    const run = gracie(['-r', 'USR1:RTMIN+1', '-r', `USR2:${max}`, '--', 'python3', REALTIME_FIXTURE]);
    await run.ready();
    await run.signal('SIGUSR1');
    await run.waitForLines(new RegExp(`^child got ${min + 1}$`));
    await run.signal('SIGUSR2');
    await run.waitForLines(new RegExp(`^child got ${max}$`));
  });

  it('rewrites the stop signal: SIGTERM arrives as SIGQUIT', async () => {
    const run = gracie(['--stop-signal', 'quit', '--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGQUIT=0']);
    await run.ready();
    await run.signal('SIGTERM');
    const ended = await run.exit();
    expect(ended.stdout).toMatch(/^child got SIGQUIT$/m);
    expect(ended.stdout).not.toMatch(/got SIGTERM/);
    expect(ended.code).toBe(0);
    const stop = run.logs().find((entry) => entry.msg === 'received SIGTERM, forwarded SIGQUIT');
    expect(stop).toMatchObject({ level: 30, signal: 'SIGTERM', forwardAs: 'SIGQUIT' });
  });

  it('rewrites by number and drops with none, from the command line and the environment', async () => {
    const run = gracie(['-r', '10:12', '--', ...SIGNALS_FIXTURE], { env: { GRACIE_REWRITE: 'WINCH:HUP' } });
    await run.ready();
    await run.signal('SIGUSR1');
    await run.waitForLines(/^child got SIGUSR2$/);
    // The command line's --rewrite replaces GRACIE_REWRITE entirely: SIGWINCH stays SIGWINCH.
    await run.signal('SIGWINCH');
    await run.waitForLines(/^child got SIGWINCH$/);
    expect(run.stdout).not.toMatch(/got SIGUSR1|got SIGHUP/);

    const dropping = gracie(['-r', 'HUP:none', '-r', 'USR1:0', '--', ...SIGNALS_FIXTURE]);
    await dropping.ready();
    await dropping.signal('SIGHUP');
    await dropping.signal('SIGUSR1');
    // Signals from one sender arrive in order: once SIGUSR2 is through, the two before it were handled.
    await dropping.signal('SIGUSR2');
    await dropping.waitForLines(/^child got SIGUSR2$/);
    expect(dropping.stdout).not.toMatch(/got SIGHUP|got SIGUSR1/);
  });

  it('-g delivers to the whole process group; without it only the child gets the signal', async () => {
    const grouped = gracie(['-g', '--', ...SIGNALS_FIXTURE, '--sibling']);
    await grouped.ready();
    await grouped.ready('sibling');
    await grouped.signal('SIGUSR2');
    await grouped.waitForLines(/^child got SIGUSR2$/);
    await grouped.waitForLines(/^sibling got SIGUSR2$/);

    const single = gracie(['--', ...SIGNALS_FIXTURE, '--sibling']);
    await single.ready();
    await single.ready('sibling');
    await single.signal('SIGUSR2');
    await single.signal('SIGHUP');
    await single.waitForLines(/^child got SIGHUP$/);
    expect(single.stdout).not.toMatch(/sibling got/);
  });
});

describe('job control', () => {
  it(AS_PID1 ? 'SIGTSTP, SIGTTIN and SIGTTOU are forwarded; PID 1 itself never stops' : 'SIGTSTP, SIGTTIN and SIGTTOU are forwarded, then gracie stops; SIGCONT resumes both', async () => {
    const run = gracie(['--', ...SIGNALS_FIXTURE]);
    await run.ready();
    const pid = await run.graciePid();
    for (const [index, signal] of (['SIGTSTP', 'SIGTTIN', 'SIGTTOU'] as const).entries()) {
      await run.signal(signal);
      await run.waitForLines(new RegExp(`^child got ${signal}$`));
      if (!AS_PID1) {
        await waitFor(() => (processState(pid) === 'T' ? true : undefined), `gracie (${pid}) to be stopped`, () => `state ${processState(pid)}`);
      }
      await run.signal('SIGCONT');
      await run.waitForLines(/^child got SIGCONT$/, index + 1);
      await waitFor(() => (processState(pid) !== 'T' ? true : undefined), `gracie (${pid}) to run again`, () => `state ${processState(pid)}`);
    }
  });
});

describe('stopping', () => {
  it('SIGTERM is forwarded and the child exit code becomes gracie\'s', async () => {
    const run = gracie(['--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGTERM=3']);
    await run.ready();
    await run.signal('SIGTERM');
    const ended = await run.exit();
    expect(ended).toMatchObject({ code: 3, signal: null });
    const summary = run.logs().find((entry) => /^child exited with code 3 \d+ms after the stop request$/.test(String(entry.msg)));
    expect(summary).toMatchObject({ level: 30, code: 3, signal: null });
  });

  it('a repeated stop request is forwarded again', async () => {
    const run = gracie(['--', ...SIGNALS_FIXTURE]);
    await run.ready();
    await run.signal('SIGTERM');
    await run.waitForLines(/^child got SIGTERM$/);
    await run.signal('SIGINT');
    await run.waitForLines(/^child got SIGINT$/);
    await run.signal('SIGTERM');
    await run.waitForLines(/^child got SIGTERM$/, 2);
    await run.waitForLog(/^received SIGTERM again, forwarded SIGTERM$/);
  });

  it('escalates to SIGKILL when a child ignoring SIGTERM outlives --stop-timeout', async () => {
    const run = gracie(['--stop-timeout', '1s', '--', ...SIGNALS_FIXTURE]);
    await run.ready();
    await run.signal('SIGTERM');
    const ended = await run.exit();
    expect(ended.stdout).toMatch(/^child got SIGTERM$/m);
    expect(ended).toMatchObject(endedBySignal('SIGKILL', 9));
    const escalation = run.logs().find((entry) => /^stop timeout reached: sent SIGKILL/.test(String(entry.msg)));
    expect(escalation).toMatchObject({ level: 40, target: 'group' });
    // gracie measures its own budget: it never escalates early.
    expect(escalation?.afterMs).toBeGreaterThanOrEqual(1000);
  });

  it('SIGKILLs the whole process group at the deadline, not just the child', async () => {
    const run = gracie(['-t', '500ms', '--', ...SIGNALS_FIXTURE, '--sibling']);
    await run.ready();
    await run.ready('sibling');
    await run.signal('SIGTERM');
    const ended = await run.exit();
    expect(ended).toMatchObject(endedBySignal('SIGKILL', 9));
    expect(ended.stdout).not.toMatch(/sibling got/);
  });

  it('--stop-delay holds the stop signal back while other signals pass at once', async () => {
    const run = gracie(['--stop-delay', '1s', '-t', '10s', '--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGTERM=0']);
    await run.ready();
    await run.signal('SIGTERM');
    await run.signal('SIGUSR2');
    const ended = await run.exit();
    expect(ended.code).toBe(0);
    const lines = ended.stdout.split('\n').filter((line) => line.startsWith('child got'));
    expect(lines).toEqual(['child got SIGUSR2', 'child got SIGTERM']);
    const delayed = run.logs().find((entry) => entry.msg === 'stop delay over, forwarded SIGTERM');
    expect(delayed?.afterMs).toBeGreaterThanOrEqual(1000);
  });

  it('a second stop request cuts the stop delay short', async () => {
    const run = gracie(['--stop-delay', '20s', '-t', '30s', '--', ...SIGNALS_FIXTURE, '--exit-on', 'SIGINT=0']);
    await run.ready();
    await run.signal('SIGTERM');
    await run.waitForLog(/^received SIGTERM, forwarding SIGTERM after the 20000ms stop delay$/);
    await run.signal('SIGINT');
    const ended = await run.exit();
    expect(ended.code).toBe(0);
    expect(ended.stdout).toMatch(/^child got SIGINT$/m);
    expect(ended.stdout).not.toMatch(/got SIGTERM/);
  });

  it('a child that exits during the stop delay ends gracie at once with its status', async () => {
    const run = gracie(['--stop-delay', '20s', '-t', '30s', '--', 'sh', '-c', 'echo "child ready $$"; read line; exit 4'], {
      stdin: undefined,
    });
    await run.ready();
    await run.signal('SIGTERM');
    await run.waitForLog(/stop delay/);
    run.proc.stdin?.end('go\n');
    const ended = await run.exit(5000);
    expect(ended.code).toBe(4);
    expect(run.logs().some((entry) => entry.msg === 'stop delay over, forwarded SIGTERM')).toBe(false);
  });
});
